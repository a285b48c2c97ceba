//! SigV4 (`AWS4-HMAC-SHA256`): the `Authorization` header form and the presigned query form.
//!
//! Owns: reading the signature parameters, the credential scope and the time rules of both forms,
//! the string to sign, the signing-key derivation and the constant-time comparison. Must never
//! look up keys (the caller resolves the access key id) or read the clock.

use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::canonical::{canonical_request, validate_signed_headers, CanonicalInputs, UriRules};
use crate::chunked::ChunkSigning;
use crate::datetime::{
    format_amz_date, parse_amz_date, parse_http_date, printable, too_skewed, MAX_SKEW,
};
use crate::encode::{decode_component, decode_text, raw_pairs};
use crate::{ParsedAuth, Proof, Request, Scheme, SigError, SigningKeyCache, Verified};

/// The only SigV4 algorithm this crate verifies.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The payload hash S3 presigned URLs sign.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The longest presigned validity AWS allows: seven days.
pub const MAX_EXPIRES_SECS: u64 = 604_800;

const SCOPE_TERMINATOR: &str = "aws4_request";

/// What a SigV4 signature commits to, beyond the request itself.
#[derive(Clone)]
pub(crate) struct V4Proof {
    /// `YYYYMMDDTHHMMSSZ`, the second line of the string to sign.
    amz_date: String,
    /// `DATE/REGION/SERVICE/aws4_request`, the third line of the string to sign.
    scope: String,
    scope_date: String,
    region: String,
    service: String,
    signed_headers: String,
    signature: [u8; 32],
    /// `Some(seconds)` for presigned requests.
    expires: Option<u64>,
}

impl V4Proof {
    pub(crate) fn signed_headers(&self) -> &str {
        &self.signed_headers
    }
}

/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut seed = Vec::with_capacity(4 + secret_access_key.len());
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret_access_key.as_bytes());
    let k_date = hmac_sha256(&seed, date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, SCOPE_TERMINATOR.as_bytes())
}

/// The SigV4 string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let mut out = String::with_capacity(ALGORITHM.len() + amz_date.len() + scope.len() + 67);
    push_string_to_sign(
        &mut out,
        amz_date,
        scope,
        &Sha256::digest(canonical_request.as_bytes()).into(),
    );
    out
}

fn push_string_to_sign(out: &mut String, amz_date: &str, scope: &str, hash: &[u8; 32]) {
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(amz_date);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    push_hex(out, hash);
}

fn push_hex(out: &mut String, bytes: &[u8; 32]) {
    let mut buf = [0u8; 64];
    // Neither step can fail: the buffer is exactly twice the input, and hex digits are ASCII.
    if hex::encode_to_slice(bytes, &mut buf).is_ok() {
        if let Ok(text) = std::str::from_utf8(&buf) {
            out.push_str(text);
        }
    }
}

pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

/// The `AKID/DATE/REGION/SERVICE/aws4_request` of a signature.
struct Credential {
    access_key_id: String,
    date: String,
    region: String,
    service: String,
}

fn parse_credential(value: &str) -> Result<Credential, SigError> {
    let malformed = |why: &str| {
        SigError::MalformedAuthorization(format!(
            "{why}; Credential must be AKID/YYYYMMDD/region/service/aws4_request, got '{}'",
            printable(value)
        ))
    };
    let parts: Vec<&str> = value.split('/').collect();
    let [akid, date, region, service, terminator] = parts[..] else {
        return Err(malformed("wrong number of '/'-separated parts"));
    };
    if akid.is_empty() {
        return Err(malformed("empty access key id"));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("invalid date"));
    }
    if region.is_empty() || service.is_empty() {
        return Err(malformed("empty region or service"));
    }
    if terminator != SCOPE_TERMINATOR {
        return Err(malformed(
            "Credential should be scoped with a valid terminator: 'aws4_request'",
        ));
    }
    Ok(Credential {
        access_key_id: akid.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    })
}

fn parse_signature_hex(value: &str) -> Result<[u8; 32], SigError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(value, &mut out).map_err(|_| {
        SigError::MalformedAuthorization("Signature must be 64 hexadecimal characters".into())
    })?;
    Ok(out)
}

/// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
pub(crate) fn parse_header(req: &Request<'_>, value: &str) -> Result<ParsedAuth, SigError> {
    let value = value.trim_matches(' ');
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    if algorithm.is_empty() {
        return Err(SigError::MalformedAuthorization(
            "Authorization header is empty".into(),
        ));
    }
    if algorithm != ALGORITHM {
        return Err(SigError::UnsupportedAlgorithm(printable(algorithm)));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for component in rest.split(',').map(|c| c.trim_matches(' ')) {
        if component.is_empty() {
            continue;
        }
        let Some((key, val)) = component.split_once('=') else {
            return Err(SigError::MalformedAuthorization(format!(
                "Authorization header component '{}' is not of the form key=value",
                printable(component)
            )));
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => {
                return Err(SigError::MalformedAuthorization(format!(
                    "Unknown Authorization header component '{}'",
                    printable(other)
                )))
            }
        };
        if slot.replace(val).is_some() {
            return Err(SigError::MalformedAuthorization(format!(
                "Authorization header component '{key}' appears more than once"
            )));
        }
    }
    let missing: Vec<&str> = [
        ("Credential", credential.is_none()),
        ("SignedHeaders", signed_headers.is_none()),
        ("Signature", signature.is_none()),
    ]
    .iter()
    .filter(|(_, absent)| *absent)
    .map(|(name, _)| *name)
    .collect();
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(SigError::IncompleteSignature(format!(
            "Authorization header requires {} parameter(s)",
            missing.join(", ")
        )));
    };
    let credential = parse_credential(credential)?;
    validate_signed_headers(signed_headers)?;
    let signature = parse_signature_hex(signature)?;
    // The string to sign carries the time as X-Amz-Date spells it (validated, so canonical).
    let (signed_at, amz_date) = match req.single_header("x-amz-date")? {
        Some(date) => (parse_amz_date(date)?, date.to_owned()),
        None => match req.single_header("date")? {
            Some(date) => {
                let t = parse_http_date(date)?;
                (t, format_amz_date(t))
            }
            None => {
                return Err(SigError::IncompleteSignature(
                    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header".into(),
                ))
            }
        },
    };
    let security_token = req
        .single_header("x-amz-security-token")?
        .map(str::to_owned);
    finish(
        Scheme::V4Header,
        credential,
        amz_date,
        signed_at.into(),
        signed_headers.to_owned(),
        signature,
        None,
        security_token,
    )
}

/// The SigV4 presigned parameters, decoded.
#[derive(Default)]
struct PresignParams {
    algorithm: Option<String>,
    credential: Option<String>,
    date: Option<String>,
    expires: Option<String>,
    signed_headers: Option<String>,
    signature: Option<String>,
    security_token: Option<String>,
}

/// Whether a query string carries a SigV4 presigned signature (or a fragment of one).
pub(crate) fn looks_presigned(query: &str) -> bool {
    raw_pairs(query).any(|(k, _)| {
        let key = decode_component(k);
        key == b"X-Amz-Algorithm" || key == b"X-Amz-Credential" || key == b"X-Amz-Signature"
    })
}

/// Parses the `X-Amz-*` parameters of a presigned URL.
pub(crate) fn parse_presigned(req: &Request<'_>) -> Result<ParsedAuth, SigError> {
    let mut p = PresignParams::default();
    for (k, v) in raw_pairs(req.query) {
        let key = decode_component(k);
        let slot = match key.as_slice() {
            b"X-Amz-Algorithm" => &mut p.algorithm,
            b"X-Amz-Credential" => &mut p.credential,
            b"X-Amz-Date" => &mut p.date,
            b"X-Amz-Expires" => &mut p.expires,
            b"X-Amz-SignedHeaders" => &mut p.signed_headers,
            b"X-Amz-Signature" => &mut p.signature,
            b"X-Amz-Security-Token" => &mut p.security_token,
            _ => continue,
        };
        if slot.replace(decode_text(v)).is_some() {
            return Err(SigError::MalformedAuthorization(format!(
                "Query parameter '{}' appears more than once",
                String::from_utf8_lossy(&key)
            )));
        }
    }
    let Some(algorithm) = p.algorithm else {
        return Err(SigError::IncompleteSignature(
            "Presigned request requires the X-Amz-Algorithm parameter".into(),
        ));
    };
    if algorithm != ALGORITHM {
        return Err(SigError::UnsupportedAlgorithm(printable(&algorithm)));
    }
    let (Some(credential), Some(date), Some(expires), Some(signed_headers), Some(signature)) = (
        p.credential,
        p.date,
        p.expires,
        p.signed_headers,
        p.signature,
    ) else {
        return Err(SigError::IncompleteSignature(
            "Presigned request requires X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature".into(),
        ));
    };
    let credential = parse_credential(&credential)?;
    validate_signed_headers(&signed_headers)?;
    let signature = parse_signature_hex(&signature)?;
    let signed_at = parse_amz_date(&date)?;
    if expires.is_empty() || !expires.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SigError::MalformedAuthorization(
            "X-Amz-Expires must be a number of seconds".into(),
        ));
    }
    let expires = match expires.parse::<u64>() {
        Ok(secs @ 1..=MAX_EXPIRES_SECS) => secs,
        _ => return Err(SigError::ExpiresOutOfRange),
    };
    let security_token = match p.security_token {
        Some(token) => Some(token),
        None => req
            .single_header("x-amz-security-token")?
            .map(str::to_owned),
    };
    finish(
        Scheme::V4Presigned,
        credential,
        date,
        signed_at.into(),
        signed_headers,
        signature,
        Some(expires),
        security_token,
    )
}

