//! One running checksum over a body that arrives in pieces, and the checksum value it yields.
//!
//! Owns: feeding bytes to the right algorithm and the raw and base64 forms of a [`Checksum`] as
//! S3 sends them (CRCs as big-endian integers). Must never buffer the data it is fed.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::Digest;

use crate::Algorithm;

/// The longest raw digest of any [`Algorithm`] (SHA-256).
const MAX_LEN: usize = 32;

/// A checksum being computed; feed it with [`Hasher::update`] as the body streams.
#[derive(Clone)]
pub struct Hasher {
    state: State,
}

#[derive(Clone)]
enum State {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(crc64fast_nvme::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    /// A checksum of nothing yet.
    pub fn new(alg: Algorithm) -> Self {
        let state = match alg {
            Algorithm::Crc32 => State::Crc32(crc32fast::Hasher::new()),
            Algorithm::Crc32c => State::Crc32c(0),
            Algorithm::Crc64Nvme => State::Crc64Nvme(crc64fast_nvme::Digest::new()),
            Algorithm::Sha1 => State::Sha1(sha1::Sha1::new()),
            Algorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
        };
        Hasher { state }
    }

    /// The algorithm this hasher computes.
    pub fn algorithm(&self) -> Algorithm {
        match self.state {
            State::Crc32(_) => Algorithm::Crc32,
            State::Crc32c(_) => Algorithm::Crc32c,
            State::Crc64Nvme(_) => Algorithm::Crc64Nvme,
            State::Sha1(_) => Algorithm::Sha1,
            State::Sha256(_) => Algorithm::Sha256,
        }
    }

    /// Adds the next bytes of the body; splitting the body differently gives the same checksum.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc32(h) => h.update(data),
            State::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            State::Crc64Nvme(h) => h.write(data),
            State::Sha1(h) => h.update(data),
            State::Sha256(h) => h.update(data),
        }
    }

    /// The checksum of everything fed so far.
    pub fn finish(self) -> Checksum {
        match self.state {
            State::Crc32(h) => Checksum::new(Algorithm::Crc32, &h.finalize().to_be_bytes()),
            State::Crc32c(crc) => Checksum::new(Algorithm::Crc32c, &crc.to_be_bytes()),
            State::Crc64Nvme(h) => Checksum::new(Algorithm::Crc64Nvme, &h.sum64().to_be_bytes()),
            State::Sha1(h) => Checksum::new(Algorithm::Sha1, &h.finalize()),
            State::Sha256(h) => Checksum::new(Algorithm::Sha256, &h.finalize()),
        }
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

/// A checksum value: the raw digest bytes (CRCs big-endian, as S3 encodes them) and the
/// algorithm that produced them. Fixed size and `Copy`, so storing one per part costs nothing.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum {
    alg: Algorithm,
    /// The digest in its first `alg.digest_len()` bytes; the rest are zero, so derived equality
    /// and hashing see only the digest.
    bytes: [u8; MAX_LEN],
}

impl Checksum {
    /// `raw` must be exactly `alg.digest_len()` long; callers in this crate guarantee it.
    fn new(alg: Algorithm, raw: &[u8]) -> Self {
        let mut bytes = [0; MAX_LEN];
        let len = alg.digest_len().min(raw.len());
        bytes[..len].copy_from_slice(&raw[..len]);
        Checksum { alg, bytes }
    }

    /// A checksum from its raw digest, e.g. as stored; `None` unless `raw` has the algorithm's
    /// digest length.
    pub fn from_bytes(alg: Algorithm, raw: &[u8]) -> Option<Self> {
        (raw.len() == alg.digest_len()).then(|| Checksum::new(alg, raw))
    }

    /// Reads a checksum header or trailer value: standard base64 with padding, decoding to
    /// exactly the algorithm's digest length. Anything else is `None` (S3 answers
    /// `InvalidRequest` for a value that is not a valid checksum).
    pub fn from_base64(alg: Algorithm, s: &str) -> Option<Self> {
        let mut raw = [0u8; MAX_LEN + 3];
        let len = STANDARD.decode_slice(s.as_bytes(), &mut raw).ok()?;
        Checksum::from_bytes(alg, raw.get(..len)?)
    }

