//! The public face of the blob store: [`BlobStore`], [`BlobWriter`], [`BlobReader`]. It owns the
//! API every backend must fit (create → write… → finish | abort, open → ranged chunk stream,
//! delete, sweep); it must never contain filesystem details, which live in `dir.rs`, so that a
//! PostgreSQL chunk backend (several nodes sharing blobs) can be added behind the same types.

use crate::dir::{DirReader, DirStore, DirWriter};
use crate::{BlobError, BlobId};
use bytes::Bytes;
use futures_util::Stream;
use std::collections::HashSet;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

/// Upper bound of one chunk a [`BlobStream`] yields, and so of the memory one read holds.
pub const READ_CHUNK: usize = 256 * 1024;

/// A stream of a blob's bytes in chunks of at most [`READ_CHUNK`].
pub type BlobStream = Pin<Box<dyn Stream<Item = Result<Bytes, BlobError>> + Send>>;

/// A handle to a blob store. Cloning is cheap.
#[derive(Clone)]
pub struct BlobStore {
    dir: Arc<DirStore>,
}

/// What [`BlobStore::sweep_orphans`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Finished blobs that nothing referenced.
    pub removed_blobs: u64,
    /// Temporary files of writers that never finished (a crash mid-upload).
    pub removed_temp: u64,
    /// Blobs still referenced.
    pub kept: u64,
}

impl BlobStore {
    /// Opens (creating if needed, mode 0700) a blob store rooted at `path`.
    pub fn open_dir(path: &Path) -> Result<Self, BlobError> {
        Ok(BlobStore {
            dir: Arc::new(DirStore::open(path)?),
        })
    }

    /// Starts a new blob. Nothing is visible until [`BlobWriter::finish`].
    pub async fn create(&self) -> Result<BlobWriter, BlobError> {
        Ok(BlobWriter {
            inner: DirWriter::create(Arc::clone(&self.dir)).await?,
        })
    }

    /// Opens a finished blob for reading.
    pub async fn open(&self, id: &BlobId) -> Result<BlobReader, BlobError> {
        Ok(BlobReader {
            inner: self.dir.open_blob(id).await?,
        })
    }

    /// Removes a blob; `Ok(false)` if it did not exist (deletes are idempotent so that a retried
    /// cleanup never fails).
    pub async fn delete(&self, id: &BlobId) -> Result<bool, BlobError> {
        self.dir.delete(id).await
    }

    /// Removes every blob not in `referenced`, and every temporary file.
    ///
    /// Only safe while no writer is active and no finished blob is waiting for its metadata commit
    /// (i.e. at start-up, before serving): such blobs are not referenced yet and would be removed.
    pub async fn sweep_orphans(
        &self,
        referenced: HashSet<BlobId>,
    ) -> Result<SweepReport, BlobError> {
        self.dir.sweep(referenced).await
    }
}

/// A blob being written. Dropping it unfinished removes its temporary file.
pub struct BlobWriter {
    inner: DirWriter,
}

impl BlobWriter {
    /// Appends bytes.
    pub async fn write(&mut self, data: &[u8]) -> Result<(), BlobError> {
        self.inner.write(data).await
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.inner.len()
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.inner.len() == 0
    }

    /// Makes the blob durable (file and directory fsynced) and visible under a new id.
    pub async fn finish(self) -> Result<BlobId, BlobError> {
        self.inner.finish().await
    }

    /// Discards the blob and its temporary file.
    pub async fn abort(self) {
        self.inner.abort().await;
    }
}

/// An open, finished blob.
pub struct BlobReader {
    inner: DirReader,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("len", &self.len())
            .finish()
    }
}

impl BlobReader {
    /// The blob's size in bytes.
    pub fn len(&self) -> u64 {
        self.inner.len()
    }

    /// Whether the blob is empty.
    pub fn is_empty(&self) -> bool {
        self.inner.len() == 0
    }

    /// Streams `len` bytes from `start` in chunks of at most [`READ_CHUNK`].
    pub fn into_stream(self, start: u64, len: u64) -> Result<BlobStream, BlobError> {
        let size = self.len();
        if start.checked_add(len).is_none_or(|end| end > size) {
            return Err(BlobError::OutOfRange { start, len, size });
        }
        Ok(self.inner.into_stream(start, len))
    }
}
