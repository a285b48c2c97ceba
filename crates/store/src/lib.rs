//! tessera's storage layer: a small transactional key-value store that the services build their
//! domain records on (IAM entities now, the STS key ring next).
//!
//! Layout:
//! - [`Tx`] and [`Namespace`] (`tx.rs`): the operations inside a transaction, backend-neutral.
//! - [`Store`] (`store.rs`): the handle services hold; `read`, `write`, `write_blocking`, `stats`.
//! - `job.rs`: closures as type-erased write jobs; panic containment.
//! - `sqlite/`: the embedded backend (WAL, one writer thread with group commit, a read pool). Its
//!   module doc says exactly what is fsynced when.
//! - [`StoreError`] (`error.rs`): the crate's one error type.
//!
//! Guarantees every backend keeps: a write transaction is all-or-nothing; `write` returns `Ok`
//! only once the transaction is durable; transactions are serializable (SQLite: one writer);
//! a read transaction sees one committed snapshot; one caller's failing or panicking closure
//! never affects another caller's transaction.
//!
//! Must never: know HTTP, AWS wire formats or any service's record types; read configuration or the
//! environment (callers pass the data directory).

mod error;
mod job;
mod sqlite;
mod store;
mod tx;

pub use error::StoreError;
pub use store::{Store, StoreStats};
pub use tx::{Namespace, Tx};
