//! The checksum algorithms S3 accepts, and their spellings on the wire.
//!
//! Owns: the mapping between [`Algorithm`] and the values of `x-amz-checksum-algorithm` /
//! `x-amz-sdk-checksum-algorithm` and the `x-amz-checksum-*` header names. Must never compute a
//! checksum.

/// One of the checksum algorithms of S3's `x-amz-checksum-*` headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// CRC-32 (ISO-HDLC, the zlib/Ethernet one).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME, S3's default since the SDKs started adding checksums on their own.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl Algorithm {
    /// Every algorithm, in the order S3's documentation lists the headers.
    pub const ALL: [Algorithm; 5] = [
        Algorithm::Crc32,
        Algorithm::Crc32c,
        Algorithm::Crc64Nvme,
        Algorithm::Sha1,
        Algorithm::Sha256,
    ];

    /// Reads an `x-amz-checksum-algorithm` or `x-amz-sdk-checksum-algorithm` value (`CRC32`,
    /// `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`). SDKs differ in case, so case is ignored.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.name().eq_ignore_ascii_case(name))
    }

    /// The name S3 uses in `x-amz-checksum-algorithm` and in XML (`ChecksumAlgorithm`), e.g. `CRC32`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    /// The header that carries this checksum, lower case as HTTP/2 requires, e.g.
    /// `x-amz-checksum-crc32`. The same name is used for trailers.
    pub fn header_name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "x-amz-checksum-crc32",
            Algorithm::Crc32c => "x-amz-checksum-crc32c",
            Algorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Algorithm::Sha1 => "x-amz-checksum-sha1",
            Algorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm whose checksum header (or trailer) this is; header names compare
    /// case-insensitively.
    pub fn from_header_name(h: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.header_name().eq_ignore_ascii_case(h))
    }

    /// The length of this algorithm's raw digest in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Crc32 | Algorithm::Crc32c => 4,
            Algorithm::Crc64Nvme => 8,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
        }
    }

    /// Whether S3 offers this algorithm for the `FULL_OBJECT` checksum type of a multipart
    /// upload: only the CRCs, whose values can be combined without re-reading the data.
    pub fn supports_full_object(self) -> bool {
        matches!(
            self,
            Algorithm::Crc32 | Algorithm::Crc32c | Algorithm::Crc64Nvme
        )
    }

    /// Whether S3 offers this algorithm for the `COMPOSITE` checksum type of a multipart upload:
    /// every algorithm but CRC64NVME, which S3 supports only as a full-object checksum.
    pub fn supports_composite(self) -> bool {
        self != Algorithm::Crc64Nvme
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let table = [
            (Algorithm::Crc32, "CRC32", "x-amz-checksum-crc32"),
            (Algorithm::Crc32c, "CRC32C", "x-amz-checksum-crc32c"),
            (
                Algorithm::Crc64Nvme,
                "CRC64NVME",
                "x-amz-checksum-crc64nvme",
            ),
            (Algorithm::Sha1, "SHA1", "x-amz-checksum-sha1"),
            (Algorithm::Sha256, "SHA256", "x-amz-checksum-sha256"),
        ];
        for (alg, name, header) in table {
            assert_eq!(alg.name(), name);
            assert_eq!(alg.header_name(), header);
            assert_eq!(Algorithm::parse(name), Some(alg));
            assert_eq!(Algorithm::parse(&name.to_ascii_lowercase()), Some(alg));
            assert_eq!(Algorithm::from_header_name(header), Some(alg));
            assert_eq!(
                Algorithm::from_header_name(&header.to_ascii_uppercase()),
                Some(alg)
            );
        }
        assert_eq!(table.len(), Algorithm::ALL.len());
    }

    #[test]
    fn unknown_names() {
        for bad in [
            "",
            "MD5",
            "CRC",
            "CRC32 ",
            "crc64",
            "SHA-256",
            "x-amz-checksum-",
        ] {
            assert_eq!(Algorithm::parse(bad), None, "{bad:?}");
            assert_eq!(Algorithm::from_header_name(bad), None, "{bad:?}");
        }
        assert_eq!(Algorithm::from_header_name("x-amz-checksum-md5"), None);
        assert_eq!(Algorithm::from_header_name("CRC32"), None);
    }

    #[test]
    fn multipart_support_matches_s3() {
        let full: Vec<_> = Algorithm::ALL
            .into_iter()
            .filter(|a| a.supports_full_object())
            .collect();
        assert_eq!(
            full,
            [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme]
        );
        let composite: Vec<_> = Algorithm::ALL
            .into_iter()
            .filter(|a| a.supports_composite())
            .collect();
        assert_eq!(
            composite,
            [
                Algorithm::Crc32,
                Algorithm::Crc32c,
                Algorithm::Sha1,
                Algorithm::Sha256
            ]
        );
    }
}
