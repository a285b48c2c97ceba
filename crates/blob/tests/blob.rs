//! The blob store's contract: durable finish, ranged chunked reads, cleanup of unfinished writers,
//! idempotent delete and the orphan sweep.

use futures_util::StreamExt;
use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tessera_blob::{BlobError, BlobId, BlobStore, READ_CHUNK};

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

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
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open_dir(&dir.path().join("b")).unwrap();
    let data = pattern(READ_CHUNK * 2 + 123);
    let id = put(&store, &data).await;
    assert_eq!(store.open(&id).await.unwrap().len(), data.len() as u64);
    let n = data.len() as u64;
    for (start, len) in [
        (0, n),
        (0, 0),
        (1, 10),
        (n - 1, 1),
        (100, READ_CHUNK as u64 + 7),
    ] {
        let got = read(&store, &id, start, len).await;
        assert_eq!(
            got,
            &data[start as usize..(start + len) as usize],
            "{start}+{len}"
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

#[tokio::test]
async fn empty_blob() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open_dir(dir.path()).unwrap();
    let w = store.create().await.unwrap();
    assert!(w.is_empty());
    let id = w.finish().await.unwrap();
    assert!(store.open(&id).await.unwrap().is_empty());
    assert!(read(&store, &id, 0, 0).await.is_empty());
}

#[tokio::test]
async fn permissions_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("blobs-root");
    let store = BlobStore::open_dir(&root).unwrap();
    put(&store, b"secret").await;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&root), 0o700);
    let files = files_under(&root);
    assert_eq!(files.len(), 1);
    assert_eq!(mode(&files[0]), 0o600);
    assert_eq!(mode(files[0].parent().unwrap()), 0o700);
}

#[tokio::test]
async fn abort_and_drop_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open_dir(dir.path()).unwrap();
    let mut w = store.create().await.unwrap();
    w.write(b"partial").await.unwrap();
    w.abort().await;
    let mut w = store.create().await.unwrap();
    w.write(&pattern(WRITE_MORE_THAN_BUFFER)).await.unwrap();
    drop(w);
    assert!(files_under(dir.path()).is_empty());
}

const WRITE_MORE_THAN_BUFFER: usize = 300 * 1024;

#[tokio::test]
async fn delete_is_idempotent_and_open_reports_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open_dir(dir.path()).unwrap();
    let id = put(&store, b"x").await;
    assert!(store.delete(&id).await.unwrap());
    assert!(!store.delete(&id).await.unwrap());
    assert!(matches!(store.open(&id).await, Err(BlobError::NotFound(_))));
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

#[tokio::test]
async fn reopen_sees_finished_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = BlobStore::open_dir(dir.path()).unwrap();
        put(&store, b"durable").await
    };
    let store = BlobStore::open_dir(dir.path()).unwrap();
    let parsed = BlobId::parse(id.as_str()).unwrap();
    assert_eq!(read(&store, &parsed, 0, 7).await, b"durable");
}
