//! The sealing-key ring: persisted in the store, wrapped under the master key, rotated on a
//! schedule.
//!
//! A new key is created every [`ROTATE_AFTER`]; older keys stay (for unsealing only) until every
//! session they can have sealed has expired: [`MAX_SESSION`] after their successor was created.
//! Each key is stored wrapped (AES-256-GCM under the master key, its id as associated data), so a
//! copy of the database alone cannot forge or read tokens. Rotation is a write transaction that
//! first takes the rotation lock record (a row lock on PostgreSQL) and then re-reads the ring, so
//! two nodes rotating at once create one key, not two. A node that meets a token sealed by a key
//! it does not hold yet (another node rotated) reloads the ring, at most once per
//! [`RELOAD_INTERVAL`], so forged key ids cannot turn into a stream of store reads.

use crate::StsError;
use base64::Engine;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tessera_store::{Store, Tx};
use tessera_token::{unwrap_key, wrap_key, KeyRing, MasterKey, SealingKey};

const NS: &str = "sts.keyring";
/// One record whose lock serializes rotations across nodes.
const LOCK_NS: &str = "sts.keyring-lock";
/// The least time between two reloads prompted by unknown key ids.
pub const RELOAD_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);
/// How long a key seals new sessions before its successor takes over.
pub const ROTATE_AFTER: u64 = 24 * 3600;
/// The longest session STS issues (GetSessionToken / GetFederationToken: 36 hours).
pub const MAX_SESSION: u64 = 129_600;

#[derive(Serialize, Deserialize, Clone)]
struct StoredKey {
    id: u32,
    /// The key wrapped under the master key, base64.
    wrapped: String,
    /// Unix seconds.
    created: u64,
}

/// The in-memory ring and how to refresh it from the store.
pub struct KeyRingManager {
    store: Store,
    master: Arc<MasterKey>,
    ring: RwLock<Arc<KeyRing>>,
    last_reload: parking_lot::Mutex<Option<std::time::Instant>>,
}

impl KeyRingManager {
    /// Loads the ring, creating its first key if the store has none.
    pub async fn open(store: Store, master: MasterKey, now: u64) -> Result<Self, StsError> {
        let master = Arc::new(master);
        let m = master.clone();
        let stored = store
            .write(move |tx| {
                let mut keys = load_all(tx)?;
                if keys.is_empty() {
                    let k = new_stored_key(1, &m, now);
                    put(tx, &k)?;
                    keys.push(k);
                }
                Ok::<_, StsError>(keys)
            })
            .await?;
        let ring = build_ring(&stored, &master)?;
        Ok(Self {
            store,
            master,
            ring: RwLock::new(Arc::new(ring)),
            last_reload: parking_lot::Mutex::new(None),
        })
    }

    /// The master key, for the other things STS seals under it (authorization messages).
    pub(crate) fn master(&self) -> &MasterKey {
        &self.master
    }

    /// The ring as it is now (cheap: an `Arc` clone).
    pub fn ring(&self) -> Arc<KeyRing> {
        self.ring.read().clone()
    }

    /// Creates the next key if the current one is older than [`ROTATE_AFTER`], drops keys whose
    /// sessions have all expired, and reloads the ring. Returns whether a new key was made.
    pub async fn rotate_if_due(&self, now: u64) -> Result<bool, StsError> {
        let master = self.master.clone();
        let (stored, rotated) = self
            .store
            .write(move |tx| {
                // Taken first: a concurrent rotation on another node waits here, then sees ours.
                tx.get(LOCK_NS, "rotation")?;
                tx.put(LOCK_NS, "rotation", &now.to_be_bytes())?;
                let mut keys = load_all(tx)?;
                let newest = keys.iter().max_by_key(|k| k.id).cloned();
                let mut rotated = false;
                if let Some(newest) = &newest {
                    if now >= newest.created + ROTATE_AFTER {
                        let k = new_stored_key(newest.id + 1, &master, now);
                        put(tx, &k)?;
                        keys.push(k);
                        rotated = true;
                    }
                }
                // A key can be dropped once its successor has sealed for longer than any session.
                keys.sort_by_key(|k| k.id);
                let mut keep = Vec::with_capacity(keys.len());
                for (i, k) in keys.iter().enumerate() {
                    let retired = keys
                        .get(i + 1)
                        .is_some_and(|next| now >= next.created + MAX_SESSION);
                    if retired {
                        tx.delete(NS, &key_name(k.id))?;
                    } else {
                        keep.push(k.clone());
                    }
                }
                Ok::<_, StsError>((keep, rotated))
            })
            .await?;
        *self.ring.write() = Arc::new(build_ring(&stored, &self.master)?);
        Ok(rotated)
    }
}

