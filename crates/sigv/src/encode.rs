//! Percent-encoding and -decoding exactly as AWS canonicalisation defines them.
//!
//! Owns: the RFC 3986 "unreserved" rule (`A-Z a-z 0-9 - _ . ~` stay, every other byte becomes
//! `%XX` with upper-case hex, space is `%20`), and the lenient decoding of raw query strings.
//! Must never allocate per byte or fail: any byte sequence has an encoding and a decoding.

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Appends the RFC 3986 encoding of `bytes` to `out`; `/` is kept as is when `keep_slash`
/// (path segments are encoded, their separators are not).
pub(crate) fn encode_into(out: &mut String, bytes: &[u8], keep_slash: bool) {
    out.reserve(bytes.len());
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            continue;
        }
        // Runs of unreserved bytes are ASCII, so pushing them as str is exact.
        push_ascii(out, &bytes[start..i]);
        out.push('%');
        out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
        out.push(char::from(HEX_UPPER[usize::from(b & 0x0f)]));
        start = i + 1;
    }
    push_ascii(out, &bytes[start..]);
}

fn push_ascii(out: &mut String, ascii: &[u8]) {
    out.extend(ascii.iter().map(|&b| char::from(b)));
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one raw query-string component the way `application/x-www-form-urlencoded` parsers
/// (and so the AWS SDK signers) read it: `+` is a space, `%XX` is a byte, and a `%` not followed by
/// two hex digits is kept literally rather than rejected.
pub(crate) fn decode_component(raw: &str) -> Vec<u8> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex_value);
                let lo = bytes.get(i + 2).copied().and_then(hex_value);
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push(hi << 4 | lo);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// [`decode_component`] as text; invalid UTF-8 becomes U+FFFD (only used where the result is a
/// value AWS defines as text, such as a credential or a date).
pub(crate) fn decode_text(raw: &str) -> String {
    String::from_utf8_lossy(&decode_component(raw)).into_owned()
}

/// The raw `key=value` pairs of a query string, split on `&` and the first `=`; empty segments
/// (`a=1&&b=2`) are skipped and a segment without `=` has an empty value.
pub(crate) fn raw_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| segment.split_once('=').unwrap_or((segment, "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(s: &[u8], keep_slash: bool) -> String {
        let mut out = String::new();
        encode_into(&mut out, s, keep_slash);
        out
    }

    #[test]
    fn encoding_table() {
        let cases: &[(&[u8], bool, &str)] = &[
            (b"", false, ""),
            (b"AZaz09-_.~", false, "AZaz09-_.~"),
            (b"a b", false, "a%20b"),
            (b"a/b", false, "a%2Fb"),
            (b"a/b", true, "a/b"),
            (b"%2F", true, "%252F"),
            (b"+=&", false, "%2B%3D%26"),
            ("ሴ".as_bytes(), false, "%E1%88%B4"),
            (&[0x00, 0xff], false, "%00%FF"),
        ];
        for (input, keep, want) in cases {
            assert_eq!(encode(input, *keep), *want, "input {input:?}");
        }
    }

    #[test]
    fn decoding_table() {
        let cases: &[(&str, &[u8])] = &[
            ("", b""),
            ("a+b", b"a b"),
            ("a%20b", b"a b"),
            ("%2f%2F", b"//"),
            ("100%", b"100%"),
            ("%zz%4", b"%zz%4"),
            ("%E1%88%B4", "ሴ".as_bytes()),
            ("%ff", &[0xff]),
        ];
        for (input, want) in cases {
            assert_eq!(decode_component(input), *want, "input {input:?}");
        }
    }

    #[test]
    fn pairs_split_on_first_equals_and_skip_empty_segments() {
        let pairs: Vec<_> = raw_pairs("a=1&&b&c=x=y&=v").collect();
        assert_eq!(pairs, vec![("a", "1"), ("b", ""), ("c", "x=y"), ("", "v")]);
    }
}
