//! tessera's storage layer: a small transactional key-value store that the services build their
//! domain records on (IAM entities, the STS key ring, queues, object metadata).
//!
//! Layout:
//! - [`Tx`] and [`Namespace`] (`tx.rs`): the operations inside a transaction, backend-neutral.
//! - [`Store`] (`store.rs`): the handle services hold; `open*`, `read`, `write`, `write_blocking`,
//!   `subscribe`, `stats`.
//! - `job.rs`: closures as type-erased write jobs; panic containment.
//! - `writer_thread.rs`: a backend's single writer thread: queue, batches, reentrancy, close.
//! - `notify.rs`: committed notifications fanned out to subscribers; their limits.
//! - `counters.rs`: the write-path counters behind [`StoreStats`].
//! - `sqlite/`: the embedded backend (WAL, one writer thread with group commit, a read pool). Its
//!   module doc says exactly what is fsynced when.
//! - `postgres/`: the backend for several nodes on one database (a writer per node with group
//!   commit, a read pool, a `LISTEN` connection). Its module doc says what holds across nodes.
//! - [`StoreError`] (`error.rs`): the crate's one error type.
//!
//! Guarantees every backend keeps: a write transaction is all-or-nothing; `write` returns `Ok`
//! only once the transaction is durable (SQLite: fsynced; PostgreSQL: `COMMIT` returned); write
//! transactions of one `Store` are serializable (one writer thread per store); a read transaction
//! sees one committed snapshot; one caller's failing or panicking closure never affects another
//! caller's transaction; a notification is delivered only after its transaction committed.
//!
//! Across several `Store`s on one PostgreSQL database (several nodes), read-modify-write is
//! linearizable per key when the keys are read with [`Tx::get`] inside the write transaction
//! (it locks them until commit); `scan` and `count_range` lock nothing, so decide from a scan,
//! then re-check with `get`. A job may fail with [`StoreError::Conflict`] when PostgreSQL breaks a
//! deadlock between nodes; nothing of it was written and the caller may retry it (the store never
//! re-runs a closure). See `postgres/mod.rs`.
//!
//! Must never: know HTTP, AWS wire formats or any service's record types; read configuration or the
//! environment (callers pass the data directory or the store URL).

mod counters;
mod error;
mod job;
mod notify;
mod postgres;
mod sqlite;
mod store;
mod tx;
mod writer_thread;

pub use error::StoreError;
pub use notify::MAX_NOTIFY_PAYLOAD;
pub use postgres::is_postgres_url;
pub use store::{Store, StoreStats};
pub use tx::{Namespace, TryGet, Tx};
