//! A bounded, thread-safe cache of derived SigV4 signing keys.
//!
//! Owns: remembering `HMAC chain(secret, date, region, service)` so that a request costs one
//! SHA-256 of the canonical request and one HMAC over the string to sign, not four more HMACs.
//! Must never store or log a secret: entries are keyed by a SHA-256 over the secret and the
//! scope, so a different secret (or scope) can never be served another's key.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};

use crate::v4::signing_key;

const SHARDS: usize = 16;

/// Entry ids are SHA-256 outputs, already uniform: hashing them again (SipHash) would only add
/// cost to every request, so the map uses eight of their bytes as the hash (bytes 8..16: byte 0
/// already chose the shard). Writes shorter than 16 bytes (the slice length prefix) are ignored.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        if let Some(chunk) = bytes.get(8..16) {
            word.copy_from_slice(chunk);
            self.0 = u64::from_le_bytes(word);
        }
    }
}

type Shard = HashMap<[u8; 32], [u8; 32], BuildHasherDefault<IdHasher>>;

/// Signing keys by (secret, date, region, service). Sharded so that concurrent requests rarely
/// wait on one lock. Each shard holds at most `capacity / 16` (at least one) keys; a full shard is
/// emptied rather than tracked for recency, because a miss costs only four HMACs.
pub struct SigningKeyCache {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
}

impl SigningKeyCache {
    /// A cache holding about `capacity` keys (one per active access key, day, region, service).
    pub fn new(capacity: usize) -> SigningKeyCache {
        SigningKeyCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    /// The signing key for this secret and scope, derived on a miss.
    pub fn signing_key(&self, secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
        let id = entry_id(secret, date, region, service);
        let shard = &self.shards[usize::from(id[0]) % SHARDS];
        if let Some(key) = shard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return *key;
        }
        let key = signing_key(secret, date, region, service);
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.per_shard {
            map.clear();
        }
        map.insert(id, key);
        key
    }

    /// How many keys are cached now.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// Whether no key is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for SigningKeyCache {
    /// Only sizes: the entries are derived secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("len", &self.len())
            .field("capacity", &(self.per_shard * SHARDS))
            .finish()
    }
}

impl Default for SigningKeyCache {
    /// Room for 4096 keys: far more than the distinct (key, day, region, service) of a deployment.
    fn default() -> SigningKeyCache {
        SigningKeyCache::new(4096)
    }
}

/// Length-prefixed fields, so that ("ab","c") and ("a","bc") never collide.
fn entry_id(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in [secret, date, region, service] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_per_secret_and_scope() {
        let cache = SigningKeyCache::new(64);
        let a = cache.signing_key("secret-a", "20150830", "us-east-1", "sts");
        assert_eq!(a, signing_key("secret-a", "20150830", "us-east-1", "sts"));
        assert_eq!(
            cache.signing_key("secret-a", "20150830", "us-east-1", "sts"),
            a
        );
        let b = cache.signing_key("secret-b", "20150830", "us-east-1", "sts");
        assert_ne!(a, b);
        assert_eq!(b, signing_key("secret-b", "20150830", "us-east-1", "sts"));
        let c = cache.signing_key("secret-a", "20150831", "us-east-1", "sts");
        assert_ne!(a, c);
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn stays_bounded() {
        let cache = SigningKeyCache::new(32);
        for i in 0..1000 {
            let secret = format!("secret-{i}");
            let key = cache.signing_key(&secret, "20150830", "us-east-1", "iam");
            assert_eq!(key, signing_key(&secret, "20150830", "us-east-1", "iam"));
        }
        assert!(cache.len() <= 32, "len {}", cache.len());
        assert!(!cache.is_empty());
    }

    #[test]
    fn debug_shows_only_sizes() {
        let cache = SigningKeyCache::new(16);
        cache.signing_key("secret", "20150830", "us-east-1", "iam");
        assert_eq!(
            format!("{cache:?}"),
            "SigningKeyCache { len: 1, capacity: 16 }"
        );
    }
}
