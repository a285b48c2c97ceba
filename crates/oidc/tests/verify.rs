//! `verify` against tokens signed at test time with the fixture keys: what AWS accepts, what it
//! rejects, and with which error code.

mod common;

use common::*;
use serde_json::json;
use tessera_oidc::{unverified_issuer, verify, Expectations, Jwks, OidcError, MAX_TOKEN_LEN};

fn check(token: &str) -> Result<tessera_oidc::Claims, OidcError> {
    verify(token, jwks(), &expectations(), NOW)
}

#[test]
fn valid_rs256_token_yields_its_claims() {
    let claims = check(&sign_rs256(&rs_header(), &good_claims())).unwrap();
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(claims.sub, "user-123");
    assert_eq!(claims.aud, CLIENT_ID);
    assert_eq!(claims.audiences, vec![CLIENT_ID]);
    assert_eq!(claims.amr, vec!["pwd", "mfa"]);
    assert_eq!(claims.exp, NOW + 3600);
    assert_eq!(claims.iat, NOW - 60);
    assert_eq!(claims.nbf, Some(NOW - 60));
    assert_eq!(claims.extra.get("email"), Some(&json!("user@example.com")));
    assert!(
        !claims.extra.contains_key("sub"),
        "typed claims are not repeated in extra"
    );
}

#[test]
fn valid_es256_token_yields_its_claims() {
    let claims = check(&sign_es256(&es_header(), &good_claims())).unwrap();
    assert_eq!(claims.sub, "user-123");
    assert_eq!(claims.aud, CLIENT_ID);
}

#[test]
fn token_without_kid_uses_the_only_key_of_its_type() {
    let rs = sign_rs256(&json!({"alg": "RS256"}), &good_claims());
    let es = sign_es256(&json!({"alg": "ES256"}), &good_claims());
    assert!(check(&rs).is_ok());
    assert!(check(&es).is_ok());
}

#[test]
fn token_without_kid_is_refused_when_several_keys_fit() {
    let mut doc: serde_json::Value = serde_json::from_str(JWKS_JSON).unwrap();
    let mut second = doc["keys"][0].clone();
    second["kid"] = json!("rsa-2");
    doc["keys"].as_array_mut().unwrap().push(second);
    let jwks = Jwks::from_json(doc.to_string().as_bytes()).unwrap();
    let token = sign_rs256(&json!({"alg": "RS256"}), &good_claims());
    assert_eq!(
        verify(&token, &jwks, &expectations(), NOW),
        Err(OidcError::NoMatchingKey { kid: None })
    );
    // With a kid, either key is found.
    let token = sign_rs256(&json!({"alg": "RS256", "kid": "rsa-2"}), &good_claims());
    assert!(verify(&token, &jwks, &expectations(), NOW).is_ok());
}

#[test]
fn tampered_payload_is_a_bad_signature() {
    for token in [
        sign_rs256(&rs_header(), &good_claims()),
        sign_es256(&es_header(), &good_claims()),
    ] {
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload = b64(claims_with(json!({"sub": "admin"})).to_string().as_bytes());
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(check(&forged), Err(OidcError::BadSignature));
    }
}

#[test]
fn tampered_signature_is_a_bad_signature() {
    for token in [
        sign_rs256(&rs_header(), &good_claims()),
        sign_es256(&es_header(), &good_claims()),
    ] {
        let (input, signature) = token.rsplit_once('.').unwrap();
        let mut bytes =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
                .unwrap();
        bytes[10] ^= 0x01;
        let forged = format!("{input}.{}", b64(&bytes));
        let err = check(&forged).unwrap_err();
        assert_eq!(err, OidcError::BadSignature);
        assert_eq!(err.aws_code(), "InvalidIdentityToken");
    }
}

#[test]
fn truncated_signature_is_refused() {
    for token in [
        sign_rs256(&rs_header(), &good_claims()),
        sign_es256(&es_header(), &good_claims()),
    ] {
        let (input, signature) = token.rsplit_once('.').unwrap();
        let bytes =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
                .unwrap();
        let forged = format!("{input}.{}", b64(&bytes[..bytes.len() - 1]));
        assert_eq!(check(&forged), Err(OidcError::BadSignature));
    }
}

