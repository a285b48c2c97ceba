//! The in-store layout: namespaces, keys and the meta record of one blob. It owns their exact
//! encoding (a record written by one node must parse on every other); it must never do I/O.

use crate::{BlobError, BlobId};

/// Chunks of every blob, keyed `{blob_id}/{chunk_no:010}`.
pub(crate) const CHUNK_NS: &str = "blob.chunk";
/// One [`Meta`] record per blob, keyed `{blob_id}`.
pub(crate) const META_NS: &str = "blob.meta";

pub(crate) fn chunk_key(id: &BlobId, chunk: u64) -> String {
    format!("{id}/{chunk:010}")
}

/// Where a blob is in its life. Only [`State::Finished`] blobs are readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// A writer is (or was, before a crash) appending chunks.
    Open,
    /// `finish` committed: every chunk is present and the blob is readable.
    Finished,
    /// Claimed for removal (by `delete`, or a sweep): no longer readable, chunks being removed.
    /// Written before the first chunk is deleted, so a crash mid-removal never leaves a readable
    /// blob with missing chunks.
    Gone,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Finished => "done",
            State::Gone => "gone",
        }
    }

    fn parse(s: &str) -> Option<State> {
        match s {
            "open" => Some(State::Open),
            "done" => Some(State::Finished),
            "gone" => Some(State::Gone),
            _ => None,
        }
    }
}

/// The record of one blob: how many bytes and chunks it holds, and when it was last written.
///
/// Invariant kept by every writer: a chunk `n` exists only while the blob's meta exists with
/// `chunks > n` (the first chunk and its meta are written in one transaction; removal deletes the
/// chunks before the meta). So cleaning a blob never needs to scan chunk values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) state: State,
    /// Bytes in the blob (in its written chunks while open).
    pub(crate) len: u64,
    /// Chunks written; all but the last hold exactly [`crate::READ_CHUNK`] bytes.
    pub(crate) chunks: u64,
    /// Unix seconds when the first chunk (or the empty finished blob) was written.
    pub(crate) started_at: u64,
    /// Unix seconds of the latest write (chunk, finish or claim); the sweep's grace period runs
    /// from here, so a slow but live upload is never taken for a crashed one.
    pub(crate) updated_at: u64,
}

impl Meta {
    pub(crate) fn encode(&self) -> Vec<u8> {
        format!(
            "{} {} {} {} {}",
            self.state.as_str(),
            self.len,
            self.chunks,
            self.started_at,
            self.updated_at
        )
        .into_bytes()
    }

    pub(crate) fn decode(id: &str, raw: &[u8]) -> Result<Meta, BlobError> {
        let corrupt = || BlobError::Corrupt(format!("meta record of blob {id}"));
        let text = std::str::from_utf8(raw).map_err(|_| corrupt())?;
        let fields: Vec<&str> = text.split(' ').collect();
        let [state, len, chunks, started_at, updated_at] = fields.as_slice() else {
            return Err(corrupt());
        };
        let num = |s: &str| s.parse::<u64>().map_err(|_| corrupt());
        Ok(Meta {
            state: State::parse(state).ok_or_else(corrupt)?,
            len: num(len)?,
            chunks: num(chunks)?,
            started_at: num(started_at)?,
            updated_at: num(updated_at)?,
        })
    }
}

/// Now, in unix seconds (0 if the clock is before 1970, which only makes blobs look younger).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_round_trips_and_rejects_garbage() {
        for state in [State::Open, State::Finished, State::Gone] {
            let meta = Meta {
                state,
                len: 1 << 40,
                chunks: 4_194_304,
                started_at: 1_700_000_000,
                updated_at: 1_700_000_123,
            };
            assert_eq!(Meta::decode("x", &meta.encode()).ok(), Some(meta));
        }
        for bad in [
            &b""[..],
            b"done 1 1 1",
            b"done 1 1 1 1 1",
            b"DONE 1 1 1 1",
            b"done -1 1 1 1",
            b"done 1  1 1 1",
            b"\xff 1 1 1 1",
        ] {
            assert!(Meta::decode("x", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn chunk_keys_sort_in_chunk_order() {
        let id = BlobId::generate();
        assert!(chunk_key(&id, 9) < chunk_key(&id, 10));
        assert_eq!(chunk_key(&id, 7), format!("{id}/0000000007"));
    }
}
