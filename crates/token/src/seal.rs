//! The session token's wire format: sealing claims into a token and unsealing them again.
//!
//! ```text
//! base64( version u8 | key id u32 BE | nonce [12] | AES-256-GCM(claims) | tag [16] )
//! ```
//! The version byte and key id are the AEAD's associated data, so neither can be changed without
//! the tag failing; the version names the plaintext layout in `codec` as well. Owns this framing;
//! never decides expiry or compares access key ids (the caller does, with its own clock and
//! request), and never panics on any token string.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Nonce, Tag};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

use crate::claims::SessionClaims;
use crate::codec;
use crate::error::TokenError;
use crate::keys::{KeyRing, SealingKey};

pub use crate::codec::MAX_SESSION_POLICY_LEN;

/// Longest token (in base64 characters) that [`seal()`] produces and [`unseal`] looks at.
/// Claims within AWS's own limits (2,048-character session policy, 10 policy ARNs, 50 tags) stay
/// far below it; a longer string is refused before any decoding work.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

const VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 4;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Seals `claims` under `key` into a session token string (standard base64, no line breaks).
///
/// Fails only with [`TokenError::TooLarge`], when the token would exceed [`MAX_TOKEN_LEN`] or the
/// session policy [`MAX_SESSION_POLICY_LEN`]; STS reports that as `PackedPolicyTooLarge`.
pub fn seal(claims: &SessionClaims, key: &SealingKey) -> Result<String, TokenError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::thread_rng().fill_bytes(&mut nonce);
    seal_with_nonce(claims, key, nonce)
}

fn seal_with_nonce(
    claims: &SessionClaims,
    key: &SealingKey,
    nonce: [u8; NONCE_LEN],
) -> Result<String, TokenError> {
    let mut token = Vec::with_capacity(512);
    token.push(VERSION);
    token.extend_from_slice(&key.id.to_be_bytes());
    token.extend_from_slice(&nonce);
    codec::encode(claims, &mut token)?;
    if base64_len(token.len() + TAG_LEN) > MAX_TOKEN_LEN {
        return Err(TokenError::TooLarge);
    }
    let (head, body) = token.split_at_mut(HEADER_LEN + NONCE_LEN);
    let (header, _) = head.split_at(HEADER_LEN);
    let tag = key
        .cipher()
        .encrypt_in_place_detached(&Nonce::from(nonce), header, body)
        .map_err(|_| TokenError::TooLarge)?;
    token.extend_from_slice(&tag);
    Ok(STANDARD.encode(token))
}

/// Unseals a session token with whichever key of `ring` sealed it.
///
/// Every failure is `InvalidClientTokenId` to the client. The caller still checks that the
/// request's access key id equals `claims.access_key_id` and that the claims are not expired.
pub fn unseal(token: &str, ring: &KeyRing) -> Result<SessionClaims, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let mut bytes = STANDARD.decode(token).map_err(|_| TokenError::Malformed)?;
    if bytes.len() < HEADER_LEN + NONCE_LEN + TAG_LEN {
        return Err(TokenError::Malformed);
    }
    let (head, rest) = bytes.split_at_mut(HEADER_LEN + NONCE_LEN);
    let (header, nonce) = head.split_at(HEADER_LEN);
    let (body, tag) = rest.split_at_mut(rest.len() - TAG_LEN);
    let (version, key_id) = header.split_at(1);
    if version != [VERSION] {
        return Err(TokenError::UnsupportedVersion(version[0]));
    }
    let key_id = u32::from_be_bytes(key_id.try_into().map_err(|_| TokenError::Malformed)?);
    let key = ring.get(key_id).ok_or(TokenError::UnknownKey(key_id))?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| TokenError::Malformed)?;
    let tag: [u8; TAG_LEN] = (&*tag).try_into().map_err(|_| TokenError::Malformed)?;
    key.cipher()
        .decrypt_in_place_detached(&Nonce::from(nonce), header, body, &Tag::from(tag))
        .map_err(|_| TokenError::Forged)?;
    codec::decode(body)
}