#[test]
fn token_signed_by_another_key_under_a_known_kid_is_a_bad_signature() {
    let token = sign_rs256_with(other_rsa_key(), &rs_header(), &good_claims());
    assert_eq!(check(&token), Err(OidcError::BadSignature));
}

#[test]
fn unknown_kid_finds_no_key() {
    let token = sign_rs256(
        &json!({"alg": "RS256", "kid": "rotated-away"}),
        &good_claims(),
    );
    let err = check(&token).unwrap_err();
    assert_eq!(
        err,
        OidcError::NoMatchingKey {
            kid: Some("rotated-away".into())
        }
    );
    assert_eq!(err.aws_code(), "InvalidIdentityToken");
    assert!(err
        .to_string()
        .starts_with("Couldn't retrieve verification key"));
}

#[test]
fn unsupported_algorithms_are_refused() {
    let payload = b64(good_claims().to_string().as_bytes());
    let cases = [
        // alg "none", the unsigned JWS, with an empty and with a non-empty signature part.
        ("none", String::new()),
        ("none", b64(b"x")),
        ("None", b64(b"x")),
        // HMAC with the RSA public key as the secret: the classic key-confusion forgery.
        ("HS256", b64(&[0u8; 32])),
        ("HS512", b64(&[0u8; 64])),
        ("RS384", b64(&[0u8; 256])),
        ("PS256", b64(&[0u8; 256])),
        ("ES384", b64(&[0u8; 96])),
        ("EdDSA", b64(&[0u8; 64])),
    ];
    for (alg, signature) in cases {
        let header = b64(json!({"alg": alg, "kid": "rsa-1"}).to_string().as_bytes());
        let token = format!("{header}.{payload}.{signature}");
        let err = check(&token).unwrap_err();
        assert_eq!(
            err,
            OidcError::UnsupportedAlgorithm(alg.into()),
            "alg {alg}"
        );
        assert_eq!(err.aws_code(), "InvalidIdentityToken");
    }
}

#[test]
fn alg_that_does_not_fit_the_kids_key_type_is_refused() {
    // An ES256 token naming the RSA key, and an RS256 token naming the EC key.
    let es_on_rsa = sign_es256(&json!({"alg": "ES256", "kid": "rsa-1"}), &good_claims());
    let rs_on_ec = sign_rs256(&json!({"alg": "RS256", "kid": "ec-1"}), &good_claims());
    assert_eq!(
        check(&es_on_rsa),
        Err(OidcError::NoMatchingKey {
            kid: Some("rsa-1".into())
        })
    );
    assert_eq!(
        check(&rs_on_ec),
        Err(OidcError::NoMatchingKey {
            kid: Some("ec-1".into())
        })
    );
}

#[test]
fn critical_header_extensions_are_refused() {
    let header = json!({"alg": "RS256", "kid": "rsa-1", "crit": ["b64"], "b64": false});
    let err = check(&sign_rs256(&header, &good_claims())).unwrap_err();
    assert!(matches!(err, OidcError::UnsupportedAlgorithm(_)), "{err:?}");
}

#[test]
fn expiry_is_checked_with_the_configured_leeway() {
    let token = |exp: u64| sign_es256(&es_header(), &claims_with(json!({"exp": exp})));

    let err = check(&token(NOW)).unwrap_err();
    assert_eq!(err, OidcError::Expired { now: NOW, exp: NOW });
    assert_eq!(err.aws_code(), "ExpiredTokenException");
    assert_eq!(
        err.to_string(),
        format!(
            "Token expired: current date/time {NOW} must be before the expiration date/time {NOW}"
        )
    );
    assert!(check(&token(NOW + 1)).is_ok());

    let lenient = expectations().with_leeway(tessera_oidc::AWS_EXPIRY_LEEWAY_SECS);
    assert!(verify(&token(NOW - 299), jwks(), &lenient, NOW).is_ok());
    assert_eq!(
        verify(&token(NOW - 300), jwks(), &lenient, NOW),
        Err(OidcError::Expired {
            now: NOW,
            exp: NOW - 300
        })
    );
}