#[allow(clippy::too_many_arguments)] // one private constructor shared by the two forms
fn finish(
    scheme: Scheme,
    credential: Credential,
    amz_date: String,
    signed_at: SystemTime,
    signed_headers: String,
    signature: [u8; 32],
    expires: Option<u64>,
    security_token: Option<String>,
) -> Result<ParsedAuth, SigError> {
    if amz_date.get(..8) != Some(credential.date.as_str()) {
        return Err(SigError::CredentialDateMismatch);
    }
    Ok(ParsedAuth {
        scheme,
        access_key_id: credential.access_key_id,
        region: Some(credential.region.clone()),
        service: Some(credential.service.clone()),
        security_token,
        signed_at: Some(signed_at),
        expires_at: expires.and_then(|secs| signed_at.checked_add(Duration::from_secs(secs))),
        proof: Proof::V4(V4Proof {
            scope: format!(
                "{}/{}/{}/{SCOPE_TERMINATOR}",
                credential.date, credential.region, credential.service
            ),
            amz_date,
            scope_date: credential.date,
            region: credential.region,
            service: credential.service,
            signed_headers,
            signature,
            expires,
        }),
    })
}

/// Checks the time rules, rebuilds the canonical request and compares signatures.
pub(crate) fn verify(
    req: &Request<'_>,
    auth: &ParsedAuth,
    proof: &V4Proof,
    secret_access_key: &str,
    payload_sha256_hex: &str,
    now: SystemTime,
    cache: &SigningKeyCache,
) -> Result<Verified, SigError> {
    let signed_at = auth.signed_at.unwrap_or(SystemTime::UNIX_EPOCH);
    match proof.expires {
        None => {
            if too_skewed(signed_at, now) {
                return Err(SigError::RequestTimeTooSkewed);
            }
        }
        Some(_) => {
            if signed_at
                .duration_since(now)
                .is_ok_and(|ahead| ahead > MAX_SKEW)
            {
                return Err(SigError::RequestTimeTooSkewed);
            }
            if auth.expires_at.is_none_or(|end| now > end) {
                return Err(SigError::Expired);
            }
        }
    }
    let is_s3 = proof.service == "s3";
    let presigned = proof.expires.is_some();
    let payload_hash = match (is_s3, presigned) {
        (true, true) => UNSIGNED_PAYLOAD,
        (true, false) => req
            .single_header("x-amz-content-sha256")?
            .ok_or(SigError::MissingContentSha256)?,
        (false, _) => payload_sha256_hex,
    };
    let key = cache.signing_key(
        secret_access_key,
        &proof.scope_date,
        &proof.region,
        &proof.service,
    );
    let mut buf = String::with_capacity(1024);
    if signature_matches(req, proof, payload_hash, &key, &mut buf) {
        // Only S3 takes aws-chunked bodies, and only in the header form (presigned URLs sign
        // UNSIGNED-PAYLOAD); other services' hot path is spared the allocations.
        let chunk_signing = (is_s3 && !presigned).then(|| {
            ChunkSigning::new(
                key,
                proof.amz_date.clone(),
                proof.scope.clone(),
                proof.signature,
            )
        });
        return Ok(Verified { chunk_signing });
    }
    // SDKs disagree on the payload hash of presigned requests to services other than S3: the Go
    // and Rust signers hash the body, botocore always signs UNSIGNED-PAYLOAD. Both are accepted,
    // the latter only for an empty body so that a presigned body is never left unsigned.
    if presigned && !is_s3 && payload_sha256_hex == EMPTY_SHA256 {
        buf.clear();
        if signature_matches(req, proof, UNSIGNED_PAYLOAD, &key, &mut buf) {
            return Ok(Verified::default());
        }
    }
    Err(SigError::SignatureDoesNotMatch)
}

/// Hex SHA-256 of the empty string.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Rebuilds canonical request and string to sign in `buf` and compares in constant time.
fn signature_matches(
    req: &Request<'_>,
    proof: &V4Proof,
    payload_hash: &str,
    key: &[u8; 32],
    buf: &mut String,
) -> bool {
    let inputs = CanonicalInputs {
        signed_headers: &proof.signed_headers,
        payload_hash,
        rules: UriRules::for_service(&proof.service),
        exclude_query_key: proof.expires.map(|_| "X-Amz-Signature"),
    };
    canonical_request(req, &inputs, buf);
    let hash: [u8; 32] = Sha256::digest(buf.as_bytes()).into();
    buf.clear();
    push_string_to_sign(buf, &proof.amz_date, &proof.scope, &hash);
    let expected = hmac_sha256(key, buf.as_bytes());
    bool::from(expected.ct_eq(&proof.signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_matches_aws_documentation_example() {
        // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn credential_table() {
        assert!(parse_credential("AKID/20150830/us-east-1/sts/aws4_request").is_ok());
        for bad in [
            "",
            "AKID",
            "AKID/20150830/us-east-1/sts",
            "AKID/20150830/us-east-1/sts/aws4_request/x",
            "/20150830/us-east-1/sts/aws4_request",
            "AKID/2015083/us-east-1/sts/aws4_request",
            "AKID/2015083x/us-east-1/sts/aws4_request",
            "AKID/20150830//sts/aws4_request",
            "AKID/20150830/us-east-1//aws4_request",
            "AKID/20150830/us-east-1/sts/aws4_requesT",
        ] {
            assert!(parse_credential(bad).is_err(), "{bad:?}");
        }
    }
}
