//! The transaction interface every backend implements and every service codes against. It owns
//! the meaning of namespaces, keys and scans; it must never expose a backend's types.

use crate::StoreError;

/// A namespace ("table") of keys, e.g. "iam.user". Keys within a namespace sort bytewise.
///
/// `&'static str` so that namespaces are fixed names in code, never built from request input.
pub type Namespace = &'static str;

/// What [`Tx::get_unless_locked`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryGet {
    /// The value, now locked by this transaction (in a write transaction).
    Found(Vec<u8>),
    Missing,
    /// Another transaction holds the row; its value is not read.
    Locked,
}

/// Operations available inside a transaction. Synchronous: a transaction runs on the store's own
/// thread (the writer thread or a blocking read thread), so a closure must not block on async work.
///
/// Inside one transaction a `put` or `delete` is visible to later `get`s and `scan`s
/// (read-your-writes).
pub trait Tx {
    /// The value stored under `key`, if any.
    fn get(&mut self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Like [`Tx::get`], but a row another transaction holds locked is reported as
    /// [`TryGet::Locked`] instead of being waited for (PostgreSQL's `FOR UPDATE SKIP LOCKED`).
    /// For work queues: a consumer skips what another node is claiming right now rather than
    /// queueing behind it (and deadlocking with it). Embedded SQLite has one writer, so nothing
    /// is ever locked there.
    fn get_unless_locked(&mut self, ns: Namespace, key: &str) -> Result<TryGet, StoreError>;
    /// Stores `value` under `key`, replacing any previous value.
    fn put(&mut self, ns: Namespace, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Returns whether the key existed.
    fn delete(&mut self, ns: Namespace, key: &str) -> Result<bool, StoreError>;
    /// Keys with the given prefix, in key order, strictly after `start_after` if given, at most
    /// `limit`.
    ///
    /// Paging: pass the last key of one page as `start_after` of the next.
    fn scan(
        &mut self,
        ns: Namespace,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// How many keys `k` satisfy `from <= k < to` (bytewise). Lets a service keep an ordered index
    /// (e.g. messages by visibility time) and count a slice of it without reading the values.
    fn count_range(&mut self, ns: Namespace, from: &str, to: &str) -> Result<u64, StoreError>;

    /// Queues `payload` for the subscribers of `channel` ([`crate::Store::subscribe`]) on every
    /// node sharing this store. Delivered only if this transaction commits, and only after it has
    /// (a job that returns `Err` or panics notifies nobody); never inside a read transaction
    /// ([`StoreError::ReadOnly`]).
    ///
    /// At most once per subscriber: a receiver that lags, or a node whose notification
    /// connection was lost, gets the empty payload (or `RecvError::Lagged`) meaning "re-check".
    /// Identical notifications of one transaction may be delivered once. Payloads are at most
    /// [`crate::MAX_NOTIFY_PAYLOAD`] bytes without NUL ([`StoreError::InvalidNotification`]).
    fn notify(&mut self, channel: Namespace, payload: &str) -> Result<(), StoreError>;
}
