//! [`Jwks`]: an issuer's signing keys, parsed from its JSON Web Key Set (RFC 7517) once, so that
//! verifying a token costs only the signature check.
//!
//! This module owns which keys are usable: RSA (2048–8192-bit modulus) and EC P-256 signing keys.
//! Keys it cannot use (other types and curves, encryption keys, keys for other algorithms,
//! malformed entries) are skipped rather than fatal, because issuers publish such keys next to
//! the ones that sign ID tokens. It must never fetch anything: the document comes from the caller.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use p256::ecdsa::VerifyingKey as EcVerifyingKey;
use rsa::traits::PublicKeyParts as _;
use rsa::{BigUint, RsaPublicKey};
use serde::Deserialize;
use sha2::Sha256;

use crate::error::OidcError;

/// The JWS algorithms this crate verifies (the two AWS documents for OIDC ID tokens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
}

impl Algorithm {
    /// The algorithm named by a JOSE `alg` value, if this crate supports it.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "RS256" => Some(Algorithm::Rs256),
            "ES256" => Some(Algorithm::Es256),
            _ => None,
        }
    }

    /// The JOSE `alg` value.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Es256 => "ES256",
        }
    }
}

/// A verification key, ready to use.
#[derive(Debug, Clone)]
pub(crate) enum PublicKey {
    Rsa(rsa::pkcs1v15::VerifyingKey<Sha256>),
    Ec(EcVerifyingKey),
}

/// One usable signing key of a [`Jwks`].
#[derive(Debug, Clone)]
pub struct Jwk {
    kid: Option<String>,
    key: PublicKey,
}

impl Jwk {
    /// The key id (`kid`), if the JWKS gave one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The one algorithm this key verifies: a key's type fixes it (RSA → RS256, P-256 → ES256),
    /// which is what makes an `alg`/key-type mismatch impossible to exploit.
    pub fn algorithm(&self) -> Algorithm {
        match self.key {
            PublicKey::Rsa(_) => Algorithm::Rs256,
            PublicKey::Ec(_) => Algorithm::Es256,
        }
    }

    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.key
    }
}

/// An issuer's usable signing keys.
#[derive(Debug, Clone)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

/// The raw shape of one JWKS entry; every field optional so that one odd key cannot make the
/// whole document fail to parse.
#[derive(Deserialize)]
struct RawJwk {
    kty: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<serde_json::Value>,
}

impl Jwks {
    /// Largest JWKS document accepted, in bytes.
    pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
    /// Most keys a JWKS may list (usable or not).
    pub const MAX_KEYS: usize = 100;
    /// Smallest RSA modulus accepted, in bits.
    pub const MIN_RSA_BITS: usize = 2048;
    /// Largest RSA modulus accepted, in bits; bounds the cost of one verification.
    pub const MAX_RSA_BITS: usize = 8192;

    /// Parses a JWKS document (`{"keys":[…]}`).
    ///
    /// Fails if the document is too large, not a JWKS, lists more than [`Jwks::MAX_KEYS`] keys,
    /// or has no usable key at all (an issuer whose tokens could never verify is a configuration
    /// error worth reporting at once).
    pub fn from_json(document: &[u8]) -> Result<Jwks, OidcError> {
        if document.len() > Self::MAX_DOCUMENT_BYTES {
            return Err(OidcError::InvalidJwks("document larger than 256 KiB"));
        }
        let raw: RawJwks = serde_json::from_slice(document)
            .map_err(|_| OidcError::InvalidJwks("not a JWKS document"))?;
        if raw.keys.len() > Self::MAX_KEYS {
            return Err(OidcError::InvalidJwks("more than 100 keys"));
        }
        let keys: Vec<Jwk> = raw.keys.into_iter().filter_map(usable_key).collect();
        if keys.is_empty() {
            return Err(OidcError::InvalidJwks(
                "no usable RS256 or ES256 signing key",
            ));
        }
        Ok(Jwks { keys })
    }

    /// The usable keys, in document order.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// The key that verifies a token signed with `alg` and carrying `kid`.
    ///
    /// With a `kid`, the first key with that id whose type fits `alg`. Without one, the only key
    /// whose type fits `alg`; several would leave the choice to guesswork, so that is an error.
    pub(crate) fn select(&self, alg: Algorithm, kid: Option<&str>) -> Result<&Jwk, OidcError> {
        let mut candidates = self.keys.iter().filter(|k| k.algorithm() == alg);
        let found = match kid {
            Some(kid) => candidates.find(|k| k.kid() == Some(kid)),
            None => match (candidates.next(), candidates.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            },
        };
        found.ok_or_else(|| OidcError::NoMatchingKey {
            kid: kid.map(str::to_owned),
        })
    }
}

/// The usable key an entry describes, or `None` to skip it.
fn usable_key(value: serde_json::Value) -> Option<Jwk> {
    let raw: RawJwk = serde_json::from_value(value).ok()?;
    if raw.use_.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    let key = match raw.kty.as_deref()? {
        "RSA" => rsa_key(&raw)?,
        "EC" => ec_key(&raw)?,
        _ => return None,
    };
    let jwk = Jwk { kid: raw.kid, key };
    // A key pinned to another algorithm (RS384, PS256, ES256 on an RSA key…) must not verify
    // RS256/ES256 tokens.
    match raw.alg.as_deref() {
        None => Some(jwk),
        Some(alg) if Algorithm::from_name(alg) == Some(jwk.algorithm()) => Some(jwk),
        Some(_) => None,
    }
}

fn rsa_key(raw: &RawJwk) -> Option<PublicKey> {
    let n = decode_b64url(raw.n.as_deref()?)?;
    let e = decode_b64url(raw.e.as_deref()?)?;
    let key = RsaPublicKey::new_with_max_size(
        BigUint::from_bytes_be(&n),
        BigUint::from_bytes_be(&e),
        Jwks::MAX_RSA_BITS,
    )
    .ok()?;
    if key.n().bits() < Jwks::MIN_RSA_BITS {
        return None;
    }
    Some(PublicKey::Rsa(rsa::pkcs1v15::VerifyingKey::new(key)))
}

fn ec_key(raw: &RawJwk) -> Option<PublicKey> {
    if raw.crv.as_deref()? != "P-256" {
        return None;
    }
    let x = decode_b64url(raw.x.as_deref()?)?;
    let y = decode_b64url(raw.y.as_deref()?)?;
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    // SEC1 uncompressed point: 0x04 ‖ x ‖ y; parsing checks the point is on the curve.
    let mut sec1 = Vec::with_capacity(65);
    sec1.push(0x04);
    sec1.extend_from_slice(&x);
    sec1.extend_from_slice(&y);
    EcVerifyingKey::from_sec1_bytes(&sec1)
        .ok()
        .map(PublicKey::Ec)
}

/// Decodes unpadded base64url (RFC 7515 §2), rejecting padding and non-canonical trailing bits.
pub(crate) fn decode_b64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}
