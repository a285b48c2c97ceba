//! Property tests: no input makes the verifier panic, and no change to a signed token survives.

mod common;

use common::*;
use proptest::prelude::*;
use tessera_oidc::{unverified_issuer, verify, Jwks};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_never_panic(token in ".{0,400}") {
        let _ = verify(&token, jwks(), &expectations(), NOW);
        let _ = unverified_issuer(&token);
    }

    #[test]
    fn arbitrary_three_part_tokens_never_panic(
        header in proptest::collection::vec(any::<u8>(), 0..80),
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        signature in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let token = format!("{}.{}.{}", b64(&header), b64(&payload), b64(&signature));
        prop_assert!(verify(&token, jwks(), &expectations(), NOW).is_err());
    }

    #[test]
    fn arbitrary_json_headers_and_payloads_never_panic(
        header in json_value(),
        payload in json_value(),
        signature in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let token = format!("{}.{}", signing_input(&header, &payload), b64(&signature));
        prop_assert!(verify(&token, jwks(), &expectations(), NOW).is_err());
    }

    #[test]
    fn arbitrary_jwks_documents_never_panic(document in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Jwks::from_json(&document);
        let _ = tessera_oidc::parse_discovery(&document, ISSUER);
    }

    #[test]
    fn arbitrary_jwk_members_never_panic(
        kty in prop::sample::select(vec!["RSA", "EC", "oct", "OKP"]),
        crv in prop::sample::select(vec!["P-256", "P-384", ""]),
        n in proptest::collection::vec(any::<u8>(), 0..300),
        e in proptest::collection::vec(any::<u8>(), 0..8),
        x in proptest::collection::vec(any::<u8>(), 30..34),
        y in proptest::collection::vec(any::<u8>(), 30..34),
    ) {
        let key = serde_json::json!({
            "kty": kty, "crv": crv, "n": b64(&n), "e": b64(&e), "x": b64(&x), "y": b64(&y)
        });
        let _ = Jwks::from_json(serde_json::json!({"keys": [key]}).to_string().as_bytes());
    }
}

proptest! {
    // Each case verifies a real signature; fewer cases keep the debug-build run short.
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_single_character_change_to_a_signed_token_is_rejected(
        es in any::<bool>(),
        index in any::<prop::sample::Index>(),
        replacement in prop::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/".chars().collect::<Vec<_>>()
        ),
    ) {
        let token = if es { es_token() } else { rs_token() };
        let at = index.index(token.len());
        let mut changed = token.as_bytes().to_vec();
        prop_assume!(changed[at] != replacement as u8);
        changed[at] = replacement as u8;
        let changed = String::from_utf8(changed).unwrap();
        prop_assert!(verify(&changed, jwks(), &expectations(), NOW).is_err(), "{changed}");
    }
}

fn es_token() -> &'static str {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| sign_es256(&es_header(), &good_claims()))
}

fn rs_token() -> &'static str {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| sign_rs256(&rs_header(), &good_claims()))
}

/// Small JSON values, biased towards the shapes of JOSE headers and claim sets.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            "RS256", "ES256", "none", "HS256", "rsa-1", "ec-1", ISSUER, CLIENT_ID
        ])
        .prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(
                prop::sample::select(vec![
                    "alg", "kid", "crit", "iss", "aud", "sub", "exp", "iat", "nbf", "amr", "azp"
                ])
                .prop_map(str::to_owned),
                inner,
                0..8,
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}
