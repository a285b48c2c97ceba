//! The in-store backend: blobs kept in the metadata store ([`tessera_store::Store`]) in chunks, so
//! that every tessera node sharing one PostgreSQL database sees the same objects. It owns the
//! chunk protocol (layout in `meta.rs`, upload in `writer.rs`, ranged reads in `reader.rs`) and
//! removal (delete, discard, sweep); it must never hold more than one chunk of a blob in memory per
//! writer or reader, nor put more than [`DELETE_BATCH`] chunks or one chunk write in one
//! transaction.
//!
//! Durability and visibility:
//! - Each full chunk is written in its own `Store::write`, together with the blob's meta record
//!   (state `open`); nothing of an open blob is readable.
//! - `finish` writes the last chunk and flips the meta record to `done` in one transaction; when it
//!   returns, the blob is durable (SQLite: fsynced; PostgreSQL: committed) and readable from every
//!   node.
//! - Removal first flips the meta record to `gone` (unreadable at once), then deletes the chunks in
//!   batches, then the meta record, so a crash part-way leaves a `gone` record for the next sweep,
//!   never a readable blob with holes.
//!
//! Sweeping with several nodes: a sweep cannot tell another node's live upload from a crashed
//! one, nor a blob just finished (whose object metadata is about to be committed) from garbage.
//! So it removes only `open` blobs not written to for the grace period, `done` blobs missing from
//! the referenced set whose `finish` is older than the grace period, and every `gone` record. A
//! blob is claimed for removal with a `get` inside a write transaction that re-checks the record is
//! unchanged, so an upload that wrote a chunk after the sweep looked at it is left alone.

mod meta;
mod reader;
mod writer;

pub(crate) use reader::ChunkReader;
pub(crate) use writer::ChunkWriter;

use crate::store::SweepReport;
use crate::{BlobError, BlobId};
use meta::{chunk_key, unix_now, Meta, State, CHUNK_NS, META_NS};
use std::collections::HashSet;
use std::time::Duration;
use tessera_store::{Store, StoreError, Tx};

/// Chunks deleted per write transaction: small transactions keep other writers of the node (whose
/// jobs share its group commit) from waiting behind one huge delete.
const DELETE_BATCH: u64 = 64;

/// Meta records read per sweep page.
const SWEEP_PAGE: usize = 500;

/// How often a write that lost a deadlock with another node is tried again. Every write here is
/// idempotent or re-checks its precondition, so re-running it is safe.
const CONFLICT_RETRIES: u32 = 3;

#[derive(Clone)]
pub(crate) struct ChunkStore {
    store: Store,
    grace: Duration,
}

