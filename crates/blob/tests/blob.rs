//! The blob store's contract, on every backend: durable finish, ranged chunked reads, cleanup of
//! unfinished writers, idempotent delete and the orphan sweep; and for the in-store backend, its
//! grace period and several nodes sharing blobs.

mod common;

use common::Node;
use futures_util::StreamExt;
use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;
use tessera_blob::{BlobError, BlobId, BlobStore, READ_CHUNK};

const CHUNK: u64 = READ_CHUNK as u64;

async fn put(store: &BlobStore, data: &[u8]) -> BlobId {
    let mut w = store.create().await.unwrap();
    for part in data.chunks(1000) {
        w.write(part).await.unwrap();
    }
    assert_eq!(w.len(), data.len() as u64);
    w.finish().await.unwrap()
}

async fn read(store: &BlobStore, id: &BlobId, start: u64, len: u64) -> Vec<u8> {
    let r = store.open(id).await.unwrap();
    let mut s = r.into_stream(start, len).unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = s.next().await {
        let chunk = chunk.unwrap();
        assert!(chunk.len() <= READ_CHUNK);
        out.extend_from_slice(&chunk);
    }
    out
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn write_finish_read_ranges() {
    for fx in common::all() {
        eprintln!("== backend: {}", fx.name());
        let store = fx.open().blobs;
        let data = pattern(READ_CHUNK * 2 + 123);
        let id = put(&store, &data).await;
        assert_eq!(store.open(&id).await.unwrap().len(), data.len() as u64);
        let n = data.len() as u64;
        for (start, len) in [
            (0, n),
            (0, 0),
            (1, 10),
            (n - 1, 1),
            (100, CHUNK + 7),
            (CHUNK - 1, 2),
            (CHUNK, CHUNK),
            (CHUNK - 5, CHUNK + 10),
            (0, CHUNK),
            (2 * CHUNK, 123),
            (n, 0),
        ] {
            let got = read(&store, &id, start, len).await;
            assert_eq!(
                got,
                &data[start as usize..(start + len) as usize],
                "{}: {start}+{len}",
                fx.name()
            );
        }
        let r = store.open(&id).await.unwrap();
        assert!(matches!(
            r.into_stream(n, 1),
            Err(BlobError::OutOfRange { .. })
        ));
        let r = store.open(&id).await.unwrap();
        assert!(matches!(
            r.into_stream(u64::MAX, 2),
            Err(BlobError::OutOfRange { .. })
        ));
    }
}

/// Writes of any size, including one spanning several chunks and ones ending exactly on a chunk
/// boundary, store the same bytes.
#[tokio::test]
async fn write_sizes_around_chunk_boundaries() {
    for fx in common::all() {
        eprintln!("== backend: {}", fx.name());
        let store = fx.open().blobs;
        for (total, part) in [
            (READ_CHUNK, READ_CHUNK),
            (2 * READ_CHUNK, READ_CHUNK / 2),
            (3 * READ_CHUNK + 1, 3 * READ_CHUNK + 1),
            (READ_CHUNK - 1, 7),
            (READ_CHUNK + 1, 65_536),
        ] {
            let data = pattern(total);
            let mut w = store.create().await.unwrap();
            for p in data.chunks(part) {
                w.write(p).await.unwrap();
            }
            let id = w.finish().await.unwrap();
            let n = total as u64;
            assert_eq!(store.open(&id).await.unwrap().len(), n);
            assert_eq!(read(&store, &id, 0, n).await, data, "{total}/{part}");
        }
    }
}

#[tokio::test]
async fn empty_blob() {
    for fx in common::all() {
        eprintln!("== backend: {}", fx.name());
        let store = fx.open().blobs;
        let w = store.create().await.unwrap();
        assert!(w.is_empty());
        let id = w.finish().await.unwrap();
        assert!(store.open(&id).await.unwrap().is_empty());
        assert!(read(&store, &id, 0, 0).await.is_empty());
    }
}

#[tokio::test]
async fn permissions_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("blobs-root");
    let store = BlobStore::open_dir(&root).unwrap();
    put(&store, b"secret").await;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&root), 0o700);
    let files = common::files_under(&root);
    assert_eq!(files.len(), 1);
    assert_eq!(mode(&files[0]), 0o600);
    assert_eq!(mode(files[0].parent().unwrap()), 0o700);
}

