//! The error types of this crate, and their mapping to AWS error codes.
//!
//! Owns: every way signature parsing or verification can fail ([`SigError`]), and every way an
//! `aws-chunked` body can be rejected ([`ChunkedError`]; S3 only, so kept apart from the codes
//! the query-protocol services share). Must never carry a secret, a derived key or an expected
//! signature in a message: messages go back to the (untrusted) client.

use thiserror::Error;

/// Why a request's signature could not be parsed or was rejected.
///
/// `aws_code()` gives the code AWS's query-protocol services (IAM, STS, SQS) answer with; S3 uses
/// its own codes for some of these and the S3 front end maps them itself.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SigError {
    /// A required part of the signature (a header component or query parameter) is absent.
    #[error("{0}")]
    IncompleteSignature(String),
    /// A part of the signature is present but not in the shape AWS defines.
    #[error("{0}")]
    MalformedAuthorization(String),
    /// The signing algorithm or signature version is not one this server verifies.
    #[error("Unsupported AWS 'algorithm': '{0}'")]
    UnsupportedAlgorithm(String),
    /// The request's date could not be read.
    #[error("{0}")]
    InvalidDate(String),
    /// The date in the credential scope is not the date of the request time.
    #[error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP"
    )]
    CredentialDateMismatch,
    /// The signing time is more than the allowed window away from the server's clock.
    #[error("The difference between the request time and the current time is too large")]
    RequestTimeTooSkewed,
    /// A presigned request or a SigV2 `Expires` request is past its expiry.
    #[error("Request has expired")]
    Expired,
    /// `X-Amz-Expires` is outside 1..=604800 seconds.
    #[error("X-Amz-Expires must be between 1 and 604800 seconds")]
    ExpiresOutOfRange,
    /// An S3 header-signed request lacks `x-amz-content-sha256`, which S3 requires.
    #[error("Missing required header for this request: x-amz-content-sha256")]
    MissingContentSha256,
    /// The signature is well formed but does not match the one computed with the secret.
    #[error("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")]
    SignatureDoesNotMatch,
}

impl SigError {
    /// The AWS error code a query-protocol service (IAM, STS, SQS) answers with.
    pub fn aws_code(&self) -> &'static str {
        match self {
            SigError::IncompleteSignature(_)
            | SigError::MalformedAuthorization(_)
            | SigError::UnsupportedAlgorithm(_)
            | SigError::InvalidDate(_) => "IncompleteSignature",
            SigError::CredentialDateMismatch | SigError::SignatureDoesNotMatch => {
                "SignatureDoesNotMatch"
            }
            SigError::RequestTimeTooSkewed => "RequestTimeTooSkewed",
            SigError::Expired => "RequestExpired",
            SigError::ExpiresOutOfRange => "AuthorizationQueryParametersError",
            SigError::MissingContentSha256 => "InvalidRequest",
        }
    }

    /// The human-readable message to send with [`SigError::aws_code`].
    pub fn message(&self) -> String {
        self.to_string()
    }
}

/// Why an `aws-chunked` request body was rejected (see [`crate::chunked`]).
///
/// Only S3 accepts such bodies, so `aws_code()` and `http_status()` give S3's answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChunkedError {
    /// A chunk's or the trailer's signature does not match the one computed from the chain.
    #[error("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")]
    SignatureDoesNotMatch,
    /// The body ended before its final chunk (and trailers) were complete.
    #[error("The request body terminated unexpectedly")]
    IncompleteBody,
    /// The framing is not `aws-chunked` as AWS defines it: a bad chunk header, data not followed
    /// by CRLF, a bad trailer line, or bytes after the end of the body.
    #[error("{0}")]
    Malformed(String),
    /// A chunk size is not a hexadecimal number or does not fit in 64 bits.
    #[error("Invalid chunk size: {0}")]
    InvalidChunkSize(String),
    /// A chunk header line or the trailer section exceeds the decoder's bounds.
    #[error("{0}")]
    TooLarge(String),
    /// The decoded body is longer than `x-amz-decoded-content-length` says.
    #[error("The decoded body is longer than the declared x-amz-decoded-content-length of {declared} bytes")]
    LongerThanDeclared {
        /// The `x-amz-decoded-content-length` value.
        declared: u64,
    },
    /// The decoded body is shorter than `x-amz-decoded-content-length` says.
    #[error(
        "The decoded body has {actual} bytes, but x-amz-decoded-content-length declares {declared}"
    )]
    ShorterThanDeclared {
        /// The `x-amz-decoded-content-length` value.
        declared: u64,
        /// The bytes actually decoded.
        actual: u64,
    },
    /// A signed streaming mode without the request's signing material: only a request signed in
    /// its `Authorization` header can carry chunk signatures.
    #[error("{0} requires a request signed with the Authorization header")]
    SigningRequired(&'static str),
}

impl ChunkedError {
    /// The S3 error code.
    pub fn aws_code(&self) -> &'static str {
        match self {
            ChunkedError::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            ChunkedError::IncompleteBody | ChunkedError::ShorterThanDeclared { .. } => {
                "IncompleteBody"
            }
            ChunkedError::InvalidChunkSize(_) => "InvalidChunkSizeError",
            ChunkedError::Malformed(_)
            | ChunkedError::TooLarge(_)
            | ChunkedError::LongerThanDeclared { .. }
            | ChunkedError::SigningRequired(_) => "InvalidRequest",
        }
    }

    /// The HTTP status S3 answers with: 403 for a signature mismatch, 400 otherwise.
    pub fn http_status(&self) -> u16 {
        match self {
            ChunkedError::SignatureDoesNotMatch => 403,
            _ => 400,
        }
    }

    /// The human-readable message to send with [`ChunkedError::aws_code`].
    pub fn message(&self) -> String {
        self.to_string()
    }
}