impl KeyRingManager {
    /// Re-reads the ring from the store (another node rotated), unless that happened less than
    /// [`RELOAD_INTERVAL`] ago. Returns whether it reloaded.
    pub async fn reload_if_allowed(&self) -> Result<bool, StsError> {
        {
            let mut last = self.last_reload.lock();
            if last.is_some_and(|t| t.elapsed() < RELOAD_INTERVAL) {
                return Ok(false);
            }
            *last = Some(std::time::Instant::now());
        }
        let stored = self.store.read(|tx| load_all(tx)).await?;
        *self.ring.write() = Arc::new(build_ring(&stored, &self.master)?);
        Ok(true)
    }
}

fn key_name(id: u32) -> String {
    format!("{id:010}")
}

fn new_stored_key(id: u32, master: &MasterKey, now: u64) -> StoredKey {
    let key = SealingKey::generate(id);
    StoredKey {
        id,
        wrapped: base64::engine::general_purpose::STANDARD.encode(wrap_key(&key, master)),
        created: now,
    }
}

fn put(tx: &mut dyn Tx, k: &StoredKey) -> Result<(), StsError> {
    let bytes = serde_json::to_vec(k).map_err(|e| StsError::Internal(e.to_string()))?;
    tx.put(NS, &key_name(k.id), &bytes)?;
    Ok(())
}

fn load_all(tx: &mut dyn Tx) -> Result<Vec<StoredKey>, StsError> {
    tx.scan(NS, "", None, 10_000)?
        .into_iter()
        .map(|(_, v)| {
            serde_json::from_slice(&v)
                .map_err(|e| StsError::Internal(format!("key ring record: {e}")))
        })
        .collect()
}

/// The ring from stored keys: the newest seals, all unseal.
fn build_ring(stored: &[StoredKey], master: &MasterKey) -> Result<KeyRing, StsError> {
    let mut keys = Vec::with_capacity(stored.len());
    for k in stored {
        let wrapped = base64::engine::general_purpose::STANDARD
            .decode(&k.wrapped)
            .map_err(|_| StsError::Internal("key ring record is not base64".into()))?;
        let key = unwrap_key(k.id, &wrapped, master).map_err(|_| {
            StsError::Internal(
                "a sealing key cannot be unwrapped: the master key differs from the one that wrapped it"
                    .into(),
            )
        })?;
        keys.push(key);
    }
    keys.sort_by_key(|k| k.id);
    let current = keys
        .pop()
        .ok_or_else(|| StsError::Internal("the key ring is empty".into()))?;
    Ok(KeyRing::new(current, keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn creates_rotates_and_retires_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(dir.path()).unwrap();
        let master = MasterKey::from_bytes([7; 32]);
        let t0 = 1_700_000_000;
        let m = KeyRingManager::open(store.clone(), MasterKey::from_bytes([7; 32]), t0)
            .await
            .unwrap();
        assert_eq!(m.ring().current().id, 1);
        assert!(!m.rotate_if_due(t0 + 10).await.unwrap());
        assert!(m.rotate_if_due(t0 + ROTATE_AFTER).await.unwrap());
        let ring = m.ring();
        assert_eq!(ring.current().id, 2);
        assert!(ring.get(1).is_some(), "the old key still unseals");
        // Once key 2 has sealed for longer than the longest session, key 1 goes.
        m.rotate_if_due(t0 + ROTATE_AFTER + MAX_SESSION)
            .await
            .unwrap();
        let ring = m.ring();
        assert!(ring.get(1).is_none());
        assert!(ring.get(2).is_some());
        // A second manager on the same store sees the same ring.
        let other = KeyRingManager::open(store, master, t0).await.unwrap();
        assert_eq!(other.ring().current().id, m.ring().current().id);
    }

    #[tokio::test]
    async fn a_different_master_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(dir.path()).unwrap();
        KeyRingManager::open(store.clone(), MasterKey::from_bytes([1; 32]), 0)
            .await
            .unwrap();
        assert!(
            KeyRingManager::open(store, MasterKey::from_bytes([2; 32]), 0)
                .await
                .is_err()
        );
    }
}