#[tokio::test]
async fn abort_and_drop_leave_nothing() {
    for fx in common::all() {
        eprintln!("== backend: {}", fx.name());
        let node = fx.open();
        let store = &node.blobs;
        let mut w = store.create().await.unwrap();
        w.write(b"partial").await.unwrap();
        w.abort().await;
        let mut w = store.create().await.unwrap();
        w.write(&pattern(3 * READ_CHUNK + 5)).await.unwrap();
        w.abort().await;
        assert_eq!(node.leftovers().await, 0, "{}: after abort", fx.name());

        let mut w = store.create().await.unwrap();
        w.write(&pattern(WRITE_MORE_THAN_BUFFER)).await.unwrap();
        drop(w);
        assert_eq!(
            node.wait_for_leftovers(0).await,
            0,
            "{}: after drop",
            fx.name()
        );
    }
}

const WRITE_MORE_THAN_BUFFER: usize = 2 * READ_CHUNK + 300 * 1024;

#[tokio::test]
async fn delete_is_idempotent_and_open_reports_not_found() {
    for fx in common::all() {
        eprintln!("== backend: {}", fx.name());
        let node = fx.open();
        let store = &node.blobs;
        for size in [1, 3 * READ_CHUNK + 9] {
            let id = put(store, &pattern(size)).await;
            assert!(store.delete(&id).await.unwrap());
            assert!(!store.delete(&id).await.unwrap());
            assert!(matches!(store.open(&id).await, Err(BlobError::NotFound(_))));
        }
        assert_eq!(node.leftovers().await, 0, "{}", fx.name());
    }
}

/// A stream opened before a delete ends with NotFound at its next chunk instead of yielding
/// bytes of a removed blob (in-store; the filesystem keeps an open file readable).
#[tokio::test]
async fn delete_during_read_ends_the_stream() {
    for fx in common::in_store() {
        eprintln!("== backend: {}", fx.name());
        let store = fx.open().blobs;
        let data = pattern(3 * READ_CHUNK);
        let id = put(&store, &data).await;
        let mut s = store
            .open(&id)
            .await
            .unwrap()
            .into_stream(0, data.len() as u64)
            .unwrap();
        let first = s.next().await.unwrap().unwrap();
        assert_eq!(&first[..], &data[..READ_CHUNK]);
        assert!(store.delete(&id).await.unwrap());
        assert!(matches!(s.next().await, Some(Err(BlobError::NotFound(_)))));
        assert!(s.next().await.is_none());
    }
}

#[tokio::test]
async fn sweep_removes_unreferenced_and_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open_dir(dir.path()).unwrap();
    let keep = put(&store, b"keep").await;
    let orphan = put(&store, b"orphan").await;
    // A writer that "crashed": its temp file is left behind without Drop running.
    let mut w = store.create().await.unwrap();
    w.write(b"half").await.unwrap();
    std::mem::forget(w);
    // A stranger's file in the tree is not ours to delete.
    let stranger = dir.path().join("blobs").join("README");
    std::fs::write(&stranger, b"hi").unwrap();

    let report = store
        .sweep_orphans(HashSet::from([keep.clone()]))
        .await
        .unwrap();
    assert_eq!(
        (report.removed_blobs, report.removed_temp, report.kept),
        (1, 1, 1)
    );
    assert_eq!(read(&store, &keep, 0, 4).await, b"keep");
    assert!(store.open(&orphan).await.is_err());
    assert!(stranger.exists());
}

/// The in-store sweep leaves anything younger than the grace period alone (another node may be
/// uploading it, or about to commit the metadata referencing it), and removes it once older.
#[tokio::test]
async fn sweep_in_store_respects_the_grace_period() {
    for fx in common::in_store() {
        eprintln!("== backend: {}", fx.name());
        let node = fx.open();
        let store = &node.blobs;
        let keep = put(store, &pattern(READ_CHUNK + 1)).await;
        let orphan = put(store, &pattern(2 * READ_CHUNK)).await;
        // A writer that "crashed" mid-upload: its chunks stay without Drop running.
        let mut w = store.create().await.unwrap();
        w.write(&pattern(READ_CHUNK + 10)).await.unwrap();
        std::mem::forget(w);
        let before = node.leftovers().await;

        let report = store
            .sweep_orphans(HashSet::from([keep.clone()]))
            .await
            .unwrap();
        assert_eq!(
            (
                report.removed_blobs,
                report.removed_temp,
                report.kept,
                report.deferred
            ),
            (0, 0, 1, 2),
            "{}: within the grace period",
            fx.name()
        );
        assert_eq!(node.leftovers().await, before);
        assert_eq!(read(store, &orphan, 0, 1).await, [0]);

        // Another node with no grace period: everything idle is old enough.
        let other = fx.open_with_grace(Duration::ZERO);
        let report = other
            .blobs
            .sweep_orphans(HashSet::from([keep.clone()]))
            .await
            .unwrap();
        assert_eq!(
            (
                report.removed_blobs,
                report.removed_temp,
                report.kept,
                report.deferred
            ),
            (1, 1, 1, 0),
            "{}: after the grace period",
            fx.name()
        );
        assert!(matches!(
            store.open(&orphan).await,
            Err(BlobError::NotFound(_))
        ));
        let data = pattern(READ_CHUNK + 1);
        assert_eq!(read(store, &keep, 0, data.len() as u64).await, data);
        // Only `keep` remains: its two chunks and its record.
        assert_eq!(node.leftovers().await, 3, "{}", fx.name());
    }
}

