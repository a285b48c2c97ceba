//! Server-side verification of AWS request signatures: SigV4 in the `Authorization` header,
//! SigV4 presigned query strings, SigV2 query/form signatures, and S3's SigV2 dialect (header
//! and presigned).
//!
//! This crate is pure: no I/O, no clock, no async runtime, no HTTP-library types. A request is
//! described by [`Request`] (borrowed method, raw path, raw query, headers, decoded form body), and
//! the two steps are:
//!
//! 1. [`parse`] reads whichever signature the request carries into a [`ParsedAuth`] (access key id,
//!    scope, session token, signing time), or `Ok(None)` for an anonymous request. The caller then
//!    resolves the access key id to a secret (long-term key from the store, or a sealed session
//!    token); that lookup is not this crate's job, nor are its errors (`InvalidClientTokenId`).
//! 2. [`verify`] applies the time rules against the caller's `now`, rebuilds what was signed and
//!    compares signatures in constant time. Its [`Verified`] result carries, for an S3 request
//!    with a SigV4 header signature, the [`chunked::ChunkSigning`] that an `aws-chunked` body's
//!    chunk signatures chain from.
//! 3. For S3 streaming uploads, [`chunked::ChunkedDecoder`] decodes the `aws-chunked` body
//!    incrementally and verifies each chunk and trailer signature.
//!
//! Module layout (each file's first lines say what it owns and must never do):
//! - [`canonical`]: the SigV4 canonical request (URI, query, headers), public for the S3 front end.
//! - [`chunked`]: the `aws-chunked` body decoder and its signature chain.
//! - `v4`: the SigV4 header and presigned forms, string to sign, [`signing_key`].
//! - `v2`: the SigV2 query form.
//! - `v2s3`: S3's SigV2 dialect (`Authorization: AWS …`, `AWSAccessKeyId`/`Signature`/`Expires`).
//! - `cache`: [`SigningKeyCache`], derived SigV4 signing keys per secret and scope.
//! - `datetime`: the date formats and the 15-minute skew rule.
//! - `encode`: RFC 3986 percent-encoding and lenient query decoding.
//! - `error`: [`SigError`], [`ChunkedError`] and their AWS error codes.
//!
//! Canonicalisation follows AWS exactly and is tested against AWS's SigV4 test suite and the
//! official `aws-sigv4` signer; see `tests/`.

pub mod canonical;
pub mod chunked;

mod cache;
mod datetime;
mod encode;
mod error;
mod v2;
mod v2s3;
mod v4;

use std::fmt;
use std::time::SystemTime;

pub use cache::SigningKeyCache;
pub use error::{ChunkedError, SigError};
pub use v4::{signing_key, string_to_sign, ALGORITHM, MAX_EXPIRES_SECS, UNSIGNED_PAYLOAD};

/// A request as received, borrowed from whatever HTTP library the caller uses.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The method as sent, e.g. `POST`.
    pub method: &'a str,
    /// The path as received, still percent-encoded, without the query.
    pub path: &'a str,
    /// The raw query string without `?`; may be empty.
    pub query: &'a str,
    /// Header names in any case, values as received; a header sent several times appears
    /// several times. Must include `host` (for HTTP/2, the `:authority`).
    pub headers: &'a [(&'a str, &'a str)],
    /// Decoded `application/x-www-form-urlencoded` body parameters, for SigV2 POST requests;
    /// `None` for other bodies.
    pub form_params: Option<&'a [(String, String)]>,
}

impl<'a> Request<'a> {
    /// The value of a header that must appear at most once (names compare case-insensitively).
    fn single_header(&self, name: &str) -> Result<Option<&'a str>, SigError> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v);
        let first = values.next();
        if values.next().is_some() {
            return Err(SigError::MalformedAuthorization(format!(
                "Header '{name}' appears more than once"
            )));
        }
        Ok(first)
    }
}

/// Which form of signature a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// SigV4 in the `Authorization` header.
    V4Header,
    /// SigV4 in the query string (`X-Amz-Signature`).
    V4Presigned,
    /// SigV2 in the query string or form body (`Signature`, `SignatureVersion=2`).
    V2Query,
    /// S3's SigV2 in the `Authorization` header (`AWS AKID:SIGNATURE`).
    V2S3Header,
    /// S3's SigV2 presigned URL (`AWSAccessKeyId`, `Signature`, `Expires`).
    V2S3Presigned,
}

/// A signature read from a request, not yet verified.
#[derive(Clone)]
pub struct ParsedAuth {
    /// The form of the signature.
    pub scheme: Scheme,
    /// The access key id the client signed with.
    pub access_key_id: String,
    /// The credential scope's region (SigV4 only).
    pub region: Option<String>,
    /// The credential scope's service, e.g. `sts` or `s3` (SigV4 only).
    pub service: Option<String>,
    /// `X-Amz-Security-Token` (SigV4 header or query) or `SecurityToken` (SigV2).
    pub security_token: Option<String>,
    /// When the client signed: `X-Amz-Date` (or `Date`), or SigV2's `Timestamp`. `None` only for
    /// SigV2 requests that carry `Expires` instead.
    pub signed_at: Option<SystemTime>,
    /// When the signature stops being valid: presigned `X-Amz-Date + X-Amz-Expires`, or SigV2's
    /// `Expires`. `None` for header-signed and SigV2 `Timestamp` requests (the skew rule applies).
    pub expires_at: Option<SystemTime>,
    proof: Proof,
}

