//! Sealing and unsealing session tokens through the public API: round trips, size, and every way
//! a token can be wrong (tampered, truncated, extended, foreign, unknown key, wrong version).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use proptest::prelude::*;
use tessera_token::{
    seal, unseal, unwrap_key, wrap_key, KeyRing, MasterKey, SealingKey, SessionClaims, SessionKind,
    TokenError,
};

/// An `AssumeRole` session as STS issues it: no session policy, two tags.
fn typical_claims() -> SessionClaims {
    SessionClaims {
        access_key_id: "ASIAJEXAMPLEXEG2JICE".into(),
        secret_access_key: "9drTJvcXLB89EXAMPLELB8923FB892xMFI/jdvb+".into(),
        account_id: "123456789012".into(),
        kind: SessionKind::AssumedRole,
        principal_arn: "arn:aws:sts::123456789012:assumed-role/Deployer/ci-pipeline-4821".into(),
        principal_id: "AROA3XFRBF535PLBIFPI4:ci-pipeline-4821".into(),
        parent_arn: "arn:aws:iam::123456789012:role/Deployer".into(),
        parent_id: "AROA3XFRBF535PLBIFPI4".into(),
        session_policy: None,
        policy_arns: vec![],
        tags: vec![
            ("Project".into(), "tessera".into()),
            ("CostCenter".into(), "12345".into()),
        ],
        transitive_tag_keys: vec![],
        source_identity: None,
        mfa_authenticated: false,
        issued_at: 1_700_000_000,
        expires_at: 1_700_003_600,
        chained: false,
    }
}

fn ring(id: u32, byte: u8) -> KeyRing {
    KeyRing::new(SealingKey::from_bytes(id, [byte; 32]), vec![])
}

fn sealed(claims: &SessionClaims, ring: &KeyRing) -> String {
    match seal(claims, ring.current()) {
        Ok(token) => token,
        Err(error) => panic!("sealing failed: {error}"),
    }
}

fn raw(token: &str) -> Vec<u8> {
    STANDARD.decode(token).unwrap_or_default()
}

#[test]
fn a_typical_token_round_trips_and_stays_under_1000_bytes() {
    let ring = ring(1, 1);
    let token = sealed(&typical_claims(), &ring);
    assert!(
        token.len() < 1_000,
        "typical token is {} bytes",
        token.len()
    );
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
    assert_eq!(unseal(&token, &ring), Ok(typical_claims()));
}

