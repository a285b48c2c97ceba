//! The crate's one error type. Every unsealing failure maps to `InvalidClientTokenId` (S3:
//! `InvalidToken`) at the edge; the variants exist for logs and tests, never for the client.

/// Why a token, a wrapped key or an encrypted secret was refused, or could not be produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not base64, too short or too long, or the authenticated plaintext does not decode.
    #[error("the token is malformed")]
    Malformed,
    /// The format version byte is not one this build reads.
    #[error("format version {0} is not supported")]
    UnsupportedVersion(u8),
    /// Sealed by a key id that the key ring does not hold (retired, or another installation).
    #[error("sealing key {0} is not in the key ring")]
    UnknownKey(u32),
    /// The AEAD check failed: tampered, truncated, or sealed by a different key with the same id.
    #[error("the token failed authentication")]
    Forged,
    /// The claims (or secret) exceed the documented limits, so the result could not be opened
    /// again; STS reports this as `PackedPolicyTooLarge`.
    #[error("the claims are too large to seal")]
    TooLarge,
}