/// An upload whose record a sweep claimed (it looked idle) can neither write more nor finish, and
/// leaves nothing behind.
#[tokio::test]
async fn swept_upload_is_discarded() {
    for fx in common::in_store() {
        eprintln!("== backend: {}", fx.name());
        let node = fx.open();
        let mut w = node.blobs.create().await.unwrap();
        w.write(&pattern(READ_CHUNK)).await.unwrap();
        let sweeper = fx.open_with_grace(Duration::ZERO);
        let report = sweeper.blobs.sweep_orphans(HashSet::new()).await.unwrap();
        assert_eq!(report.removed_temp, 1, "{}", fx.name());
        assert!(matches!(
            w.write(&pattern(READ_CHUNK)).await,
            Err(BlobError::Discarded(_))
        ));
        assert!(matches!(w.finish().await, Err(BlobError::Discarded(_))));
        assert_eq!(node.leftovers().await, 0, "{}", fx.name());
    }
}

/// Nothing of an unfinished upload is readable, even by someone who learns its id.
#[tokio::test]
async fn unfinished_blob_is_invisible() {
    for fx in common::in_store() {
        eprintln!("== backend: {}", fx.name());
        let node = fx.open();
        let mut w = node.blobs.create().await.unwrap();
        w.write(&pattern(2 * READ_CHUNK + 3)).await.unwrap();
        let keys = node.meta_keys().await;
        assert_eq!(keys.len(), 1, "{}", fx.name());
        let id = BlobId::parse(&keys[0]).unwrap();
        assert!(matches!(
            node.blobs.open(&id).await,
            Err(BlobError::NotFound(_))
        ));
        // Nor can a delete of that id remove another writer's upload.
        assert!(!node.blobs.delete(&id).await.unwrap());
        let finished = w.finish().await.unwrap();
        assert_eq!(finished, id);
        assert_eq!(node.blobs.open(&id).await.unwrap().len(), 2 * CHUNK + 3);
    }
}

/// Two nodes on one database: a blob written through one `Store` handle is read, and deleted,
/// through another.
#[tokio::test]
async fn blob_written_on_one_node_is_read_on_another() {
    for fx in common::in_store() {
        eprintln!("== backend: {}", fx.name());
        let (a, b) = (fx.open(), fx.open());
        let data = pattern(2 * READ_CHUNK + 77);
        let id = put(&a.blobs, &data).await;
        let n = data.len() as u64;
        assert_eq!(read(&b.blobs, &id, 0, n).await, data);
        assert_eq!(
            read(&b.blobs, &id, CHUNK - 3, 6).await,
            &data[READ_CHUNK - 3..READ_CHUNK + 3]
        );
        assert!(b.blobs.delete(&id).await.unwrap());
        assert!(matches!(
            a.blobs.open(&id).await,
            Err(BlobError::NotFound(_))
        ));
        assert_eq!(a.leftovers().await, 0, "{}", fx.name());
    }
}

#[tokio::test]
async fn reopen_sees_finished_blobs() {
    for fx in common::all() {
        eprintln!("== backend: {}", fx.name());
        let data = pattern(READ_CHUNK + 5);
        let id = {
            let node: Node = fx.open();
            put(&node.blobs, &data).await
        };
        let store = fx.open().blobs;
        let parsed = BlobId::parse(id.as_str()).unwrap();
        assert_eq!(read(&store, &parsed, 0, data.len() as u64).await, data);
    }
}