#[test]
fn fractional_and_huge_numeric_dates_are_read() {
    let fractional = sign_es256(
        &es_header(),
        &claims_with(json!({"exp": (NOW as f64) + 10.5})),
    );
    assert_eq!(check(&fractional).unwrap().exp, NOW + 10);
    let huge = sign_es256(&es_header(), &claims_with(json!({"exp": 1e300})));
    assert_eq!(check(&huge).unwrap().exp, u64::MAX);
    let leeway_overflow = expectations().with_leeway(u64::MAX);
    let token = sign_es256(&es_header(), &claims_with(json!({"exp": u64::MAX})));
    assert!(verify(&token, jwks(), &leeway_overflow, NOW).is_ok());
}

#[test]
fn not_before_in_the_future_is_refused() {
    let token = sign_es256(&es_header(), &claims_with(json!({"nbf": NOW + 30})));
    let err = check(&token).unwrap_err();
    assert_eq!(
        err,
        OidcError::NotYetValid {
            now: NOW,
            nbf: NOW + 30
        }
    );
    assert_eq!(err.aws_code(), "InvalidIdentityToken");
    assert!(verify(&token, jwks(), &expectations().with_leeway(30), NOW).is_ok());
    let at_now = sign_es256(&es_header(), &claims_with(json!({"nbf": NOW})));
    assert!(check(&at_now).is_ok());
}

#[test]
fn issuer_must_match_exactly() {
    let cases = [
        "https://idp.example.com/",
        "http://idp.example.com",
        "https://IDP.example.com",
        "idp.example.com",
        "https://evil.example.com",
    ];
    for iss in cases {
        let token = sign_es256(&es_header(), &claims_with(json!({"iss": iss})));
        let err = check(&token).unwrap_err();
        assert_eq!(
            err,
            OidcError::WrongIssuer { found: iss.into() },
            "iss {iss}"
        );
        assert_eq!(
            err.to_string(),
            format!("No OpenIDConnect provider found in your account for {iss}")
        );
    }
    // An issuer registered with a trailing slash (Auth0's style) accepts exactly that.
    let token = sign_es256(
        &es_header(),
        &claims_with(json!({"iss": "https://tenant.auth0.example/"})),
    );
    let expected = Expectations::new("https://tenant.auth0.example/", [CLIENT_ID]);
    assert!(verify(&token, jwks(), &expected, NOW).is_ok());
    let without_slash = Expectations::new("https://tenant.auth0.example", [CLIENT_ID]);
    assert!(matches!(
        verify(&token, jwks(), &without_slash, NOW),
        Err(OidcError::WrongIssuer { .. })
    ));
}

#[test]
fn audience_may_be_an_array_and_must_name_a_client_id() {
    let array = claims_with(json!({"aud": ["other-api", CLIENT_ID, "third"]}));
    let claims = check(&sign_es256(&es_header(), &array)).unwrap();
    assert_eq!(claims.aud, CLIENT_ID);
    assert_eq!(claims.audiences, vec!["other-api", CLIENT_ID, "third"]);

    let two_ids = Expectations::new(ISSUER, ["third", CLIENT_ID]);
    let claims = verify(&sign_es256(&es_header(), &array), jwks(), &two_ids, NOW).unwrap();
    assert_eq!(
        claims.aud, CLIENT_ID,
        "the first of the token's audiences that is expected"
    );

    for aud in [
        json!("someone-else"),
        json!(["a", "b"]),
        json!([]),
        json!(null),
    ] {
        let token = sign_es256(&es_header(), &claims_with(json!({"aud": aud})));
        let err = check(&token).unwrap_err();
        assert_eq!(err, OidcError::IncorrectAudience, "aud {aud}");
        assert_eq!(err.to_string(), "Incorrect token audience");
    }
    let nobody = Expectations::new(ISSUER, Vec::<String>::new());
    assert_eq!(
        verify(
            &sign_es256(&es_header(), &good_claims()),
            jwks(),
            &nobody,
            NOW
        ),
        Err(OidcError::IncorrectAudience)
    );
}

