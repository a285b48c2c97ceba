//! [`ChunkWriter`]: one upload into the store. It owns buffering (at most one chunk), the
//! one-transaction-per-chunk protocol and cleaning up after itself; it must never make a blob
//! readable before `finish`, nor write a chunk of a blob whose record is no longer its own `open`
//! one (a sweep may have claimed it).

use super::meta::{chunk_key, unix_now, Meta, State, CHUNK_NS, META_NS};
use super::{get_meta, remove_chunks_and_meta, write, ChunkStore};
use crate::store::READ_CHUNK;
use crate::{BlobError, BlobId};
use bytes::Bytes;
use tessera_store::Tx;

/// Bytes per stored chunk: the read chunk, so that one stored chunk is one streamed chunk.
const CHUNK: usize = READ_CHUNK;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Accepting bytes.
    Writing,
    /// A chunk write failed or is in flight (its future may be dropped mid-way): its outcome is
    /// unknown, so cleaning up must cover one chunk more than the committed ones.
    Failed,
    /// Finished or cleaned up: Drop has nothing to do.
    Closed,
}

pub(crate) struct ChunkWriter {
    blobs: ChunkStore,
    id: BlobId,
    buf: Vec<u8>,
    /// Bytes accepted (written chunks plus the buffer).
    len: u64,
    /// Chunks committed.
    chunks: u64,
    started_at: u64,
    phase: Phase,
}

/// The chunk-and-meta transaction: checks that the record is still this writer's (absent before
/// the first chunk, `open` with `expect_chunks` chunks after), then writes `chunk` (if any) as
/// chunk number `expect_chunks`, and the new record.
fn append(
    id: BlobId,
    expect_chunks: u64,
    chunk: Bytes,
    next: Meta,
) -> impl FnOnce(&mut dyn Tx) -> Result<(), BlobError> + Send + 'static {
    move |tx: &mut dyn Tx| {
        let ours = match get_meta(tx, &id)? {
            None => expect_chunks == 0,
            Some(m) => m.state == State::Open && m.chunks == expect_chunks,
        };
        if !ours {
            return Err(BlobError::Discarded(id.to_string()));
        }
        if !chunk.is_empty() {
            tx.put(CHUNK_NS, &chunk_key(&id, expect_chunks), &chunk)?;
        }
        tx.put(META_NS, id.as_str(), &next.encode())?;
        Ok(())
    }
}

impl ChunkWriter {
    pub(crate) fn create(blobs: ChunkStore) -> Self {
        ChunkWriter {
            blobs,
            id: BlobId::generate(),
            buf: Vec::new(),
            len: 0,
            chunks: 0,
            started_at: 0,
            phase: Phase::Writing,
        }
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    fn check_writing(&self) -> Result<(), BlobError> {
        match self.phase {
            Phase::Writing => Ok(()),
            Phase::Failed | Phase::Closed => Err(BlobError::Discarded(self.id.to_string())),
        }
    }

    pub(crate) async fn write(&mut self, mut data: &[u8]) -> Result<(), BlobError> {
        self.check_writing()?;
        while !data.is_empty() {
            if self.buf.capacity() == 0 {
                self.buf.reserve_exact(CHUNK);
            }
            let take = data.len().min(CHUNK - self.buf.len());
            self.buf.extend_from_slice(&data[..take]);
            self.len += take as u64;
            data = &data[take..];
            if self.buf.len() == CHUNK {
                self.commit_chunk(State::Open).await?;
            }
        }
        Ok(())
    }

    /// Writes the buffer (possibly empty) as the next chunk with a record in `state`.
    async fn commit_chunk(&mut self, state: State) -> Result<(), BlobError> {
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        let now = unix_now();
        if self.chunks == 0 {
            self.started_at = now;
        }
        let chunks = self.chunks + u64::from(!chunk.is_empty());
        let next = Meta {
            state,
            len: self.len,
            chunks,
            started_at: self.started_at,
            updated_at: now,
        };
        let (id, expect) = (self.id.clone(), self.chunks);
        self.phase = Phase::Failed;
        let outcome = write(self.blobs.store(), || {
            append(id.clone(), expect, chunk.clone(), next)
        })
        .await;
        if let Err(e) = outcome {
            if matches!(e, BlobError::Discarded(_)) {
                // Whoever claimed the record (a sweep) removes the chunks; deleting the record
                // under it could strand chunks if it then crashed.
                self.phase = Phase::Closed;
            }
            return Err(e);
        }
        self.chunks = chunks;
        self.phase = Phase::Writing;
        Ok(())
    }

    pub(crate) async fn finish(mut self) -> Result<BlobId, BlobError> {
        let outcome = match self.check_writing() {
            Ok(()) => self.commit_chunk(State::Finished).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => {
                self.phase = Phase::Closed;
                Ok(self.id.clone())
            }
            Err(e) => {
                self.discard().await;
                Err(e)
            }
        }
    }

    pub(crate) async fn abort(mut self) {
        self.discard().await;
    }

    /// Removes whatever this writer may have committed. After a failed write the chunk it tried
    /// may or may not have been committed, so one chunk more than known is deleted. Best effort:
    /// a leftover (store unreachable) is removed by a sweep after the grace period.
    async fn discard(&mut self) {
        if self.phase == Phase::Closed {
            return;
        }
        let upto = self.chunks + u64::from(self.phase == Phase::Failed);
        self.phase = Phase::Closed;
        if upto > 0 {
            let _ = remove_chunks_and_meta(self.blobs.store(), &self.id, upto).await;
        }
    }
}

impl Drop for ChunkWriter {
    fn drop(&mut self) {
        let upto = self.chunks + u64::from(self.phase == Phase::Failed);
        if self.phase == Phase::Closed || upto == 0 {
            return;
        }
        // Removal needs async store writes; without a runtime (or if it is shutting down) the
        // leftover stays until a sweep finds it idle for the grace period.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (store, id) = (self.blobs.store().clone(), self.id.clone());
            runtime.spawn(async move {
                let _ = remove_chunks_and_meta(&store, &id, upto).await;
            });
        }
    }
}
