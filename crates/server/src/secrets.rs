//! Encryption of stored secrets (long-term secret access keys) under the master key.
//!
//! IAM stores a secret only as the AEAD ciphertext this produces, bound to its access key id as
//! associated data, so a database copy alone reveals no secret and a ciphertext cannot be moved to
//! another key's record.

use tessera_token::{decrypt_secret, encrypt_secret, MasterKey};

pub struct MasterKeyCipher {
    master: MasterKey,
}

impl MasterKeyCipher {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            master: MasterKey::from_bytes(*key),
        }
    }
}

impl tessera_iam::SecretCipher for MasterKeyCipher {
    fn seal(&self, plaintext: &str, aad: &str) -> Vec<u8> {
        encrypt_secret(&self.master, plaintext.as_bytes(), aad.as_bytes())
    }

    fn open(&self, sealed: &[u8], aad: &str) -> Option<String> {
        decrypt_secret(&self.master, sealed, aad.as_bytes())
            .ok()
            .and_then(|p| String::from_utf8(p).ok())
    }
}
