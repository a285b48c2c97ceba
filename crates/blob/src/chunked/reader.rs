//! [`ChunkReader`]: a finished blob read back from the store. It owns mapping a byte range onto
//! chunks and checking each chunk's size; it must never read more than one chunk per step (one
//! `Store::read` each), so a reader holds at most one chunk in memory.

use super::meta::{chunk_key, CHUNK_NS};
use crate::store::{BlobStream, READ_CHUNK};
use crate::{BlobError, BlobId};
use bytes::Bytes;
use tessera_store::Store;

const CHUNK: u64 = READ_CHUNK as u64;

pub(crate) struct ChunkReader {
    store: Store,
    id: BlobId,
    len: u64,
}

struct ReadState {
    store: Store,
    id: BlobId,
    size: u64,
    next: u64,
    end: u64,
}

impl ChunkReader {
    pub(crate) fn new(store: Store, id: BlobId, len: u64) -> Self {
        ChunkReader { store, id, len }
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The caller checked that `start + len <= self.len`.
    pub(crate) fn into_stream(self, start: u64, len: u64) -> BlobStream {
        let state = ReadState {
            store: self.store,
            id: self.id,
            size: self.len,
            next: start,
            end: start + len,
        };
        Box::pin(futures_util::stream::unfold(state, |mut st| async move {
            if st.next >= st.end {
                return None;
            }
            match read_piece(&st).await {
                Ok(piece) => {
                    st.next += piece.len() as u64;
                    Some((Ok(piece), st))
                }
                Err(e) => {
                    // Stop after the first error: the stream ends with it.
                    st.next = st.end;
                    Some((Err(e), st))
                }
            }
        }))
    }
}

/// The part of the chunk holding `st.next` that lies inside the range.
async fn read_piece(st: &ReadState) -> Result<Bytes, BlobError> {
    let index = st.next / CHUNK;
    let chunk_start = index * CHUNK;
    let expected = st.size.saturating_sub(chunk_start).min(CHUNK);
    let key = chunk_key(&st.id, index);
    let stored = st
        .store
        .read(move |tx| -> Result<_, BlobError> { Ok(tx.get(CHUNK_NS, &key)?) })
        .await?;
    // Missing: the blob was deleted (on this node or another) while it was being read.
    let chunk = Bytes::from(stored.ok_or_else(|| BlobError::NotFound(st.id.to_string()))?);
    if chunk.len() as u64 != expected {
        return Err(BlobError::Corrupt(format!(
            "chunk {index} of blob {} holds {} bytes instead of {expected}",
            st.id,
            chunk.len()
        )));
    }
    let from = st.next - chunk_start;
    let to = st.end.min(chunk_start + expected) - chunk_start;
    // Both offsets are at most CHUNK, so they fit in usize.
    Ok(chunk.slice(from as usize..to as usize))
}