/// The parts of a signature only [`verify`] needs.
#[derive(Clone)]
enum Proof {
    V4(v4::V4Proof),
    V2(v2::V2Proof),
    V2S3(v2s3::S3V2Proof),
}

impl ParsedAuth {
    /// The SigV4 `SignedHeaders` list as the client sent it (`None` for SigV2). The S3 front end
    /// needs it to refuse unsigned `x-amz-*` headers.
    pub fn signed_headers(&self) -> Option<&str> {
        match &self.proof {
            Proof::V4(proof) => Some(proof.signed_headers()),
            Proof::V2(_) | Proof::V2S3(_) => None,
        }
    }
}

impl fmt::Debug for ParsedAuth {
    /// The session token is a bearer credential: it is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("scheme", &self.scheme)
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .field("service", &self.service)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("signed_at", &self.signed_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Reads the signature a request carries.
///
/// Order: an `Authorization` header (SigV4, or S3's `AWS AKID:SIGNATURE`; other algorithms are
/// [`SigError::UnsupportedAlgorithm`]), then SigV4 presigned query parameters, then S3's SigV2
/// presigned parameters, then SigV2 parameters in the query or form body.
/// `Ok(None)` means the request carries no signature at all (anonymous).
pub fn parse(req: &Request<'_>) -> Result<Option<ParsedAuth>, SigError> {
    if let Some(value) = req.single_header("authorization")? {
        if value.trim_start().starts_with("AWS ") {
            return v2s3::parse_header(req, value).map(Some);
        }
        return v4::parse_header(req, value).map(Some);
    }
    if v4::looks_presigned(req.query) {
        return v4::parse_presigned(req).map(Some);
    }
    if v2s3::looks_presigned(req.query) {
        return v2s3::parse_presigned(req).map(Some);
    }
    let params = v2::params(req);
    if v2::looks_signed(&params) {
        return v2::parse(&params).map(Some);
    }
    Ok(None)
}

/// What a successful [`verify`] established beyond "the signature matches".
#[derive(Clone, Debug, Default)]
pub struct Verified {
    chunk_signing: Option<chunked::ChunkSigning>,
}

impl Verified {
    /// The seed of an `aws-chunked` body's signature chain: present for SigV4 header-signed S3
    /// requests (whatever their `x-amz-content-sha256`), absent for presigned and SigV2 ones and
    /// for other services, which take no `aws-chunked` bodies.
    /// Pass it to [`chunked::ChunkedDecoder::new`] when `x-amz-content-sha256` names a signed
    /// streaming mode.
    pub fn chunk_signing(&self) -> Option<&chunked::ChunkSigning> {
        self.chunk_signing.as_ref()
    }

    /// Takes the seed out, for a decoder that outlives the verification result.
    pub fn into_chunk_signing(self) -> Option<chunked::ChunkSigning> {
        self.chunk_signing
    }
}

/// Verifies a parsed signature with the secret the caller resolved for `auth.access_key_id`.
///
/// `payload_sha256_hex` is the lower-case hex SHA-256 of the body as received; it is the payload
/// hash of SigV4 requests for every service except S3. For S3 the payload hash is taken from the
/// request (`x-amz-content-sha256` when header-signed, `UNSIGNED-PAYLOAD` when presigned) and the
/// caller checks the body against it; SigV2 does not sign the body. A presigned request to another
/// service with an empty body is also accepted when signed over `UNSIGNED-PAYLOAD`, as botocore
/// presigns every service that way. The time rules use `now`:
/// header-signed and SigV2 `Timestamp` requests must be within 15 minutes of it, presigned ones
/// must not be dated more than 15 minutes ahead nor be past `X-Amz-Date + X-Amz-Expires`, SigV2
/// `Expires` must not be past.
///
/// For S3 header-signed requests the `x-amz-content-sha256` value is signed literally, so
/// `UNSIGNED-PAYLOAD` and the `STREAMING-*` values verify like a hex hash; the caller then
/// decodes a streaming body with [`chunked::ChunkedDecoder`], seeded by
/// [`Verified::chunk_signing`].
pub fn verify(
    req: &Request<'_>,
    auth: &ParsedAuth,
    secret_access_key: &str,
    payload_sha256_hex: &str,
    now: SystemTime,
    cache: &SigningKeyCache,
) -> Result<Verified, SigError> {
    match &auth.proof {
        Proof::V4(proof) => v4::verify(
            req,
            auth,
            proof,
            secret_access_key,
            payload_sha256_hex,
            now,
            cache,
        ),
        Proof::V2(proof) => {
            v2::verify(req, auth, proof, secret_access_key, now).map(|()| Verified::default())
        }
        Proof::V2S3(proof) => {
            v2s3::verify(req, auth, proof, secret_access_key, now).map(|()| Verified::default())
        }
    }
}
