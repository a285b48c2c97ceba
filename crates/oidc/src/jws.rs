//! The compact JWS serialization (RFC 7515 §7.1): splitting a token into header, payload and
//! signature, reading the protected header, and checking the signature with a [`Jwk`].
//!
//! This module owns the rules that keep algorithm confusion out: only RS256 and ES256, never
//! `none` or HMAC, the key's type (not the header) decides how the signature is checked, and a
//! header with `crit` extensions is refused. It must never look at claims.

use rsa::signature::Verifier as _;
use serde::Deserialize;

use crate::error::OidcError;
use crate::jwks::{decode_b64url, Algorithm, Jwk, PublicKey};

/// Longest token accepted, in bytes: the `WebIdentityToken` limit of `AssumeRoleWithWebIdentity`.
pub const MAX_TOKEN_LEN: usize = 20_000;

/// A token split into its parts, its header read, its signature not yet checked.
pub(crate) struct CompactJws<'a> {
    /// `BASE64URL(header) '.' BASE64URL(payload)`: the bytes the signature covers.
    signing_input: &'a str,
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    pub(crate) payload: Vec<u8>,
    signature: Vec<u8>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
}

/// Splits and decodes `token`; fails on anything but a well-formed RS256/ES256 compact JWS.
pub(crate) fn parse(token: &str) -> Result<CompactJws<'_>, OidcError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(OidcError::TokenTooLong {
            len: token.len(),
            max: MAX_TOKEN_LEN,
        });
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(OidcError::Malformed("not three dot-separated parts"));
    };
    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];

    let header_json =
        decode_b64url(header_b64).ok_or(OidcError::Malformed("header is not base64url"))?;
    let header: Header = serde_json::from_slice(&header_json)
        .map_err(|_| OidcError::Malformed("header is not a JOSE header"))?;
    let alg = Algorithm::from_name(&header.alg)
        .ok_or_else(|| OidcError::UnsupportedAlgorithm(header.alg.clone()))?;
    if header.crit.is_some() {
        // RFC 7515 §4.1.11: a recipient that does not understand a critical extension must reject.
        return Err(OidcError::UnsupportedAlgorithm(format!(
            "{} with critical header extensions",
            header.alg
        )));
    }

    let payload =
        decode_b64url(payload_b64).ok_or(OidcError::Malformed("payload is not base64url"))?;
    let signature =
        decode_b64url(signature_b64).ok_or(OidcError::Malformed("signature is not base64url"))?;
    if signature.is_empty() {
        return Err(OidcError::Malformed("empty signature"));
    }
    Ok(CompactJws {
        signing_input,
        alg,
        kid: header.kid,
        payload,
        signature,
    })
}

impl CompactJws<'_> {
    /// Checks the signature with `key`, using the algorithm the key's type fixes.
    pub(crate) fn verify_signature(&self, key: &Jwk) -> Result<(), OidcError> {
        if key.algorithm() != self.alg {
            return Err(OidcError::NoMatchingKey {
                kid: self.kid.clone(),
            });
        }
        let message = self.signing_input.as_bytes();
        let ok = match key.public_key() {
            PublicKey::Rsa(vk) => rsa::pkcs1v15::Signature::try_from(self.signature.as_slice())
                .is_ok_and(|sig| vk.verify(message, &sig).is_ok()),
            PublicKey::Ec(vk) => p256::ecdsa::Signature::from_slice(&self.signature)
                .is_ok_and(|sig| vk.verify(message, &sig).is_ok()),
        };
        if ok {
            Ok(())
        } else {
            Err(OidcError::BadSignature)
        }
    }
}
