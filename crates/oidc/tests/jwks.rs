//! `Jwks::from_json`: which keys of a JWKS are usable, and which documents are refused.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use tessera_oidc::{Algorithm, Jwks, OidcError};

fn fixture_keys() -> Vec<Value> {
    let doc: Value = serde_json::from_str(common::JWKS_JSON).unwrap();
    doc["keys"].as_array().unwrap().clone()
}

fn rsa_jwk() -> Value {
    fixture_keys()[0].clone()
}

fn ec_jwk() -> Value {
    fixture_keys()[1].clone()
}

fn with(mut key: Value, changes: Value) -> Value {
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            key.as_object_mut().unwrap().remove(name);
        } else {
            key[name] = value.clone();
        }
    }
    key
}

/// An RSA modulus of `bits` bits (odd, top bit set): enough for the size checks.
fn modulus(bits: usize) -> String {
    let mut n = vec![0xABu8; bits / 8];
    n[0] = 0xC1;
    URL_SAFE_NO_PAD.encode(n)
}

/// The same bytes in standard base64 (`+`, `/`), which JWKs must not use.
fn standard_base64(b64url: &Value) -> String {
    let text = b64url.as_str().unwrap();
    assert!(
        text.contains(['-', '_']),
        "the fixture modulus exercises the difference"
    );
    text.replace('-', "+").replace('_', "/")
}

fn parse(keys: Vec<Value>) -> Result<Jwks, OidcError> {
    Jwks::from_json(json!({ "keys": keys }).to_string().as_bytes())
}

#[test]
fn fixture_jwks_yields_one_rsa_and_one_ec_key() {
    let jwks = common::jwks();
    let summary: Vec<_> = jwks
        .keys()
        .iter()
        .map(|k| (k.kid(), k.algorithm()))
        .collect();
    assert_eq!(
        summary,
        [
            (Some("rsa-1"), Algorithm::Rs256),
            (Some("ec-1"), Algorithm::Es256)
        ]
    );
}

#[test]
fn unusable_keys_are_skipped_not_fatal() {
    let skipped = [
        ("encryption key", with(rsa_jwk(), json!({"use": "enc"}))),
        (
            "unknown kty",
            json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
        ),
        ("symmetric key", json!({"kty": "oct", "k": "c2VjcmV0"})),
        ("no kty", json!({"kid": "x", "n": "AQAB", "e": "AQAB"})),
        ("not an object", json!("RSA")),
        ("kty not a string", json!({"kty": 7})),
        ("RSA for RS384", with(rsa_jwk(), json!({"alg": "RS384"}))),
        (
            "RSA claiming ES256",
            with(rsa_jwk(), json!({"alg": "ES256"})),
        ),
        ("EC claiming RS256", with(ec_jwk(), json!({"alg": "RS256"}))),
        ("RSA 1024-bit", with(rsa_jwk(), json!({"n": modulus(1024)}))),
        ("RSA 2040-bit", with(rsa_jwk(), json!({"n": modulus(2040)}))),
        ("RSA 8200-bit", with(rsa_jwk(), json!({"n": modulus(8200)}))),
        ("RSA e = 1", with(rsa_jwk(), json!({"e": "AQ"}))),
        ("RSA no n", with(rsa_jwk(), json!({"n": null}))),
        ("RSA padded base64", with(rsa_jwk(), json!({"e": "AQAB=="}))),
        (
            "RSA standard base64",
            with(rsa_jwk(), json!({"n": standard_base64(&rsa_jwk()["n"])})),
        ),
        ("EC P-384", with(ec_jwk(), json!({"crv": "P-384"}))),
        ("EC no crv", with(ec_jwk(), json!({"crv": null}))),
        (
            "EC short x",
            with(ec_jwk(), json!({"x": URL_SAFE_NO_PAD.encode([1u8; 31])})),
        ),
        (
            "EC point off the curve",
            with(ec_jwk(), json!({"y": URL_SAFE_NO_PAD.encode([1u8; 32])})),
        ),
    ];
    for (what, key) in skipped {
        let jwks = parse(vec![key, ec_jwk()]).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(jwks.keys().len(), 1, "{what} should be skipped");
        assert_eq!(jwks.keys()[0].kid(), Some("ec-1"), "{what}");
    }
}

#[test]
fn usable_variants_are_kept() {
    let kept = [
        (
            "no use, no alg, no kid",
            with(rsa_jwk(), json!({"use": null, "alg": null, "kid": null})),
        ),
        ("RSA 8192-bit", with(rsa_jwk(), json!({"n": modulus(8192)}))),
        ("EC with alg", ec_jwk()),
        (
            "extra members",
            with(ec_jwk(), json!({"key_ops": ["verify"], "x5t": "abc"})),
        ),
    ];
    for (what, key) in kept {
        let jwks = parse(vec![key]).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(jwks.keys().len(), 1, "{what}");
    }
}

#[test]
fn unusable_documents_are_refused() {
    let too_many = vec![ec_jwk(); Jwks::MAX_KEYS + 1];
    let big = format!(
        "{{\"keys\":[{}],\"pad\":\"{}\"}}",
        ec_jwk(),
        "x".repeat(Jwks::MAX_DOCUMENT_BYTES)
    );
    let cases: [(&str, Vec<u8>); 7] = [
        (
            "too many keys",
            json!({ "keys": too_many }).to_string().into_bytes(),
        ),
        ("too large", big.into_bytes()),
        ("not JSON", b"<html>".to_vec()),
        ("no keys member", b"{}".to_vec()),
        ("keys not an array", br#"{"keys":{}}"#.to_vec()),
        (
            "no usable key",
            json!({"keys": [with(rsa_jwk(), json!({"use": "enc"}))]})
                .to_string()
                .into_bytes(),
        ),
        ("empty", b"{\"keys\":[]}".to_vec()),
    ];
    for (what, document) in cases {
        let err = Jwks::from_json(&document).unwrap_err();
        assert!(matches!(err, OidcError::InvalidJwks(_)), "{what}: {err:?}");
        assert_eq!(err.aws_code(), "InvalidIdentityToken");
    }
    assert_eq!(
        parse(vec![ec_jwk(); Jwks::MAX_KEYS]).unwrap().keys().len(),
        100
    );
}
