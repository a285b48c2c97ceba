//! The crate's one error type. It must never carry HTTP or S3 notions.

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// The blob does not exist (never finished, deleted, or swept).
    #[error("blob {0} not found")]
    NotFound(String),
    /// A string that is not a blob id was offered as one.
    #[error("invalid blob id {0:?}")]
    InvalidId(String),
    /// A read range lies outside the blob.
    #[error("range {start}+{len} is outside a blob of {size} bytes")]
    OutOfRange { start: u64, len: u64, size: u64 },
    /// The operating system refused an operation on `path`.
    #[error("blob I/O on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A blocking filesystem task could not run to completion (runtime shutting down).
    #[error("blob task failed: {0}")]
    Task(String),
    /// The metadata store holding the chunks (the in-store backend) failed.
    #[error("blob storage: {0}")]
    Store(#[from] tessera_store::StoreError),
    /// A stored chunk or blob record does not have the shape this crate wrote.
    #[error("blob data is corrupt: {0}")]
    Corrupt(String),
    /// An unfinished blob was removed under its writer (a sweep found it idle for longer than the
    /// grace period, or the writer failed earlier); the upload must start again.
    #[error("unfinished blob {0} was discarded")]
    Discarded(String),
}

impl BlobError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        BlobError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
