//! Recently read bucket records. Every object request needs its bucket (authorization reads the
//! owner and policy, the operation the bucket id); without this cache that is a store read per
//! request before the object's own.
//!
//! An entry lives at most [`TTL`]. This node's own bucket writes drop the entry once committed,
//! and a read that started before such a write never re-inserts what it saw, so on one node a
//! change is seen at once; another node's change is seen within [`TTL`] (as SQS's queue records).
//! Absent buckets are not cached: a bucket created elsewhere is usable at once.
//!
//! It owns no durability and must never be consulted inside a write transaction: writes re-read
//! the bucket in their transaction.

use crate::db::BucketRecord;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long another node's bucket change can go unseen here.
pub(crate) const TTL: Duration = Duration::from_secs(1);
/// Beyond this many entries the cache starts over (a bound, not an eviction policy: buckets are
/// few, and a cold read is one store read).
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub(crate) struct BucketCache {
    inner: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, (Instant, Arc<BucketRecord>)>,
    /// Bumped by every invalidation; a fetch inserts only if it is unchanged since it began.
    generation: u64,
}

impl BucketCache {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a plain map: a panic elsewhere cannot leave it inconsistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached record, if fresh; otherwise the generation to hand back to [`Self::insert`].
    pub(crate) fn get(&self, name: &str) -> Result<Arc<BucketRecord>, u64> {
        let state = self.state();
        match state.entries.get(name) {
            Some((at, record)) if at.elapsed() < TTL => Ok(Arc::clone(record)),
            _ => Err(state.generation),
        }
    }

    /// Caches `record`, read from the store after [`Self::get`] returned `generation`.
    pub(crate) fn insert(&self, generation: u64, record: Arc<BucketRecord>) {
        let mut state = self.state();
        if state.generation != generation {
            return;
        }
        if state.entries.len() >= MAX_ENTRIES {
            state.entries.clear();
        }
        state
            .entries
            .insert(record.name.clone(), (Instant::now(), record));
    }

    /// Drops `name` after this node committed a change to it.
    pub(crate) fn forget(&self, name: &str) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Owner;

    fn bucket(name: &str, policy: Option<&str>) -> Arc<BucketRecord> {
        Arc::new(BucketRecord {
            id: "id".into(),
            name: name.into(),
            owner: Owner {
                account: "111122223333".into(),
                canonical_id: "c".into(),
                display_name: "d".into(),
            },
            region: "us-east-1".into(),
            created_ms: 0,
            policy: policy.map(str::to_owned),
            tags: Vec::new(),
            cors: None,
        })
    }

    #[test]
    fn a_read_that_raced_a_write_is_not_cached() {
        let cache = BucketCache::default();
        let generation = cache.get("b").unwrap_err();
        // A write commits and invalidates while the read is in flight with the old record.
        cache.forget("b");
        cache.insert(generation, bucket("b", Some("old")));
        let generation = cache.get("b").expect_err("the stale record was dropped");
        cache.insert(generation, bucket("b", Some("new")));
        assert_eq!(cache.get("b").unwrap().policy.as_deref(), Some("new"));
        cache.forget("b");
        assert!(cache.get("b").is_err());
    }
}
