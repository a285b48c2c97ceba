//! The trailer section of an `aws-chunked` body: `name:value` lines after the final chunk, and
//! in the signed mode an `x-amz-trailer-signature:<hex>` line that closes them.
//!
//! Owns: reading one trailer line and the canonical text the trailer signature covers (names
//! lower-cased, values trimmed, sorted by name, each line ending in LF). Must never decide which
//! trailers a request may send: the S3 front end checks them against `x-amz-trailer`.

use sha2::{Digest, Sha256};

use crate::ChunkedError;

/// The line that carries the trailer signature; never itself a trailer.
pub(super) const SIGNATURE_NAME: &str = "x-amz-trailer-signature";

/// One line of the trailer section.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TrailerLine {
    /// A trailer, its name lower-cased and its value trimmed.
    Header(String, String),
    /// `x-amz-trailer-signature`, decoded.
    Signature([u8; 32]),
}

/// Reads `name:value` (optional spaces or tabs around the value).
pub(super) fn parse_line(line: &[u8]) -> Result<TrailerLine, ChunkedError> {
    let malformed = |why: &str| ChunkedError::Malformed(format!("Invalid trailer line: {why}"));
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(|| malformed("no ':'"))?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
        return Err(malformed("the name is not an HTTP field name"));
    }
    let value = std::str::from_utf8(value)
        .map_err(|_| malformed("the value is not UTF-8"))?
        .trim_matches([' ', '\t']);
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(malformed("the value has control characters"));
    }
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    if name == SIGNATURE_NAME {
        let mut signature = [0u8; 32];
        hex::decode_to_slice(value, &mut signature)
            .map_err(|_| malformed("x-amz-trailer-signature must be 64 hexadecimal characters"))?;
        return Ok(TrailerLine::Signature(signature));
    }
    Ok(TrailerLine::Header(name, value.to_owned()))
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// SHA-256 of `name:value\n` for each trailer, in name order: what the trailer signature signs.
pub(super) fn canonical_sha256(trailers: &[(String, String)]) -> [u8; 32] {
    let mut sorted: Vec<&(String, String)> = trailers.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut h = Sha256::new();
    for (name, value) in sorted {
        h.update(name.as_bytes());
        h.update(b":");
        h.update(value.as_bytes());
        h.update(b"\n");
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let header = |n: &str, v: &str| Ok(TrailerLine::Header(n.into(), v.into()));
        let table: [(&[u8], Result<TrailerLine, ()>); 8] = [
            (
                b"x-amz-checksum-crc32c:sOO8/Q==",
                header("x-amz-checksum-crc32c", "sOO8/Q=="),
            ),
            (
                b"X-Amz-Checksum-CRC32: \tAAAAAA== ",
                header("x-amz-checksum-crc32", "AAAAAA=="),
            ),
            (b"x-empty:", header("x-empty", "")),
            (
                b"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435",
                Ok(TrailerLine::Signature([
                    0xd8, 0x1f, 0x82, 0xfc, 0x35, 0x05, 0xed, 0xab, 0x99, 0xd4, 0x59, 0x89, 0x10,
                    0x51, 0xa7, 0x32, 0xe8, 0x73, 0x06, 0x29, 0xa2, 0xe4, 0xa5, 0x96, 0x89, 0x82,
                    0x9c, 0xa1, 0x7f, 0xe2, 0xe4, 0x35,
                ])),
            ),
            (b"x-amz-trailer-signature:abcd", Err(())),
            (b"no colon", Err(())),
            (b":value", Err(())),
            (b"bad name:value", Err(())),
        ];
        for (line, want) in table {
            let got = parse_line(line).map_err(|_| ());
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(line));
        }
        assert!(parse_line(b"x:a\x00b").is_err());
        assert!(parse_line(b"x:\xff").is_err());
    }

    #[test]
    fn canonical_text_is_sorted_lf_lines() {
        let trailers = vec![
            ("x-b".to_owned(), "2".to_owned()),
            ("x-a".to_owned(), "1".to_owned()),
        ];
        let want: [u8; 32] = Sha256::digest(b"x-a:1\nx-b:2\n").into();
        assert_eq!(canonical_sha256(&trailers), want);
        let empty: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(canonical_sha256(&[]), empty);
    }
}
