//! The crate's one error type. It owns the mapping from backend errors (SQLite result codes today)
//! to the few cases callers can act on; it must never carry HTTP or AWS notions.

use std::path::Path;

/// Why a storage operation failed.
///
/// `Clone` because one failed group commit answers every job of its batch with the same error.
/// `#[non_exhaustive]` because the PostgreSQL backend will add cases (e.g. exhausted retries).
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
}

impl StoreError {
    pub(crate) fn io(path: &Path, err: &std::io::Error) -> Self {
        StoreError::Io {
            path: path.display().to_string(),
            message: err.to_string(),
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
