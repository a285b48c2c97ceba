//! Discovery documents: reading `issuer` and `jwks_uri`, and refusing documents that would point
//! one issuer's tokens at another issuer's keys.

use tessera_oidc::{discovery_url, parse_discovery, OidcError, MAX_DISCOVERY_BYTES};

const ISSUER: &str = "https://idp.example.com";

#[test]
fn discovery_document_yields_issuer_and_jwks_uri() {
    let doc = br#"{
        "issuer": "https://idp.example.com",
        "jwks_uri": "https://idp.example.com/keys",
        "authorization_endpoint": "https://idp.example.com/authorize",
        "id_token_signing_alg_values_supported": ["RS256", "ES256"]
    }"#;
    let parsed = parse_discovery(doc, ISSUER).unwrap();
    assert_eq!(parsed.issuer, ISSUER);
    assert_eq!(parsed.jwks_uri, "https://idp.example.com/keys");
    assert_eq!(
        parsed.id_token_signing_alg_values_supported,
        ["RS256", "ES256"]
    );

    let minimal = br#"{"issuer":"https://idp.example.com","jwks_uri":"http://127.0.0.1:9/jwks"}"#;
    assert!(parse_discovery(minimal, ISSUER)
        .unwrap()
        .id_token_signing_alg_values_supported
        .is_empty());
}

#[test]
fn bad_discovery_documents_are_refused() {
    let big = format!(
        r#"{{"issuer":"{ISSUER}","jwks_uri":"https://idp.example.com/keys","x":"{}"}}"#,
        "x".repeat(MAX_DISCOVERY_BYTES)
    );
    let cases: [(&str, Vec<u8>); 6] = [
        (
            "other issuer",
            br#"{"issuer":"https://evil.example.com","jwks_uri":"https://evil.example.com/k"}"#
                .to_vec(),
        ),
        (
            "trailing slash differs",
            br#"{"issuer":"https://idp.example.com/","jwks_uri":"https://idp.example.com/k"}"#
                .to_vec(),
        ),
        (
            "no jwks_uri",
            br#"{"issuer":"https://idp.example.com"}"#.to_vec(),
        ),
        (
            "jwks_uri not http(s)",
            br#"{"issuer":"https://idp.example.com","jwks_uri":"file:///etc/passwd"}"#.to_vec(),
        ),
        ("not JSON", b"not json".to_vec()),
        ("too large", big.into_bytes()),
    ];
    for (what, document) in cases {
        let err = parse_discovery(&document, ISSUER).unwrap_err();
        assert!(
            matches!(err, OidcError::InvalidDiscovery(_)),
            "{what}: {err:?}"
        );
    }
}

#[test]
fn discovery_url_appends_the_well_known_path() {
    let cases = [
        (
            "https://idp.example.com",
            "https://idp.example.com/.well-known/openid-configuration",
        ),
        (
            "https://tenant.auth0.example/",
            "https://tenant.auth0.example/.well-known/openid-configuration",
        ),
        (
            "https://idp.example.com/realms/x",
            "https://idp.example.com/realms/x/.well-known/openid-configuration",
        ),
    ];
    for (issuer, url) in cases {
        assert_eq!(discovery_url(issuer), url);
    }
}