#[test]
fn missing_required_claims_are_rejected_claims() {
    for name in ["sub", "iat", "exp"] {
        let token = sign_es256(&es_header(), &claims_with(json!({ name: null })));
        let err = check(&token).unwrap_err();
        assert!(
            matches!(err, OidcError::MissingClaim(n) if n == name),
            "{err:?}"
        );
        assert_eq!(err.aws_code(), "IDPRejectedClaim");
    }
    let no_iss = sign_es256(&es_header(), &claims_with(json!({"iss": null})));
    assert_eq!(check(&no_iss), Err(OidcError::MissingClaim("iss")));
    // nbf and amr are optional.
    let minimal = sign_es256(
        &es_header(),
        &claims_with(json!({"nbf": null, "amr": null})),
    );
    let claims = check(&minimal).unwrap();
    assert_eq!(claims.nbf, None);
    assert!(claims.amr.is_empty());
}

#[test]
fn ill_typed_claims_are_invalid() {
    let cases = [
        ("iss", json!(42)),
        ("sub", json!(7)),
        ("aud", json!({"x": 1})),
        ("aud", json!([1])),
        ("amr", json!(true)),
        ("exp", json!("tomorrow")),
        ("exp", json!(-1)),
        ("iat", json!(-0.5)),
        ("nbf", json!([1])),
        ("azp", json!(1)),
    ];
    for (name, value) in cases {
        let token = sign_es256(&es_header(), &claims_with(json!({ name: value })));
        let err = check(&token).unwrap_err();
        assert_eq!(err, OidcError::InvalidClaim(name), "{name} = {value}");
        assert_eq!(err.aws_code(), "InvalidIdentityToken");
    }
}

#[test]
fn malformed_tokens_are_not_valid_jwts() {
    let good = sign_es256(&es_header(), &good_claims());
    let (header, rest) = good.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let cases = [
        String::new(),
        "abc".to_string(),
        format!("{header}.{payload}"),
        format!("{good}.extra"),
        format!("{header}.{payload}."),
        format!("{header}=.{payload}.{signature}"),
        format!("{header}.{payload}.{signature}=="),
        format!("!!.{payload}.{signature}"),
        format!("{}.{payload}.{signature}", b64(b"not json")),
        format!("{}.{payload}.{signature}", b64(b"{\"kid\":\"ec-1\"}")),
        format!("{header}.{}.{signature}", b64(b"[1,2,3]")),
    ];
    for token in cases {
        let err = check(&token).unwrap_err();
        assert!(
            matches!(err, OidcError::Malformed(_) | OidcError::BadSignature),
            "{token:?}: {err:?}"
        );
        assert_eq!(err.aws_code(), "InvalidIdentityToken");
    }
    // A JSON array payload with a valid signature is still not a claims set.
    let array_payload = format!(
        "{}.{}",
        b64(es_header().to_string().as_bytes()),
        b64(b"[1,2,3]")
    );
    let signature: p256::ecdsa::Signature =
        rsa::signature::Signer::sign(ec_key(), array_payload.as_bytes());
    let token = format!("{array_payload}.{}", b64(&signature.to_bytes()));
    assert!(matches!(check(&token), Err(OidcError::Malformed(_))));
}

#[test]
fn oversize_token_fails_validation_before_parsing() {
    let long = "a".repeat(MAX_TOKEN_LEN + 1);
    let err = check(&long).unwrap_err();
    assert_eq!(
        err,
        OidcError::TokenTooLong {
            len: MAX_TOKEN_LEN + 1,
            max: 20_000
        }
    );
    assert_eq!(err.aws_code(), "ValidationError");
    // A signed token padded to just under the limit is still verified: a claim of n ASCII
    // characters adds about 4n/3 characters to the token.
    let base = sign_es256(&es_header(), &claims_with(json!({"pad": ""}))).len();
    let pad = "x".repeat((MAX_TOKEN_LEN - base) * 3 / 4 - 3);
    let token = sign_es256(&es_header(), &claims_with(json!({ "pad": pad })));
    assert!(
        (MAX_TOKEN_LEN - 8..=MAX_TOKEN_LEN).contains(&token.len()),
        "{}",
        token.len()
    );
    assert!(check(&token).is_ok());
}