/// Length of the padded standard base64 encoding of `len` bytes.
fn base64_len(len: usize) -> usize {
    len.div_ceil(3) * 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::SessionKind;
    use proptest::prelude::*;

    fn claims() -> SessionClaims {
        SessionClaims {
            access_key_id: "ASIAZZZZZZZZZZZZZZZZ".into(),
            secret_access_key: "x".repeat(40),
            account_id: "111122223333".into(),
            kind: SessionKind::Federated,
            principal_arn: "arn:aws:sts::111122223333:federated-user/bob".into(),
            principal_id: "111122223333:bob".into(),
            parent_arn: "arn:aws:iam::111122223333:user/admin".into(),
            parent_id: "AIDAADMIN".into(),
            session_policy: None,
            policy_arns: vec![],
            tags: vec![],
            transitive_tag_keys: vec![],
            source_identity: None,
            mfa_authenticated: false,
            issued_at: 10,
            expires_at: 20,
            chained: false,
        }
    }

    /// Seals arbitrary plaintext with a valid header, as a buggy or hostile sealer holding the
    /// key could: unsealing must still fail cleanly, never panic.
    fn seal_raw(plaintext: &[u8], key: &SealingKey) -> String {
        let mut token = vec![VERSION];
        token.extend_from_slice(&key.id.to_be_bytes());
        let nonce = [7u8; NONCE_LEN];
        token.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        let tag = key.cipher().encrypt_in_place_detached(
            &Nonce::from(nonce),
            &token[..HEADER_LEN],
            &mut body,
        );
        token.extend_from_slice(&body);
        token.extend_from_slice(&tag.map(|t| t.to_vec()).unwrap_or_default());
        STANDARD.encode(token)
    }

    #[test]
    fn the_same_nonce_and_key_give_the_same_token_and_fresh_nonces_differ() {
        let key = SealingKey::from_bytes(1, [3; 32]);
        assert_eq!(
            seal_with_nonce(&claims(), &key, [0; 12]),
            seal_with_nonce(&claims(), &key, [0; 12])
        );
        assert_ne!(seal(&claims(), &key), seal(&claims(), &key));
    }

    #[test]
    fn authenticated_but_absurd_plaintexts_are_malformed() {
        let key = SealingKey::from_bytes(1, [3; 32]);
        let ring = KeyRing::new(SealingKey::from_bytes(1, [3; 32]), vec![]);
        let mut valid = Vec::new();
        assert!(codec::encode(&claims(), &mut valid).is_ok());
        let mut huge_len = valid[..4].to_vec();
        huge_len.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        huge_len.extend_from_slice(&valid[4..]);
        for plaintext in [
            &[][..],
            &[0u8; 3][..],
            &valid[..valid.len() - 1],
            &huge_len[..],
        ] {
            assert_eq!(
                unseal(&seal_raw(plaintext, &key), &ring),
                Err(TokenError::Malformed)
            );
        }
        assert_eq!(unseal(&seal_raw(&valid, &key), &ring), Ok(claims()));
    }

    #[test]
    fn refuses_to_seal_past_the_token_limit_and_accepts_up_to_it() {
        let key = SealingKey::from_bytes(1, [3; 32]);
        let ring = KeyRing::new(SealingKey::from_bytes(1, [3; 32]), vec![]);
        let mut big = claims();
        big.tags = (0..200)
            .map(|i| (format!("key-{i:03}-{}", "k".repeat(110)), "v".repeat(256)))
            .collect();
        assert_eq!(seal(&big, &key), Err(TokenError::TooLarge));
        big.tags.truncate(100);
        let token = seal(&big, &key);
        assert!(token.as_ref().is_ok_and(|t| t.len() <= MAX_TOKEN_LEN));
        assert_eq!(token.and_then(|t| unseal(&t, &ring)), Ok(big));
        assert_eq!(
            unseal(&"A".repeat(MAX_TOKEN_LEN + 4), &ring),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn base64_length_matches_the_encoder() {
        for len in 0..64 {
            assert_eq!(base64_len(len), STANDARD.encode(vec![0u8; len]).len());
        }
    }

    proptest! {
        #[test]
        fn unseal_never_panics_on_sealed_random_plaintext(plaintext in proptest::collection::vec(any::<u8>(), 0..256)) {
            let key = SealingKey::from_bytes(9, [5; 32]);
            let ring = KeyRing::new(SealingKey::from_bytes(9, [5; 32]), vec![]);
            let _ = unseal(&seal_raw(&plaintext, &key), &ring);
        }
    }
}
