//! The public face of the blob store: [`BlobStore`], [`BlobWriter`], [`BlobReader`]. It owns the
//! API every backend must fit (create → write… → finish | abort, open → ranged chunk stream,
//! delete, sweep) and the choice of backend; it must never contain a backend's details, which
//! live in `dir.rs` (files) and `chunked/` (chunks in the metadata store, shared by every node on
//! one PostgreSQL database).

use crate::chunked::{ChunkReader, ChunkStore, ChunkWriter};
use crate::dir::{DirReader, DirStore, DirWriter};
use crate::{BlobError, BlobId};
use bytes::Bytes;
use futures_util::Stream;
use std::collections::HashSet;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Upper bound of one chunk a [`BlobStream`] yields, and so of the memory one read holds.
pub const READ_CHUNK: usize = 256 * 1024;

/// A stream of a blob's bytes in chunks of at most [`READ_CHUNK`].
pub type BlobStream = Pin<Box<dyn Stream<Item = Result<Bytes, BlobError>> + Send>>;

/// How long the in-store backend's sweep leaves an idle unfinished blob, or a finished one nothing
/// references, before removing it (see [`BlobStore::sweep_orphans`]).
pub const DEFAULT_SWEEP_GRACE: Duration = Duration::from_secs(24 * 60 * 60);

/// A handle to a blob store. Cloning is cheap.
#[derive(Clone)]
pub struct BlobStore {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Dir(Arc<DirStore>),
    Chunks(ChunkStore),
}

/// What [`BlobStore::sweep_orphans`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Finished blobs that nothing referenced.
    pub removed_blobs: u64,
    /// Leftovers of writers that never finished (a crash mid-upload), and of interrupted deletes.
    pub removed_temp: u64,
    /// Blobs still referenced.
    pub kept: u64,
    /// In-store backend only: unfinished or unreferenced blobs written to within the grace period
    /// (possibly another node's upload in progress), left for a later sweep.
    pub deferred: u64,
}

impl BlobStore {
    /// Opens (creating if needed, mode 0700) a blob store rooted at `path`.
    pub fn open_dir(path: &Path) -> Result<Self, BlobError> {
        Ok(BlobStore {
            backend: Backend::Dir(Arc::new(DirStore::open(path)?)),
        })
    }

    /// A blob store kept inside the metadata store, in chunks of [`READ_CHUNK`] bytes (namespaces
    /// `blob.chunk` and `blob.meta`). On PostgreSQL every node opening the same database sees the
    /// same blobs; on SQLite it works too (one node). Sweeps use [`DEFAULT_SWEEP_GRACE`].
    pub fn open_in_store(store: tessera_store::Store) -> Self {
        Self::open_in_store_with_grace(store, DEFAULT_SWEEP_GRACE)
    }

    /// [`BlobStore::open_in_store`] with another sweep grace period. It must exceed the longest
    /// pause between two writes of one upload, and the longest time between a blob's `finish` and
    /// the commit of the metadata that references it, on any node.
    pub fn open_in_store_with_grace(store: tessera_store::Store, grace: Duration) -> Self {
        BlobStore {
            backend: Backend::Chunks(ChunkStore::new(store, grace)),
        }
    }

    /// Starts a new blob. Nothing is visible until [`BlobWriter::finish`].
    pub async fn create(&self) -> Result<BlobWriter, BlobError> {
        let inner = match &self.backend {
            Backend::Dir(dir) => WriterInner::Dir(DirWriter::create(Arc::clone(dir)).await?),
            Backend::Chunks(chunks) => WriterInner::Chunks(ChunkWriter::create(chunks.clone())),
        };
        Ok(BlobWriter { inner })
    }

    /// Opens a finished blob for reading.
    pub async fn open(&self, id: &BlobId) -> Result<BlobReader, BlobError> {
        let inner = match &self.backend {
            Backend::Dir(dir) => ReaderInner::Dir(dir.open_blob(id).await?),
            Backend::Chunks(chunks) => ReaderInner::Chunks(chunks.open_blob(id).await?),
        };
        Ok(BlobReader { inner })
    }

