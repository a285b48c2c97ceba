//! The signature chain of a signed `aws-chunked` body.
//!
//! Owns: [`ChunkSigning`] (what a verified `Authorization` header hands to the body decoder), the
//! strings to sign of chunks (`AWS4-HMAC-SHA256-PAYLOAD`) and trailers
//! (`AWS4-HMAC-SHA256-TRAILER`), each seeded by the previous signature, and their constant-time
//! comparison. Must never parse framing, nor expose the signing key.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::ChunkedError;

/// Hex SHA-256 of the empty string: the fifth line of every chunk's string to sign.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What the chunk signatures of a body are computed from: the request's derived SigV4 signing
/// key, its `X-Amz-Date`, its credential scope and the signature of its `Authorization` header
/// (the seed of the chain). Obtained from [`crate::Verified::chunk_signing`] after the header
/// signature verified.
#[derive(Clone)]
pub struct ChunkSigning {
    key: [u8; 32],
    amz_date: String,
    scope: String,
    seed_signature: [u8; 32],
}

impl ChunkSigning {
    /// `signing_key` is the derived key (`HMAC` chain over date, region, service and
    /// `aws4_request`), `amz_date` the request's `YYYYMMDDTHHMMSSZ`, `scope`
    /// `DATE/REGION/SERVICE/aws4_request`, `seed_signature` the header signature's raw bytes.
    pub fn new(
        signing_key: [u8; 32],
        amz_date: impl Into<String>,
        scope: impl Into<String>,
        seed_signature: [u8; 32],
    ) -> ChunkSigning {
        ChunkSigning {
            key: signing_key,
            amz_date: amz_date.into(),
            scope: scope.into(),
            seed_signature,
        }
    }

    /// The request time as signed, `YYYYMMDDTHHMMSSZ`.
    pub fn amz_date(&self) -> &str {
        &self.amz_date
    }

    /// The credential scope, `DATE/REGION/SERVICE/aws4_request`.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The `Authorization` header's signature, which seeds the chain.
    pub fn seed_signature(&self) -> [u8; 32] {
        self.seed_signature
    }
}

impl fmt::Debug for ChunkSigning {
    /// The signing key is a credential: it is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigning")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("seed_signature", &hex::encode(self.seed_signature))
            .finish_non_exhaustive()
    }
}

/// The running chain: each verified signature becomes the previous signature of the next.
pub(super) struct SignatureChain {
    signing: ChunkSigning,
    previous: [u8; 32],
}

impl SignatureChain {
    pub(super) fn new(signing: ChunkSigning) -> SignatureChain {
        SignatureChain {
            previous: signing.seed_signature,
            signing,
        }
    }

    /// Checks a chunk's claimed signature against the SHA-256 of its data and advances the chain.
    pub(super) fn verify_chunk(
        &mut self,
        data_sha256: &[u8; 32],
        claimed: &[u8; 32],
    ) -> Result<(), ChunkedError> {
        let expected = self.sign(
            "AWS4-HMAC-SHA256-PAYLOAD",
            &[EMPTY_SHA256, &hex::encode(data_sha256)],
        )?;
        self.check(&expected, claimed)
    }

    /// Checks the trailer signature against the SHA-256 of the canonical trailer text.
    pub(super) fn verify_trailer(
        &mut self,
        trailer_sha256: &[u8; 32],
        claimed: &[u8; 32],
    ) -> Result<(), ChunkedError> {
        let expected = self.sign("AWS4-HMAC-SHA256-TRAILER", &[&hex::encode(trailer_sha256)])?;
        self.check(&expected, claimed)
    }

    /// `HMAC(key, ALGORITHM \n date \n scope \n previous \n tail[0] \n tail[1]…)`.
    fn sign(&self, algorithm: &str, tail: &[&str]) -> Result<[u8; 32], ChunkedError> {
        // HMAC takes keys of any length: this cannot fail, but is not unwrapped.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.signing.key)
            .map_err(|_| ChunkedError::SignatureDoesNotMatch)?;
        let previous = hex::encode(self.previous);
        let head = [
            algorithm,
            &self.signing.amz_date,
            &self.signing.scope,
            &previous,
        ];
        for (i, part) in head.iter().chain(tail).enumerate() {
            if i > 0 {
                mac.update(b"\n");
            }
            mac.update(part.as_bytes());
        }
        Ok(mac.finalize().into_bytes().into())
    }

    fn check(&mut self, expected: &[u8; 32], claimed: &[u8; 32]) -> Result<(), ChunkedError> {
        if bool::from(expected.ct_eq(claimed)) {
            self.previous = *claimed;
            Ok(())
        } else {
            Err(ChunkedError::SignatureDoesNotMatch)
        }
    }
}
