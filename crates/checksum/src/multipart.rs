//! The two checksum types S3 gives a completed multipart upload.
//!
//! Owns: `COMPOSITE` (a checksum of the parts' checksums, rendered `BASE64-N`) and `FULL_OBJECT`
//! (the CRC of the whole object, combined from the parts' CRCs and lengths). Must never decide
//! which type an upload uses, nor validate part numbers: the S3 front end does that.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::crc_combine::{CRC32, CRC32C, CRC64_NVME};
use crate::{Algorithm, Checksum, Hasher};

/// S3's composite checksum of a multipart upload: the `alg` checksum of the parts' raw
/// checksums concatenated in part order, base64, then `-` and the number of parts.
///
/// `None` when there are no parts, when a part's checksum is of another algorithm, or when S3
/// has no composite type for `alg` (CRC64NVME is full-object only).
pub fn composite(alg: Algorithm, parts: &[Checksum]) -> Option<String> {
    if parts.is_empty() || !alg.supports_composite() {
        return None;
    }
    let mut hasher = Hasher::new(alg);
    for part in parts {
        if part.algorithm() != alg {
            return None;
        }
        hasher.update(part.as_bytes());
    }
    Some(format!(
        "{}-{}",
        STANDARD.encode(hasher.finish().as_bytes()),
        parts.len()
    ))
}

/// S3's `FULL_OBJECT` checksum of a multipart upload: the CRC of the whole object, from each
/// part's CRC and length in bytes, in part order. Rendered with [`Checksum::to_base64`], with
/// no part-count suffix.
///
/// `None` for SHA-1 and SHA-256 (S3 has no full-object type for them: a hash cannot be
/// combined) and when a part's checksum is of another algorithm. No parts give the CRC of the
/// empty object.
pub fn full_object(alg: Algorithm, parts: &[(Checksum, u64)]) -> Option<Checksum> {
    let crc = match alg {
        Algorithm::Crc32 => CRC32,
        Algorithm::Crc32c => CRC32C,
        Algorithm::Crc64Nvme => CRC64_NVME,
        Algorithm::Sha1 | Algorithm::Sha256 => return None,
    };
    let mut acc = crc_value(&Hasher::new(alg).finish());
    // All parts but the last usually have one size: its shift factor is computed once.
    let mut shift: Option<(u64, u64)> = None;
    for &(part, len) in parts {
        if part.algorithm() != alg {
            return None;
        }
        let factor = match shift {
            Some((cached_len, factor)) if cached_len == len => factor,
            _ => {
                let factor = crc.x_pow_8n(len);
                shift = Some((len, factor));
                factor
            }
        };
        acc = crc.combine(acc, crc_value(&part), factor);
    }
    let bytes = acc.to_be_bytes();
    Checksum::from_bytes(alg, &bytes[bytes.len() - alg.digest_len()..])
}

/// A CRC checksum's big-endian bytes as an integer (4 or 8 bytes, so it fits in a `u64`).
fn crc_value(sum: &Checksum) -> u64 {
    sum.as_bytes()
        .iter()
        .fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn checksum(alg: Algorithm, data: &[u8]) -> Checksum {
        let mut h = Hasher::new(alg);
        h.update(data);
        h.finish()
    }

    #[test]
    fn composite_is_checksum_of_raw_part_checksums() {
        let parts = [b"part one".as_slice(), b"part two", b"3"];
        for alg in [
            Algorithm::Crc32,
            Algorithm::Crc32c,
            Algorithm::Sha1,
            Algorithm::Sha256,
        ] {
            let sums: Vec<Checksum> = parts.iter().map(|p| checksum(alg, p)).collect();
            let raw: Vec<u8> = sums.iter().flat_map(|s| s.as_bytes().to_vec()).collect();
            let expected = format!("{}-3", checksum(alg, &raw).to_base64());
            assert_eq!(composite(alg, &sums).as_deref(), Some(expected.as_str()));
        }
    }

    /// Worked by hand from the definition: the parts' CRC32s are 0x0D4A1185 ("hello world")
    /// and 0x00000000 (empty); CRC32 of those eight bytes, base64, `-2`.
    #[test]
    fn composite_known_value() {
        let sums = [
            checksum(Algorithm::Crc32, b"hello world"),
            checksum(Algorithm::Crc32, b""),
        ];
        let inner = crc32fast::hash(&[0x0D, 0x4A, 0x11, 0x85, 0, 0, 0, 0]);
        let expected = format!("{}-2", STANDARD.encode(inner.to_be_bytes()));
        assert_eq!(composite(Algorithm::Crc32, &sums), Some(expected));
    }

    #[test]
    fn composite_refusals() {
        let crc32 = checksum(Algorithm::Crc32, b"x");
        let sha1 = checksum(Algorithm::Sha1, b"x");
        let crc64 = checksum(Algorithm::Crc64Nvme, b"x");
        assert_eq!(composite(Algorithm::Crc32, &[]), None);
        assert_eq!(composite(Algorithm::Crc32, &[crc32, sha1]), None);
        assert_eq!(composite(Algorithm::Crc64Nvme, &[crc64]), None);
    }

    #[test]
    fn full_object_refusals() {
        let sha256 = checksum(Algorithm::Sha256, b"x");
        let crc32 = checksum(Algorithm::Crc32, b"x");
        assert_eq!(full_object(Algorithm::Sha256, &[(sha256, 1)]), None);
        assert_eq!(full_object(Algorithm::Sha1, &[]), None);
        assert_eq!(full_object(Algorithm::Crc32c, &[(crc32, 1)]), None);
        assert_eq!(
            full_object(Algorithm::Crc64Nvme, &[]),
            Some(checksum(Algorithm::Crc64Nvme, b""))
        );
    }

    #[test]
    fn full_object_with_equal_parts() {
        // The shape of real uploads: equal parts (one shift factor, reused) and a short last one.
        let whole: Vec<u8> = (0..5 * 1000 + 37).map(|i| (i * 31 % 256) as u8).collect();
        for alg in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
            let parts: Vec<(Checksum, u64)> = whole
                .chunks(1000)
                .map(|p| (checksum(alg, p), p.len() as u64))
                .collect();
            assert_eq!(parts.len(), 6);
            assert_eq!(full_object(alg, &parts), Some(checksum(alg, &whole)));
        }
    }

    proptest! {
        #[test]
        fn full_object_equals_checksum_of_whole_body(
            parts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..6),
        ) {
            let whole = parts.concat();
            for alg in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
                let sums: Vec<(Checksum, u64)> = parts
                    .iter()
                    .map(|p| (checksum(alg, p), p.len() as u64))
                    .collect();
                prop_assert_eq!(full_object(alg, &sums), Some(checksum(alg, &whole)));
            }
        }
    }
}