/// Runs a write transaction built by `make`, again (with a fresh closure) after a
/// [`StoreError::Conflict`].
async fn write<T, F>(store: &Store, make: impl Fn() -> F) -> Result<T, BlobError>
where
    F: FnOnce(&mut dyn Tx) -> Result<T, BlobError> + Send + 'static,
    T: Send + 'static,
{
    let mut attempt = 0;
    loop {
        match store.write(make()).await {
            Err(BlobError::Store(StoreError::Conflict(_))) if attempt < CONFLICT_RETRIES => {
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

fn get_meta(tx: &mut dyn Tx, id: &BlobId) -> Result<Option<Meta>, BlobError> {
    match tx.get(META_NS, id.as_str())? {
        Some(raw) => Meta::decode(id.as_str(), &raw).map(Some),
        None => Ok(None),
    }
}

/// Deletes chunks `0..chunks` of `id` in batches, then its meta record. Idempotent: keys already
/// gone are skipped.
async fn remove_chunks_and_meta(store: &Store, id: &BlobId, chunks: u64) -> Result<(), BlobError> {
    let mut from = 0;
    while from < chunks {
        let to = chunks.min(from + DELETE_BATCH);
        let id2 = id.clone();
        write(store, || {
            let id = id2.clone();
            move |tx: &mut dyn Tx| {
                for n in from..to {
                    tx.delete(CHUNK_NS, &chunk_key(&id, n))?;
                }
                Ok(())
            }
        })
        .await?;
        from = to;
    }
    let id2 = id.clone();
    write(store, || {
        let id = id2.clone();
        move |tx: &mut dyn Tx| {
            tx.delete(META_NS, id.as_str())?;
            Ok(())
        }
    })
    .await
}

/// Flips `id`'s record to `gone` if `claim` accepts the current record (read with `get`, so it is
/// locked until the commit). Returns the claimed record.
async fn claim(
    store: &Store,
    id: &BlobId,
    claim: impl Fn(&Meta) -> bool + Clone + Send + 'static,
) -> Result<Option<Meta>, BlobError> {
    let id2 = id.clone();
    write(store, || {
        let (id, claim) = (id2.clone(), claim.clone());
        move |tx: &mut dyn Tx| {
            let Some(meta) = get_meta(tx, &id)? else {
                return Ok(None);
            };
            if !claim(&meta) {
                return Ok(None);
            }
            let gone = Meta {
                state: State::Gone,
                updated_at: unix_now(),
                ..meta
            };
            tx.put(META_NS, id.as_str(), &gone.encode())?;
            Ok(Some(meta))
        }
    })
    .await
}

impl ChunkStore {
    pub(crate) fn new(store: Store, grace: Duration) -> Self {
        ChunkStore { store, grace }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) async fn open_blob(&self, id: &BlobId) -> Result<ChunkReader, BlobError> {
        let key = id.clone();
        let meta = self
            .store
            .read(move |tx| get_meta(tx, &key))
            .await?
            .filter(|m| m.state == State::Finished)
            .ok_or_else(|| BlobError::NotFound(id.to_string()))?;
        Ok(ChunkReader::new(self.store.clone(), id.clone(), meta.len))
    }

    pub(crate) async fn delete(&self, id: &BlobId) -> Result<bool, BlobError> {
        // An open blob is not a blob yet (its id was never handed out): leave it to its writer or
        // the sweep. A `gone` one is the leftover of an interrupted removal: finish it.
        let claimed = claim(&self.store, id, |m| m.state == State::Finished).await?;
        if let Some(meta) = claimed {
            remove_chunks_and_meta(&self.store, id, meta.chunks).await?;
            return Ok(true);
        }
        let key = id.clone();
        let leftover = self.store.read(move |tx| get_meta(tx, &key)).await?;
        if let Some(meta) = leftover.filter(|m| m.state == State::Gone) {
            remove_chunks_and_meta(&self.store, id, meta.chunks).await?;
        }
        Ok(false)
    }

    pub(crate) async fn sweep(
        &self,
        referenced: HashSet<BlobId>,
    ) -> Result<SweepReport, BlobError> {
        let mut report = SweepReport::default();
        let mut after: Option<String> = None;
        loop {
            let start = after.clone();
            let page = self
                .store
                .read(move |tx| -> Result<_, BlobError> {
                    Ok(tx.scan(META_NS, "", start.as_deref(), SWEEP_PAGE)?)
                })
                .await?;
            let Some((last, _)) = page.last() else {
                break;
            };
            after = Some(last.clone());
            let now = unix_now();
            let grace = self.grace.as_secs();
            for (key, raw) in page {
                // Records that are not ours (no valid id, or a shape this build did not write) are
                // left alone rather than guessed at, and do not stop the sweep (start-up runs it).
                let (Ok(id), Ok(seen)) = (BlobId::parse(&key), Meta::decode(&key, &raw)) else {
                    continue;
                };
                let old = now.saturating_sub(seen.updated_at) >= grace;
                let in_use = referenced.contains(&id);
                match seen.state {
                    State::Finished if in_use => report.kept += 1,
                    State::Open | State::Finished if !old => report.deferred += 1,
                    State::Open | State::Finished | State::Gone => {
                        // Only if nobody wrote it since we looked (a chunk, a finish).
                        let claimed = claim(&self.store, &id, move |m| *m == seen).await?;
                        match claimed {
                            Some(meta) => {
                                remove_chunks_and_meta(&self.store, &id, meta.chunks).await?;
                                if meta.state == State::Finished {
                                    report.removed_blobs += 1;
                                } else {
                                    report.removed_temp += 1;
                                }
                            }
                            None => report.deferred += 1,
                        }
                    }
                }
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::READ_CHUNK;

    async fn records(store: &Store) -> u64 {
        store
            .read(|tx| -> Result<_, BlobError> {
                Ok(tx.count_range(CHUNK_NS, "", "\u{7f}")?
                    + tx.count_range(META_NS, "", "\u{7f}")?)
            })
            .await
            .unwrap()
    }

    /// A crash between the claim and the last deletion leaves a `gone` record and some chunks:
    /// never readable, and finished by the next delete of that id or by any sweep (whatever its
    /// grace period, since a `gone` blob is nobody's upload).
    #[tokio::test]
    async fn interrupted_removal_is_finished_by_delete_or_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(dir.path()).unwrap();
        let blobs = ChunkStore::new(store.clone(), Duration::from_secs(3600));
        for finish_by_sweep in [false, true] {
            let mut w = ChunkWriter::create(blobs.clone());
            w.write(&vec![7; 2 * READ_CHUNK + 1]).await.unwrap();
            let id = w.finish().await.unwrap();
            let claimed = claim(&store, &id, |_| true).await.unwrap().unwrap();
            assert_eq!((claimed.state, claimed.chunks), (State::Finished, 3));
            let key = chunk_key(&id, 0);
            store
                .write(move |tx| -> Result<_, BlobError> { Ok(tx.delete(CHUNK_NS, &key)?) })
                .await
                .unwrap();
            assert!(matches!(
                blobs.open_blob(&id).await,
                Err(BlobError::NotFound(_))
            ));
            if finish_by_sweep {
                let report = blobs.sweep(HashSet::new()).await.unwrap();
                assert_eq!((report.removed_temp, report.deferred), (1, 0));
            } else {
                assert!(!blobs.delete(&id).await.unwrap());
            }
            assert_eq!(records(&store).await, 0, "sweep: {finish_by_sweep}");
        }
    }
}
