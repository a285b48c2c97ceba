//! The in-memory cache of long-term key lookups that request authentication hits on every call.
//!
//! Entries expire after a short TTL (other nodes may change keys), and this node's own IAM writes
//! invalidate the whole cache at once. A lookup that raced with a write must not re-insert the
//! value it read before the write: insertions carry the generation seen before the read and are
//! dropped if an invalidation happened since. This module must never read the store.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::AccessKeyRecord;

/// How long a lookup result is served without asking the store again.
pub const DEFAULT_TTL: Duration = Duration::from_secs(1);
/// Bound on entries (including negative ones for unknown key ids); the cache is cleared when full.
const MAX_ENTRIES: usize = 100_000;

type Entry = (Instant, Option<AccessKeyRecord>);

pub struct KeyCache {
    ttl: Duration,
    state: Mutex<State>,
}

struct State {
    generation: u64,
    entries: HashMap<String, Entry>,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            state: Mutex::new(State {
                generation: 0,
                entries: HashMap::new(),
            }),
        }
    }

    /// The generation to pass to [`KeyCache::insert`] for a lookup that starts now.
    pub fn generation(&self) -> u64 {
        self.state.lock().generation
    }

    /// `Some(result)` on a fresh hit (the result itself may be "no such key").
    pub fn get(&self, id: &str) -> Option<Option<AccessKeyRecord>> {
        let state = self.state.lock();
        state
            .entries
            .get(id)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn insert(&self, id: &str, generation: u64, value: Option<AccessKeyRecord>) {
        let mut state = self.state.lock();
        if state.generation != generation {
            return;
        }
        if state.entries.len() >= MAX_ENTRIES {
            state.entries.clear();
        }
        state.entries.insert(id.to_owned(), (Instant::now(), value));
    }

    pub fn invalidate(&self) {
        let mut state = self.state.lock();
        state.generation = state.generation.wrapping_add(1);
        state.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::{AccountId, Principal};

    fn record() -> AccessKeyRecord {
        AccessKeyRecord {
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: "s".into(),
            active: true,
            principal: Principal::Root {
                account: AccountId::parse("123456789012").unwrap_or_else(|_| unreachable!()),
            },
        }
    }

    #[test]
    fn stale_generation_does_not_insert() {
        let c = KeyCache::new(Duration::from_secs(60));
        let g = c.generation();
        c.invalidate();
        c.insert("AKIAEXAMPLE", g, Some(record()));
        assert!(c.get("AKIAEXAMPLE").is_none());
        c.insert("AKIAEXAMPLE", c.generation(), Some(record()));
        assert_eq!(c.get("AKIAEXAMPLE"), Some(Some(record())));
        c.invalidate();
        assert!(c.get("AKIAEXAMPLE").is_none());
    }

    #[test]
    fn zero_ttl_never_hits() {
        let c = KeyCache::new(Duration::ZERO);
        c.insert("k", c.generation(), None);
        assert!(c.get("k").is_none());
    }
}
