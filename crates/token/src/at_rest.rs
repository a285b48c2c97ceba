//! Secrets at rest under the master key: the key ring's sealing keys ([`wrap_key`]) and any other
//! secret the store keeps, such as IAM's long-term secret access keys ([`encrypt_secret`]).
//!
//! ```text
//! blob = version u8 | nonce [12] | AES-256-GCM(plaintext) | tag [16]
//! associated data = domain label | version | context (the key id, or the caller's aad)
//! ```
//! The domain labels differ at their tenth byte, so a wrapped key can never be passed off as a
//! secret or the other way round, whatever aad a caller chooses. Owns this format; never touches
//! the store or decides what a secret's aad is (the caller binds e.g. the access key id).

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Nonce, Tag};
use rand::RngCore;
use zeroize::Zeroizing;

use crate::error::TokenError;
use crate::keys::{MasterKey, SealingKey};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const WRAPPED_KEY_LABEL: &[u8] = b"tessera/sealing-key\0";
const SECRET_LABEL: &[u8] = b"tessera/secret\0";

/// Encrypts a sealing key for storage, bound to its id: a wrapped key stored under another id
/// does not unwrap.
pub fn wrap_key(key: &SealingKey, master: &MasterKey) -> Vec<u8> {
    encrypt(
        master,
        WRAPPED_KEY_LABEL,
        &key.id.to_be_bytes(),
        &key.to_bytes(),
    )
}

/// Recovers a sealing key stored with `id` by [`wrap_key`].
pub fn unwrap_key(id: u32, wrapped: &[u8], master: &MasterKey) -> Result<SealingKey, TokenError> {
    let bytes = decrypt(master, WRAPPED_KEY_LABEL, &id.to_be_bytes(), wrapped)?;
    let key: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| TokenError::Malformed)?;
    Ok(SealingKey::from_bytes(id, key))
}

/// Encrypts `plaintext` under the master key, bound to `aad` (e.g. the access key id the secret
/// belongs to), which [`decrypt_secret`] must be given again.
pub fn encrypt_secret(master: &MasterKey, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    encrypt(master, SECRET_LABEL, aad, plaintext)
}

/// Decrypts a blob from [`encrypt_secret`]; a wrong key, wrong `aad` or any change to the blob is
/// [`TokenError::Forged`].
pub fn decrypt_secret(master: &MasterKey, blob: &[u8], aad: &[u8]) -> Result<Vec<u8>, TokenError> {
    decrypt(master, SECRET_LABEL, aad, blob).map(|plaintext| plaintext.to_vec())
}

fn associated_data(label: &[u8], context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(label.len() + 1 + context.len());
    aad.extend_from_slice(label);
    aad.push(VERSION);
    aad.extend_from_slice(context);
    aad
}

/// AES-GCM refuses only plaintexts over 64 GiB; were that ever reached, the empty blob returned
/// fails closed as [`TokenError::Malformed`] on decryption rather than panicking here.
fn encrypt(master: &MasterKey, label: &[u8], context: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::thread_rng().fill_bytes(&mut nonce);
    let mut blob = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
    blob.push(VERSION);
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(plaintext);
    let aad = associated_data(label, context);
    match master.cipher().encrypt_in_place_detached(
        &Nonce::from(nonce),
        &aad,
        &mut blob[1 + NONCE_LEN..],
    ) {
        Ok(tag) => {
            blob.extend_from_slice(&tag);
            blob
        }
        Err(_) => Vec::new(),
    }
}

fn decrypt(
    master: &MasterKey,
    label: &[u8],
    context: &[u8],
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, TokenError> {
    let (&version, rest) = blob.split_first().ok_or(TokenError::Malformed)?;
    if version != VERSION {
        return Err(TokenError::UnsupportedVersion(version));
    }
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(TokenError::Malformed);
    }
    let (nonce, rest) = rest.split_at(NONCE_LEN);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| TokenError::Malformed)?;
    let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| TokenError::Malformed)?;
    let mut plaintext = Zeroizing::new(ciphertext.to_vec());
    master
        .cipher()
        .decrypt_in_place_detached(
            &Nonce::from(nonce),
            &associated_data(label, context),
            &mut plaintext,
            &Tag::from(tag),
        )
        .map_err(|_| TokenError::Forged)?;
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_not_prefixes_of_each_other() {
        let n = WRAPPED_KEY_LABEL.len().min(SECRET_LABEL.len());
        assert_ne!(WRAPPED_KEY_LABEL[..n], SECRET_LABEL[..n]);
    }

    #[test]
    fn a_wrapped_key_is_not_a_secret_and_a_secret_is_not_a_wrapped_key() {
        let master = MasterKey::from_bytes([4; 32]);
        let key = SealingKey::from_bytes(3, [9; 32]);
        let wrapped = wrap_key(&key, &master);
        assert_eq!(
            decrypt_secret(&master, &wrapped, &3u32.to_be_bytes()),
            Err(TokenError::Forged)
        );
        let secret = encrypt_secret(&master, &[9; 32], &3u32.to_be_bytes());
        assert!(matches!(
            unwrap_key(3, &secret, &master),
            Err(TokenError::Forged)
        ));
    }
}
