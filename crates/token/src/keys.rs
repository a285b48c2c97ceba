//! Key material: the sealing keys that seal session tokens, the key ring that holds the current
//! one and its predecessors, and the master key that protects both at rest.
//!
//! Owns the key types and their lookup. It never persists anything (see [`crate::at_rest`] for
//! the wrapped form the store keeps), and never prints key bytes: `Debug` shows ids only, and the
//! bytes are zeroized when a key is dropped.

use std::fmt;

use aes_gcm::aead::KeyInit;
use aes_gcm::Aes256Gcm;
use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::Zeroizing;

/// One AES-256-GCM key that seals session tokens, named by the id written into every token it
/// seals, so a node can pick the right key from its ring.
pub struct SealingKey {
    pub id: u32,
    key: Zeroizing<[u8; 32]>,
}

impl SealingKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate(id: u32) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        Self { id, key }
    }

    /// Rebuilds a key from its bytes (after [`crate::unwrap_key`], or from configuration).
    pub fn from_bytes(id: u32, bytes: [u8; 32]) -> Self {
        Self {
            id,
            key: Zeroizing::new(bytes),
        }
    }

    /// The raw key bytes; the caller owns keeping them secret (prefer [`crate::wrap_key`]).
    pub fn to_bytes(&self) -> [u8; 32] {
        *self.key
    }

    pub(crate) fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.key.as_ref().into())
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The current sealing key (new tokens) and older keys (tokens sealed before a rotation, kept
/// until the longest session they sealed has expired), looked up by id.
#[derive(Debug)]
pub struct KeyRing {
    current: SealingKey,
    older: Vec<SealingKey>,
}

impl KeyRing {
    /// A ring sealing with `current`. Should an id appear twice, `current` wins, then the first
    /// of `older`: a token sealed under the other key with that id fails as forged.
    pub fn new(current: SealingKey, older: Vec<SealingKey>) -> Self {
        Self { current, older }
    }

    /// The key that seals new tokens.
    pub fn current(&self) -> &SealingKey {
        &self.current
    }

    /// The key with this id, current or older.
    pub fn get(&self, id: u32) -> Option<&SealingKey> {
        if self.current.id == id {
            return Some(&self.current);
        }
        self.older.iter().find(|key| key.id == id)
    }

    /// Makes `next` the current key and keeps the previous one for unsealing.
    pub fn rotate(&mut self, next: SealingKey) {
        let previous = std::mem::replace(&mut self.current, next);
        self.older.insert(0, previous);
    }

    /// Drops the older key with this id (its sessions have all expired); the current key cannot
    /// be retired, only rotated away. Returns whether a key was dropped.
    pub fn retire(&mut self, id: u32) -> bool {
        let before = self.older.len();
        self.older.retain(|key| key.id != id);
        self.older.len() != before
    }

    /// Ids of every key in the ring, current first.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(self.current.id).chain(self.older.iter().map(|key| key.id))
    }
}

/// The key that protects the key ring and other secrets at rest; from configuration or the
/// environment, or generated into the data directory for the embedded default.
pub struct MasterKey {
    key: Zeroizing<[u8; 32]>,
}

impl MasterKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        Self { key }
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self {
            key: Zeroizing::new(bytes),
        }
    }

    /// The raw key bytes, for writing the generated key file; the caller owns keeping them
    /// secret.
    pub fn to_bytes(&self) -> [u8; 32] {
        *self.key
    }

    pub(crate) fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(self.key.as_ref().into())
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_key_bytes() {
        let bytes = [0xab; 32];
        let sealing = format!("{:?}", SealingKey::from_bytes(7, bytes));
        let master = format!("{:?}", MasterKey::from_bytes(bytes));
        for shown in [&sealing, &master] {
            assert!(!shown.contains("ab") && !shown.contains("171"), "{shown}");
        }
        assert!(sealing.contains('7'));
    }

    #[test]
    fn generated_keys_differ_and_bytes_round_trip() {
        let (a, b) = (SealingKey::generate(1), SealingKey::generate(1));
        assert_ne!(a.to_bytes(), b.to_bytes());
        assert_eq!(
            SealingKey::from_bytes(1, a.to_bytes()).to_bytes(),
            a.to_bytes()
        );
        let (m, n) = (MasterKey::generate(), MasterKey::generate());
        assert_ne!(m.to_bytes(), n.to_bytes());
        assert_eq!(MasterKey::from_bytes(m.to_bytes()).to_bytes(), m.to_bytes());
    }

    #[test]
    fn ring_lookup_rotation_and_retirement() {
        let mut ring = KeyRing::new(SealingKey::generate(1), vec![]);
        assert_eq!(ring.current().id, 1);
        assert!(ring.get(2).is_none());

        ring.rotate(SealingKey::generate(2));
        ring.rotate(SealingKey::generate(3));
        assert_eq!(ring.current().id, 3);
        assert_eq!(ring.ids().collect::<Vec<_>>(), [3, 2, 1]);
        for id in [1, 2, 3] {
            assert_eq!(ring.get(id).map(|k| k.id), Some(id));
        }

        assert!(ring.retire(1));
        assert!(!ring.retire(1));
        assert!(!ring.retire(3), "the current key is not retired");
        assert!(ring.get(1).is_none());
        assert_eq!(ring.get(3).map(|k| k.id), Some(3));
    }

    #[test]
    fn current_wins_over_an_older_key_with_the_same_id() {
        let current = SealingKey::from_bytes(5, [1; 32]);
        let ring = KeyRing::new(current, vec![SealingKey::from_bytes(5, [2; 32])]);
        assert_eq!(ring.get(5).map(SealingKey::to_bytes), Some([1; 32]));
    }
}
