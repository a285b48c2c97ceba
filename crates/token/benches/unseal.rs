//! Unsealing a typical session token (assumed role, no session policy, two tags) beside a raw
//! AES-256-GCM decryption of a ciphertext of the same size (the floor any sealed format pays) and
//! the base64 decoding every token string needs.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use tessera_token::{seal, unseal, KeyRing, SealingKey, SessionClaims, SessionKind};

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

fn bench(c: &mut Criterion) {
    let ring = KeyRing::new(SealingKey::generate(1), vec![]);
    let Ok(token) = seal(&typical_claims(), ring.current()) else {
        panic!("the typical token must seal");
    };
    let sealed_len = STANDARD.decode(&token).map_or(0, |bytes| bytes.len());
    println!(
        "typical token: {} base64 characters, {sealed_len} bytes sealed",
        token.len()
    );

    c.bench_function("unseal typical token", |b| {
        b.iter(|| unseal(black_box(&token), &ring))
    });

    c.bench_function("base64 decode of the same token", |b| {
        b.iter(|| STANDARD.decode(black_box(&token)))
    });

    // The same ciphertext length as the token's body (sealed bytes less header, nonce and tag).
    let key = [7u8; 32];
    let nonce = Nonce::from([1u8; 12]);
    let cipher = Aes256Gcm::new(&key.into());
    let mut ciphertext = vec![0u8; sealed_len.saturating_sub(5 + 12 + 16)];
    let Ok(tag) = cipher.encrypt_in_place_detached(&nonce, b"head!", &mut ciphertext) else {
        panic!("encrypting the baseline must work");
    };
    c.bench_function("raw aes-256-gcm decrypt, same size", |b| {
        b.iter(|| {
            let mut buffer = ciphertext.clone();
            cipher
                .decrypt_in_place_detached(&nonce, b"head!", black_box(&mut buffer), &tag)
                .map(|()| buffer)
        })
    });
    c.bench_function("raw aes-256-gcm key setup + decrypt, same size", |b| {
        b.iter(|| {
            let mut buffer = ciphertext.clone();
            Aes256Gcm::new(black_box(&key).into())
                .decrypt_in_place_detached(&nonce, b"head!", &mut buffer, &tag)
                .map(|()| buffer)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
