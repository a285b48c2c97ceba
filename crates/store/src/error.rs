//! The crate's one error type. It owns the mapping from backend errors (SQLite result codes,
//! PostgreSQL SQLSTATEs) to the few cases callers can act on; it must never carry HTTP or AWS
//! notions.

use std::path::Path;

/// Why a storage operation failed.
///
/// `Clone` because one failed group commit answers every job of its batch with the same error.
/// `#[non_exhaustive]` because backends may add cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend failed in a way the caller cannot fix (I/O error, full disk, SQL error).
    #[error("storage backend error: {0}")]
    Backend(String),
    /// The store's writer is gone, so nothing can be written any more.
    #[error("store is closed")]
    Closed,
    /// The stored data is not a valid tessera database.
    #[error("store data is corrupt: {0}")]
    Corrupt(String),
    /// Another process held the database locked for longer than the busy timeout.
    #[error("store is busy: {0}")]
    Busy(String),
    /// Creating or securing the data directory or its files failed.
    #[error("cannot prepare {path}: {message}")]
    Io { path: String, message: String },
    /// The database was written by a newer tessera; opening it could lose data.
    #[error("store schema version {found} is newer than the {supported} this build supports")]
    SchemaTooNew { found: i64, supported: i64 },
    /// `put` or `delete` inside [`crate::Store::read`].
    #[error("write attempted in a read-only transaction")]
    ReadOnly,
    /// The transaction closure panicked; its writes were rolled back.
    #[error("transaction closure panicked: {0}")]
    Panicked(String),
    /// A transaction closure tried to start a write from the writer thread itself, which would
    /// wait for itself forever.
    #[error("write submitted from inside a write transaction")]
    Reentrant,
    /// PostgreSQL chose this transaction as the victim of a deadlock (or a serialization
    /// failure) with another node's transaction. Nothing of the job was written; the caller may
    /// run it again. Closures are `FnOnce`, so the store never retries on its own.
    #[error("conflict with a concurrent transaction, retry: {0}")]
    Conflict(String),
    /// The database server cannot be reached (connection refused or lost). Nothing was
    /// acknowledged; if the connection was lost during `COMMIT` the outcome is unknown, which the
    /// message says. Retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store location given to [`crate::Store::open`] cannot be used (e.g. a malformed URL).
    #[error("invalid store location: {0}")]
    Config(String),
    /// A notification that cannot be delivered by every backend: a payload longer than
    /// [`crate::MAX_NOTIFY_PAYLOAD`] bytes or containing NUL.
    #[error("invalid notification: {0}")]
    InvalidNotification(String),
    /// A namespace or key that PostgreSQL's `text` cannot hold (it contains NUL). Refused by the
    /// PostgreSQL backend before it reaches the server, so the transaction stays usable.
    #[error("invalid key: {0}")]
    InvalidKey(String),
}

impl StoreError {
    pub(crate) fn io(path: &Path, err: &std::io::Error) -> Self {
        StoreError::Io {
            path: path.display().to_string(),
            message: err.to_string(),
        }
    }
}

impl From<postgres::Error> for StoreError {
    fn from(err: postgres::Error) -> Self {
        let Some(db) = err.as_db_error() else {
            // No SQLSTATE: the socket, the protocol or authentication set-up failed, or the
            // connection is closed. Any of these means the server is out of reach from here.
            return StoreError::Unavailable(err.to_string());
        };
        let code = db.code().code();
        let message = format!("{} ({code})", db.message());
        match code {
            // deadlock_detected, serialization_failure: the job lost a race with another node.
            "40P01" | "40001" => StoreError::Conflict(message),
            // too_many_connections is transient; the rest of class 53 (disk full, out of
            // memory) needs an operator.
            "53300" => StoreError::Unavailable(message),
            // lock_not_available (lock_timeout), query_canceled (statement_timeout).
            "55P03" | "57014" => StoreError::Busy(message),
            "XX001" | "XX002" => StoreError::Corrupt(message),
            // Class 08: connection exception; 57P0x: the server is shutting down or starting.
            c if c.starts_with("08") || c.starts_with("57P") => StoreError::Unavailable(message),
            _ => StoreError::Backend(message),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match err.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                StoreError::Corrupt(err.to_string())
            }
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Busy(err.to_string())
            }
            _ => StoreError::Backend(err.to_string()),
        }
    }
}