    /// Removes a blob; `Ok(false)` if it did not exist (deletes are idempotent so that a retried
    /// cleanup never fails).
    ///
    /// In-store backend: the blob stops being readable at once; a stream already reading it from
    /// another reader ends with [`BlobError::NotFound`] at its next chunk.
    pub async fn delete(&self, id: &BlobId) -> Result<bool, BlobError> {
        match &self.backend {
            Backend::Dir(dir) => dir.delete(id).await,
            Backend::Chunks(chunks) => chunks.delete(id).await,
        }
    }

    /// Removes blobs not in `referenced`, and the leftovers of writers that never finished.
    ///
    /// Filesystem backend: removes every such blob and temporary file, so it is only safe while no
    /// writer is active and no finished blob is waiting for its metadata commit (i.e. at start-up,
    /// before serving): such blobs are not referenced yet and would be removed.
    ///
    /// In-store backend: other nodes may be uploading, and may have finished blobs whose metadata
    /// is not committed yet, so only blobs idle for the grace period are removed: unfinished ones
    /// not written to for that long, and unreferenced finished ones finished that long ago. The
    /// others are counted in [`SweepReport::deferred`]. Safe to run at any time on any node.
    pub async fn sweep_orphans(
        &self,
        referenced: HashSet<BlobId>,
    ) -> Result<SweepReport, BlobError> {
        match &self.backend {
            Backend::Dir(dir) => dir.sweep(referenced).await,
            Backend::Chunks(chunks) => chunks.sweep(referenced).await,
        }
    }
}

/// A blob being written. Dropping it unfinished removes what it wrote (filesystem: its temporary
/// file at once; in-store: its chunks, by a task spawned on the current tokio runtime, or, without
/// one, by a sweep after the grace period).
///
/// Memory: the in-store backend buffers at most one chunk ([`READ_CHUNK`]) and writes each full
/// chunk in a transaction of its own.
pub struct BlobWriter {
    inner: WriterInner,
}

enum WriterInner {
    Dir(DirWriter),
    Chunks(ChunkWriter),
}

impl BlobWriter {
    /// Appends bytes. In-store backend: after an error the writer refuses further bytes (the
    /// upload must start again).
    pub async fn write(&mut self, data: &[u8]) -> Result<(), BlobError> {
        match &mut self.inner {
            WriterInner::Dir(w) => w.write(data).await,
            WriterInner::Chunks(w) => w.write(data).await,
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        match &self.inner {
            WriterInner::Dir(w) => w.len(),
            WriterInner::Chunks(w) => w.len(),
        }
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes the blob durable and visible under its id. Filesystem: file and directory fsynced.
    /// In-store: the last chunk and the finished record committed in one transaction (SQLite:
    /// fsynced; PostgreSQL: `COMMIT` returned), readable from every node. On error nothing is
    /// visible and what was written is removed.
    pub async fn finish(self) -> Result<BlobId, BlobError> {
        match self.inner {
            WriterInner::Dir(w) => w.finish().await,
            WriterInner::Chunks(w) => w.finish().await,
        }
    }

    /// Discards the blob and whatever was written of it.
    pub async fn abort(self) {
        match self.inner {
            WriterInner::Dir(w) => w.abort().await,
            WriterInner::Chunks(w) => w.abort().await,
        }
    }
}

/// An open, finished blob.
pub struct BlobReader {
    inner: ReaderInner,
}

enum ReaderInner {
    Dir(DirReader),
    Chunks(ChunkReader),
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
        match &self.inner {
            ReaderInner::Dir(r) => r.len(),
            ReaderInner::Chunks(r) => r.len(),
        }
    }

    /// Whether the blob is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Streams `len` bytes from `start` in chunks of at most [`READ_CHUNK`]. In-store backend:
    /// each chunk is fetched when the stream is polled for it, one `Store::read` at a time.
    pub fn into_stream(self, start: u64, len: u64) -> Result<BlobStream, BlobError> {
        let size = self.len();
        if start.checked_add(len).is_none_or(|end| end > size) {
            return Err(BlobError::OutOfRange { start, len, size });
        }
        Ok(match self.inner {
            ReaderInner::Dir(r) => r.into_stream(start, len),
            ReaderInner::Chunks(r) => r.into_stream(start, len),
        })
    }
}
