//! Keys and secrets at rest under the master key: wrapping sealing keys for the store and
//! encrypting IAM's long-term secrets, each bound to its context.

use tessera_token::{
    decrypt_secret, encrypt_secret, unwrap_key, wrap_key, MasterKey, SealingKey, TokenError,
};

fn unwrapped_bytes(id: u32, wrapped: &[u8], master: &MasterKey) -> Result<[u8; 32], TokenError> {
    unwrap_key(id, wrapped, master).map(|key| key.to_bytes())
}

#[test]
fn a_wrapped_key_unwraps_under_its_id_and_master_only() {
    let master = MasterKey::generate();
    let key = SealingKey::generate(12);
    let wrapped = wrap_key(&key, &master);
    assert!(
        !wrapped.windows(32).any(|w| w == key.to_bytes()),
        "key bytes appear in the clear"
    );
    assert_ne!(
        wrap_key(&key, &master),
        wrapped,
        "each wrap uses a fresh nonce"
    );

    let unwrapped = unwrap_key(12, &wrapped, &master);
    assert_eq!(unwrapped.as_ref().map(|k| k.id), Ok(12));
    assert_eq!(unwrapped.map(|k| k.to_bytes()), Ok(key.to_bytes()));

    let cases = [
        (
            "another id",
            unwrapped_bytes(13, &wrapped, &master),
            TokenError::Forged,
        ),
        (
            "another master",
            unwrapped_bytes(12, &wrapped, &MasterKey::generate()),
            TokenError::Forged,
        ),
        (
            "empty",
            unwrapped_bytes(12, &[], &master),
            TokenError::Malformed,
        ),
    ];
    for (name, result, expected) in cases {
        assert_eq!(result, Err(expected), "{name}");
    }
}

#[test]
fn a_tampered_or_truncated_wrapped_key_is_refused() {
    let master = MasterKey::generate();
    let wrapped = wrap_key(&SealingKey::generate(1), &master);
    for index in 0..wrapped.len() {
        let mut tampered = wrapped.clone();
        tampered[index] ^= 0x01;
        let expected = if index == 0 {
            TokenError::UnsupportedVersion(tampered[0])
        } else {
            TokenError::Forged
        };
        assert_eq!(
            unwrapped_bytes(1, &tampered, &master),
            Err(expected),
            "byte {index}"
        );
    }
    for cut in 0..wrapped.len() {
        assert!(
            unwrapped_bytes(1, &wrapped[..cut], &master).is_err(),
            "cut at {cut}"
        );
    }
}

/// Name, blob, aad, master key, expected error.
type Case<'a> = (&'a str, &'a [u8], &'a [u8], &'a MasterKey, TokenError);

#[test]
fn secrets_decrypt_only_with_their_aad_and_master() {
    let master = MasterKey::generate();
    let secret = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let blob = encrypt_secret(&master, secret, b"AKIAIOSFODNN7EXAMPLE");
    assert!(!blob.windows(secret.len()).any(|w| w == secret));
    assert_eq!(
        decrypt_secret(&master, &blob, b"AKIAIOSFODNN7EXAMPLE"),
        Ok(secret.to_vec())
    );

    let mut tampered = blob.clone();
    if let Some(last) = tampered.last_mut() {
        *last ^= 0x80;
    }
    let mut extended = blob.clone();
    extended.push(0);
    let cases: [Case; 6] = [
        (
            "wrong aad",
            &blob,
            b"AKIAIOSFODNN7EXAMPLF",
            &master,
            TokenError::Forged,
        ),
        ("empty aad", &blob, b"", &master, TokenError::Forged),
        (
            "another master",
            &blob,
            b"AKIAIOSFODNN7EXAMPLE",
            &MasterKey::generate(),
            TokenError::Forged,
        ),
        (
            "tampered tag",
            &tampered,
            b"AKIAIOSFODNN7EXAMPLE",
            &master,
            TokenError::Forged,
        ),
        (
            "trailing byte",
            &extended,
            b"AKIAIOSFODNN7EXAMPLE",
            &master,
            TokenError::Forged,
        ),
        (
            "too short",
            &blob[..20],
            b"AKIAIOSFODNN7EXAMPLE",
            &master,
            TokenError::Malformed,
        ),
    ];
    for (name, candidate, aad, key, expected) in cases {
        assert_eq!(decrypt_secret(key, candidate, aad), Err(expected), "{name}");
    }
}

#[test]
fn empty_and_large_secrets_round_trip() {
    let master = MasterKey::from_bytes([8; 32]);
    for plaintext in [Vec::new(), vec![0xa5; 100_000]] {
        let blob = encrypt_secret(&master, &plaintext, b"ctx");
        assert_eq!(blob.len(), plaintext.len() + 1 + 12 + 16);
        assert_eq!(decrypt_secret(&master, &blob, b"ctx"), Ok(plaintext));
    }
}
