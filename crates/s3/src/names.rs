//! The rules for bucket names and object keys. Pure checks; they must never touch storage.

use crate::S3Error;

/// S3's general-purpose bucket naming rules: 3–63 characters of lowercase letters, digits, dots
/// and hyphens, starting and ending with a letter or digit, no `..`, not an IPv4 address, and
/// none of the prefixes and suffixes AWS reserves.
pub fn check_bucket_name(name: &str) -> Result<(), S3Error> {
    let b = name.as_bytes();
    let charset = b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-');
    let edges = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&b.len())
        && charset
        && edges(b.first())
        && edges(b.last())
        && !name.contains("..")
        && !name.contains(".-")
        && !name.contains("-.")
        && name.parse::<std::net::Ipv4Addr>().is_err()
        && !["xn--", "sthree-", "amzn-s3-demo-"]
            .iter()
            .any(|p| name.starts_with(p))
        && !["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
            .iter()
            .any(|s| name.ends_with(s));
    if ok {
        Ok(())
    } else {
        Err(S3Error::invalid_bucket_name())
    }
}

/// The longest key S3 accepts, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// A key must be 1–1024 bytes of UTF-8 (it already is a `str`). Keys are data, never paths:
/// nothing here or elsewhere turns a key into a file name.
pub fn check_key(key: &str) -> Result<(), S3Error> {
    if key.is_empty() {
        return Err(S3Error::invalid_argument("Object key must not be empty"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::key_too_long());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for good in ["abc", "my-bucket.1", "a1b", &"a".repeat(63)] {
            assert!(check_bucket_name(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "ABC",
            "a_b",
            "-ab",
            "ab-",
            "a..b",
            "a.-b",
            "192.168.1.1",
            "xn--abc",
            "abc-s3alias",
            "my bucket",
            "",
        ] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys() {
        assert!(check_key("../../etc/passwd").is_ok());
        assert!(check_key(&"k".repeat(1024)).is_ok());
        assert_eq!(
            check_key(&"k".repeat(1025)).unwrap_err().code(),
            "KeyTooLongError"
        );
        assert!(check_key("").is_err());
    }
}
