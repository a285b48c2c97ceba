//! MD5 as S3 uses it: `Content-MD5` checks and ETags.
//!
//! Owns: the streaming MD5 of a body and the ETag of a multipart upload. Must never be used as a
//! security check: MD5 only detects accidental corruption, as S3 itself uses it.

use md5::{Digest, Md5};

/// A running MD5 of a body that arrives in pieces.
#[derive(Clone, Debug, Default)]
pub struct Md5Hasher {
    inner: Md5,
}

impl Md5Hasher {
    /// The MD5 of nothing yet.
    pub fn new() -> Self {
        Md5Hasher::default()
    }

    /// Adds the next bytes of the body.
    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    /// The digest: base64 for `Content-MD5`, lower-case hex (quoted) for a single-part ETag.
    pub fn finish(self) -> [u8; 16] {
        self.inner.finalize().into()
    }
}

/// The ETag S3 gives a completed multipart upload: the MD5 of the parts' raw MD5 digests
/// concatenated in part order, lower-case hex, `-` and the number of parts, in double quotes.
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut h = Md5Hasher::new();
    for md5 in part_md5s {
        h.update(md5);
    }
    let hex: String = h.finish().iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}-{}\"", part_md5s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md5(data: &[u8]) -> [u8; 16] {
        let mut h = Md5Hasher::new();
        h.update(data);
        h.finish()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// RFC 1321, appendix A.5.
    #[test]
    fn rfc1321_vectors() {
        let table = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ];
        for (input, expected) in table {
            assert_eq!(hex(&md5(input.as_bytes())), expected, "{input:?}");
        }
        let mut split = Md5Hasher::new();
        split.update(b"message ");
        split.update(b"digest");
        assert_eq!(hex(&split.finish()), "f96b697d7cb7938d525a2f31aaf161d0");
    }

    #[test]
    fn multipart_etag_is_md5_of_part_md5s() {
        let parts = [md5(b"a"), md5(b"abc")];
        let raw = [parts[0], parts[1]].concat();
        assert_eq!(multipart_etag(&parts), format!("\"{}-2\"", hex(&md5(&raw))));
        // The MD5 of no bytes, for the degenerate zero-part list.
        assert_eq!(
            multipart_etag(&[]),
            "\"d41d8cd98f00b204e9800998ecf8427e-0\""
        );
    }
}