#[test]
fn unverified_issuer_reads_iss_without_checking_the_signature() {
    let token = sign_rs256_with(other_rsa_key(), &rs_header(), &good_claims());
    assert_eq!(unverified_issuer(&token).unwrap(), ISSUER);
    assert!(matches!(
        unverified_issuer("a.b.c"),
        Err(OidcError::Malformed(_))
    ));
    let no_iss = sign_es256(&es_header(), &claims_with(json!({"iss": null})));
    assert_eq!(
        unverified_issuer(&no_iss),
        Err(OidcError::MissingClaim("iss"))
    );
}

#[test]
fn condition_keys_follow_aws_web_identity_federation() {
    let claims = check(&sign_es256(&es_header(), &good_claims())).unwrap();
    assert_eq!(claims.provider(), "idp.example.com");
    let keys = claims.condition_keys();
    assert_eq!(keys["idp.example.com:sub"], vec!["user-123"]);
    assert_eq!(keys["idp.example.com:aud"], vec![CLIENT_ID]);
    assert_eq!(keys["idp.example.com:amr"], vec!["pwd", "mfa"]);
    assert_eq!(keys.len(), 3);

    // A provider URL with a path keeps it (EKS-style issuers).
    let eks = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC123";
    let token = sign_es256(&es_header(), &claims_with(json!({"iss": eks, "amr": null})));
    let claims = verify(&token, jwks(), &Expectations::new(eks, [CLIENT_ID]), NOW).unwrap();
    let keys = claims.condition_keys();
    assert_eq!(
        keys.keys().collect::<Vec<_>>(),
        [
            "oidc.eks.us-east-1.amazonaws.com/id/ABC123:aud",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC123:sub"
        ]
    );
}

#[test]
fn google_tokens_match_azp_and_expose_oaud() {
    let google = Expectations::new("https://accounts.google.com", ["web-client.apps"]);
    let with_azp = claims_with(json!({
        "iss": "https://accounts.google.com",
        "aud": "server-client.apps",
        "azp": "web-client.apps",
    }));
    let claims = verify(&sign_rs256(&rs_header(), &with_azp), jwks(), &google, NOW).unwrap();
    assert_eq!(claims.aud, "web-client.apps");
    let keys = claims.condition_keys();
    assert_eq!(keys["accounts.google.com:aud"], vec!["web-client.apps"]);
    assert_eq!(keys["accounts.google.com:oaud"], vec!["server-client.apps"]);

    // Without azp, aud is matched; Google's scheme-less iss is accepted for its issuer.
    let plain = claims_with(json!({"iss": "accounts.google.com", "aud": "web-client.apps"}));
    let claims = verify(&sign_rs256(&rs_header(), &plain), jwks(), &google, NOW).unwrap();
    assert_eq!(claims.provider(), "accounts.google.com");
    assert!(!claims
        .condition_keys()
        .contains_key("accounts.google.com:oaud"));

    // With azp naming an unknown client, a known aud does not rescue the token.
    let wrong_azp = claims_with(json!({
        "iss": "https://accounts.google.com",
        "aud": "web-client.apps",
        "azp": "someone-else",
    }));
    assert_eq!(
        verify(&sign_rs256(&rs_header(), &wrong_azp), jwks(), &google, NOW),
        Err(OidcError::IncorrectAudience)
    );
    // Other issuers' azp is just an extra claim.
    let other = claims_with(json!({"azp": "someone-else"}));
    let claims = check(&sign_es256(&es_header(), &other)).unwrap();
    assert_eq!(claims.extra["azp"], "someone-else");
}