    /// The algorithm of this checksum.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.alg.digest_len()]
    }

    /// The form S3 sends in `x-amz-checksum-*` headers and `Checksum*` XML elements.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.as_bytes())
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({} {})", self.alg.name(), self.to_base64())
    }
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

    /// The catalogued "check" values (the checksum of the ASCII string `123456789`) and the
    /// FIPS 180 `abc` digests.
    #[test]
    fn published_check_values() {
        let table: [(Algorithm, &[u8], &str); 7] = [
            (Algorithm::Crc32, b"123456789", "cbf43926"),
            (Algorithm::Crc32c, b"123456789", "e3069283"),
            (Algorithm::Crc64Nvme, b"123456789", "ae8b14860a799888"),
            (
                Algorithm::Sha1,
                b"abc",
                "a9993e364706816aba3e25717850c26c9cd0d89d",
            ),
            (
                Algorithm::Sha256,
                b"abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (Algorithm::Crc32, b"", "00000000"),
            (
                Algorithm::Sha256,
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
        ];
        for (alg, data, hex) in table {
            let sum = checksum(alg, data);
            assert_eq!(sum.algorithm(), alg);
            let got: String = sum.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(got, hex, "{alg:?}");
        }
    }

    /// Values as S3 and the SDKs send them, for the check string and for `hello world`.
    #[test]
    fn base64_as_s3_sends_it() {
        let table = [
            (Algorithm::Crc32, "123456789", "y/Q5Jg=="),
            (Algorithm::Crc32c, "123456789", "4waSgw=="),
            (Algorithm::Crc64Nvme, "123456789", "rosUhgp5mIg="),
            (Algorithm::Sha1, "123456789", "98O8HYCOBHMq32eZZczDTKeuNEE="),
            (
                Algorithm::Sha256,
                "123456789",
                "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
            ),
            (Algorithm::Crc32, "hello world", "DUoRhQ=="),
            (Algorithm::Crc32c, "hello world", "yZRlqg=="),
            (
                Algorithm::Sha1,
                "hello world",
                "Kq5sNclPz7QV2+lfQIuc6R7oRu0=",
            ),
            (
                Algorithm::Sha256,
                "hello world",
                "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
            ),
        ];
        for (alg, data, b64) in table {
            let sum = checksum(alg, data.as_bytes());
            assert_eq!(sum.to_base64(), b64, "{alg:?}");
            assert_eq!(Checksum::from_base64(alg, b64), Some(sum));
        }
    }

    #[test]
    fn from_base64_rejects_wrong_shapes() {
        let table = [
            (Algorithm::Crc32, ""),
            (Algorithm::Crc32, "DUoRhQ"),
            (Algorithm::Crc32, "DUoRhQ=="),
            (Algorithm::Crc32, "DUoRhQA="),
            (Algorithm::Crc32, "DUoR hQ=="),
            (Algorithm::Crc32c, "!!!!!!=="),
            (Algorithm::Crc64Nvme, "DUoRhQ=="),
            (Algorithm::Sha256, "Kq5sNclPz7QV2+lfQIuc6R7oRu0="),
            (
                Algorithm::Sha256,
                "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzekAAAA=",
            ),
        ];
        for (i, (alg, value)) in table.into_iter().enumerate() {
            // Row 2 is valid for CRC32 and serves as the control.
            assert_eq!(
                Checksum::from_base64(alg, value).is_some(),
                i == 2,
                "{alg:?} {value:?}"
            );
        }
        assert_eq!(Checksum::from_bytes(Algorithm::Sha1, &[0; 19]), None);
        assert!(Checksum::from_bytes(Algorithm::Sha1, &[0; 20]).is_some());
    }

    proptest! {
        #[test]
        fn splitting_never_changes_the_checksum(
            data in proptest::collection::vec(any::<u8>(), 0..2048),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        ) {
            let mut points: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
            points.sort_unstable();
            for alg in Algorithm::ALL {
                let mut h = Hasher::new(alg);
                let mut start = 0;
                for &p in &points {
                    h.update(&data[start..p]);
                    start = p;
                }
                h.update(&data[start..]);
                let sum = h.finish();
                prop_assert_eq!(sum, checksum(alg, &data));
                prop_assert_eq!(Checksum::from_base64(alg, &sum.to_base64()), Some(sum));
            }
        }
    }
}