#[test]
fn claims_at_aws_limits_round_trip() {
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        (0..16)
            .map(|i| format!(
                r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b{i:02}/*"}}"#
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    assert!(policy.len() <= 2_048);
    let claims = SessionClaims {
        session_policy: Some(policy),
        policy_arns: (0..10)
            .map(|i| format!("arn:aws:iam::123456789012:policy/{}{i}", "p".repeat(120)))
            .collect(),
        tags: (0..50)
            .map(|i| (format!("{i:02}{}", "k".repeat(126)), "v".repeat(256)))
            .collect(),
        transitive_tag_keys: (0..50)
            .map(|i| format!("{i:02}{}", "k".repeat(126)))
            .collect(),
        source_identity: Some("s".repeat(64)),
        mfa_authenticated: true,
        chained: true,
        ..typical_claims()
    };
    let ring = ring(1, 1);
    assert_eq!(unseal(&sealed(&claims, &ring), &ring), Ok(claims));
}

#[test]
fn every_flipped_bit_is_rejected() {
    let ring = ring(1, 1);
    let bytes = raw(&sealed(&typical_claims(), &ring));
    for index in 0..bytes.len() {
        for bit in 0..8 {
            let mut tampered = bytes.clone();
            tampered[index] ^= 1 << bit;
            let result = unseal(&STANDARD.encode(&tampered), &ring);
            let expected = match index {
                0 => Err(TokenError::UnsupportedVersion(tampered[0])),
                1..=4 => Err(TokenError::UnknownKey(u32::from_be_bytes([
                    tampered[1],
                    tampered[2],
                    tampered[3],
                    tampered[4],
                ]))),
                _ => Err(TokenError::Forged),
            };
            assert_eq!(result, expected, "byte {index} bit {bit}");
        }
    }
}

#[test]
fn every_truncation_is_rejected() {
    let ring = ring(1, 1);
    let token = sealed(&typical_claims(), &ring);
    for cut in 0..token.len() {
        assert!(unseal(&token[..cut], &ring).is_err(), "string cut at {cut}");
    }
    let bytes = raw(&token);
    for cut in 0..bytes.len() {
        let result = unseal(&STANDARD.encode(&bytes[..cut]), &ring);
        assert!(result.is_err(), "bytes cut at {cut}");
    }
}

#[test]
fn trailing_garbage_and_stray_characters_are_rejected() {
    let ring = ring(1, 1);
    let token = sealed(&typical_claims(), &ring);
    let mut extended = raw(&token);
    extended.push(0);
    let cases = [
        (
            "a byte appended",
            STANDARD.encode(&extended),
            TokenError::Forged,
        ),
        (
            "characters appended",
            format!("{token}AAAA"),
            // After padding, more characters are not base64 at all.
            if token.ends_with('=') {
                TokenError::Malformed
            } else {
                TokenError::Forged
            },
        ),
        (
            "newline appended",
            format!("{token}\n"),
            TokenError::Malformed,
        ),
        ("leading space", format!(" {token}"), TokenError::Malformed),
        (
            "URL-safe alphabet",
            token.replace('+', "-").replace('/', "_") + "-_",
            TokenError::Malformed,
        ),
        ("empty", String::new(), TokenError::Malformed),
        (
            "not base64",
            "this is not a token".into(),
            TokenError::Malformed,
        ),
    ];
    for (name, candidate, expected) in cases {
        assert_eq!(unseal(&candidate, &ring), Err(expected), "{name}");
    }
}

#[test]
fn a_token_from_another_key_ring_with_the_same_id_is_forged() {
    let token = sealed(&typical_claims(), &ring(1, 1));
    assert_eq!(unseal(&token, &ring(1, 2)), Err(TokenError::Forged));
}

#[test]
fn a_token_of_an_unknown_key_id_is_refused() {
    let token = sealed(&typical_claims(), &ring(7, 1));
    assert_eq!(unseal(&token, &ring(1, 1)), Err(TokenError::UnknownKey(7)));
}

#[test]
fn a_token_with_another_version_byte_is_refused() {
    let ring = ring(1, 1);
    let mut bytes = raw(&sealed(&typical_claims(), &ring));
    for version in [0u8, 2, 0xff] {
        bytes[0] = version;
        assert_eq!(
            unseal(&STANDARD.encode(&bytes), &ring),
            Err(TokenError::UnsupportedVersion(version))
        );
    }
}

#[test]
fn older_keys_unseal_after_rotation_until_retired() {
    let mut ring = KeyRing::new(SealingKey::generate(1), vec![]);
    let before = sealed(&typical_claims(), &ring);
    ring.rotate(SealingKey::generate(2));
    let after = sealed(&typical_claims(), &ring);
    assert_eq!(raw(&after)[1..5], 2u32.to_be_bytes());
    assert_eq!(unseal(&before, &ring), Ok(typical_claims()));
    assert_eq!(unseal(&after, &ring), Ok(typical_claims()));

    assert!(ring.retire(1));
    assert_eq!(unseal(&before, &ring), Err(TokenError::UnknownKey(1)));
    assert_eq!(unseal(&after, &ring), Ok(typical_claims()));
}

#[test]
fn tokens_survive_a_restart_through_wrapped_keys() {
    let master = MasterKey::generate();
    let ring = KeyRing::new(SealingKey::generate(3), vec![SealingKey::generate(2)]);
    let token = sealed(&typical_claims(), &ring);
    let stored: Vec<(u32, Vec<u8>)> = ring
        .ids()
        .filter_map(|id| ring.get(id).map(|key| (id, wrap_key(key, &master))))
        .collect();
    drop(ring);

    let restored = MasterKey::from_bytes(master.to_bytes());
    let mut keys = stored
        .iter()
        .map(|(id, wrapped)| unwrap_key(*id, wrapped, &restored))
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_default();
    assert_eq!(keys.len(), 2);
    let current = keys.remove(0);
    let ring = KeyRing::new(current, keys);
    assert_eq!(unseal(&token, &ring), Ok(typical_claims()));
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![".{0,40}", "[ -~]{0,200}"]
}

prop_compose! {
    fn any_claims()(
        strings in proptest::collection::vec(text(), 7),
        kind in prop_oneof![
            Just(SessionKind::SessionToken),
            Just(SessionKind::Federated),
            Just(SessionKind::AssumedRole),
            Just(SessionKind::WebIdentity),
        ],
        session_policy in proptest::option::of(prop_oneof![text(), "(\\{\"Effect\":\"Allow\"\\},){0,40}"]),
        policy_arns in proptest::collection::vec(text(), 0..4),
        tags in proptest::collection::vec((text(), text()), 0..6),
        transitive_tag_keys in proptest::collection::vec(text(), 0..4),
        source_identity in proptest::option::of(text()),
        (mfa_authenticated, chained) in (any::<bool>(), any::<bool>()),
        (issued_at, expires_at) in (any::<u64>(), any::<u64>()),
    ) -> SessionClaims {
        let [access_key_id, secret_access_key, account_id, principal_arn, principal_id, parent_arn, parent_id]: [String; 7] =
            strings.try_into().unwrap_or_default();
        SessionClaims {
            access_key_id, secret_access_key, account_id, kind, principal_arn, principal_id,
            parent_arn, parent_id, session_policy, policy_arns, tags, transitive_tag_keys,
            source_identity, mfa_authenticated, issued_at, expires_at, chained,
        }
    }
}

proptest! {
    #[test]
    fn any_claims_round_trip(claims in any_claims()) {
        let ring = ring(42, 9);
        let token = seal(&claims, ring.current());
        prop_assert!(token.is_ok());
        prop_assert_eq!(token.and_then(|t| unseal(&t, &ring)), Ok(claims));
    }

    #[test]
    fn random_strings_never_unseal(token in prop_oneof![".{0,300}", "[A-Za-z0-9+/]{0,600}={0,2}"]) {
        prop_assert!(unseal(&token, &ring(1, 1)).is_err());
    }

    #[test]
    fn random_bytes_behind_a_valid_header_never_unseal(body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut bytes = vec![1, 0, 0, 0, 1];
        bytes.extend_from_slice(&body);
        prop_assert!(unseal(&STANDARD.encode(&bytes), &ring(1, 1)).is_err());
    }

    #[test]
    fn mutated_tokens_never_unseal(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let ring = ring(1, 1);
        let original = raw(&sealed(&typical_claims(), &ring));
        let mut bytes = original.clone();
        for (index, value) in edits {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let result = unseal(&STANDARD.encode(&bytes), &ring);
        if bytes == original {
            prop_assert_eq!(result, Ok(typical_claims()));
        } else {
            prop_assert!(result.is_err());
        }
    }

    #[test]
    fn mutated_token_strings_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<char>()), 1..4),
    ) {
        let ring = ring(1, 1);
        let token = sealed(&typical_claims(), &ring);
        let mut chars: Vec<char> = token.chars().collect();
        for (index, value) in edits {
            let at = index.index(chars.len());
            chars[at] = value;
        }
        let mutated: String = chars.into_iter().collect();
        let result = unseal(&mutated, &ring);
        if mutated == token {
            prop_assert_eq!(result, Ok(typical_claims()));
        } else {
            prop_assert!(result.is_err());
        }
    }
}
