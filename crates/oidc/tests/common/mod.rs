//! A minimal JWS signer for the tests: the fixture keys under `tests/fixtures/`, and compact
//! tokens built from any header and payload (including ones a real issuer would never sign).

#![allow(dead_code)] // each test binary uses a different part of this helper

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use p256::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use serde_json::{json, Value};
use sha2::Sha256;
use tessera_oidc::{Expectations, Jwks};

pub const ISSUER: &str = "https://idp.example.com";
pub const CLIENT_ID: &str = "tessera-client";
/// A fixed "now" for the tests: 2026-01-01T00:00:00Z.
pub const NOW: u64 = 1_767_225_600;

pub const JWKS_JSON: &str = include_str!("../fixtures/jwks.json");

pub fn rsa_key() -> &'static rsa::RsaPrivateKey {
    static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| pem_rsa(include_str!("../fixtures/rsa-2048.pem")))
}

pub fn other_rsa_key() -> &'static rsa::RsaPrivateKey {
    static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| pem_rsa(include_str!("../fixtures/rsa-2048-other.pem")))
}

pub fn ec_key() -> &'static p256::ecdsa::SigningKey {
    static KEY: OnceLock<p256::ecdsa::SigningKey> = OnceLock::new();
    KEY.get_or_init(|| {
        p256::ecdsa::SigningKey::from_pkcs8_pem(include_str!("../fixtures/ec-p256.pem"))
            .expect("fixture EC key parses")
    })
}

fn pem_rsa(pem: &str) -> rsa::RsaPrivateKey {
    use rsa::pkcs8::DecodePrivateKey as _;
    rsa::RsaPrivateKey::from_pkcs8_pem(pem).expect("fixture RSA key parses")
}

pub fn jwks() -> &'static Jwks {
    static JWKS: OnceLock<Jwks> = OnceLock::new();
    JWKS.get_or_init(|| Jwks::from_json(JWKS_JSON.as_bytes()).expect("fixture JWKS parses"))
}

pub fn expectations() -> Expectations {
    Expectations::new(ISSUER, [CLIENT_ID])
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `BASE64URL(header) '.' BASE64URL(payload)`.
pub fn signing_input(header: &Value, payload: &Value) -> String {
    format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    )
}

pub fn sign_rs256_with(key: &rsa::RsaPrivateKey, header: &Value, payload: &Value) -> String {
    let input = signing_input(header, payload);
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone());
    let signature = signer.sign(input.as_bytes()).to_vec();
    format!("{input}.{}", b64(&signature))
}

pub fn sign_rs256(header: &Value, payload: &Value) -> String {
    sign_rs256_with(rsa_key(), header, payload)
}

pub fn sign_es256(header: &Value, payload: &Value) -> String {
    let input = signing_input(header, payload);
    let signature: p256::ecdsa::Signature = ec_key().sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

/// Claims a real issuer would put in an ID token valid at [`NOW`].
pub fn good_claims() -> Value {
    json!({
        "iss": ISSUER,
        "sub": "user-123",
        "aud": CLIENT_ID,
        "exp": NOW + 3600,
        "iat": NOW - 60,
        "nbf": NOW - 60,
        "amr": ["pwd", "mfa"],
        "email": "user@example.com",
    })
}

pub fn rs_header() -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": "rsa-1"})
}

pub fn es_header() -> Value {
    json!({"alg": "ES256", "typ": "JWT", "kid": "ec-1"})
}

/// `good_claims()` with `changes` applied (a `null` value removes the claim).
pub fn claims_with(changes: Value) -> Value {
    let mut claims = good_claims();
    let (Value::Object(target), Value::Object(changes)) = (&mut claims, changes) else {
        panic!("claims_with takes an object");
    };
    for (name, value) in changes {
        if value.is_null() {
            target.remove(&name);
        } else {
            target.insert(name, value);
        }
    }
    claims
}
