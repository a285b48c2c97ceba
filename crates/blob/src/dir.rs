//! The filesystem backend. It owns the on-disk layout and the durability protocol:
//!
//! - `tmp/<random>.tmp`: a writer's file (0600), created exclusively.
//! - `blobs/<id[0..2]>/<id[2..4]>/<id>`: finished blobs, fanned out so no directory grows huge.
//! - finish = flush, fsync the file, rename into place, fsync the target directory (and any
//!   directory just created, and its parent), so a blob that `finish` reported survives a crash.
//!
//! It must never build a path from anything but a validated [`BlobId`] or its own random names.

use crate::store::{BlobStream, SweepReport, READ_CHUNK};
use crate::{BlobError, BlobId};
use bytes::{Bytes, BytesMut};
use std::collections::HashSet;
use std::fs;
use std::io::{ErrorKind, SeekFrom};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufWriter};

/// Writes are buffered up to this size before they reach the file, so small frames of a request
/// body do not each cost a blocking-thread round trip.
const WRITE_BUFFER: usize = 256 * 1024;

pub(crate) struct DirStore {
    blobs: PathBuf,
    tmp: PathBuf,
}

fn mkdir_private(path: &Path) -> Result<bool, BlobError> {
    match fs::DirBuilder::new().mode(0o700).create(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(BlobError::io(path, e)),
    }
}

fn fsync_dir(path: &Path) -> Result<(), BlobError> {
    fs::File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(|e| BlobError::io(path, e))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, BlobError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| BlobError::Task(e.to_string()))?
}

impl DirStore {
    pub(crate) fn open(root: &Path) -> Result<Self, BlobError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)
            .map_err(|e| BlobError::io(root, e))?;
        let blobs = root.join("blobs");
        let tmp = root.join("tmp");
        mkdir_private(&blobs)?;
        mkdir_private(&tmp)?;
        Ok(DirStore { blobs, tmp })
    }

    fn path_of(&self, id: &BlobId) -> PathBuf {
        let s = id.as_str();
        self.blobs.join(&s[0..2]).join(&s[2..4]).join(s)
    }

    pub(crate) async fn open_blob(&self, id: &BlobId) -> Result<DirReader, BlobError> {
        let path = self.path_of(id);
        let file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(BlobError::NotFound(id.to_string()))
            }
            Err(e) => return Err(BlobError::io(&path, e)),
        };
        let len = file
            .metadata()
            .await
            .map_err(|e| BlobError::io(&path, e))?
            .len();
        Ok(DirReader { file, len, path })
    }

    pub(crate) async fn delete(&self, id: &BlobId) -> Result<bool, BlobError> {
        let path = self.path_of(id);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(BlobError::io(&path, e)),
        }
    }

    pub(crate) async fn sweep(
        self: &Arc<Self>,
        referenced: HashSet<BlobId>,
    ) -> Result<SweepReport, BlobError> {
        let me = Arc::clone(self);
        blocking(move || me.sweep_blocking(&referenced)).await
    }

    fn sweep_blocking(&self, referenced: &HashSet<BlobId>) -> Result<SweepReport, BlobError> {
        let mut report = SweepReport::default();
        for entry in read_dir(&self.tmp)? {
            remove_if_file(&entry)?;
            report.removed_temp += 1;
        }
        for level1 in read_dir(&self.blobs)? {
            if !level1.is_dir() {
                continue;
            }
            for level2 in read_dir(&level1)? {
                if !level2.is_dir() {
                    continue;
                }
                for blob in read_dir(&level2)? {
                    let name = blob.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    // Files that are not ours (no valid id) are left alone rather than guessed at.
                    let Ok(id) = BlobId::parse(name) else {
                        continue;
                    };
                    if referenced.contains(&id) {
                        report.kept += 1;
                    } else {
                        remove_if_file(&blob)?;
                        report.removed_blobs += 1;
                    }
                }
            }
        }
        Ok(report)
    }
}

fn read_dir(path: &Path) -> Result<Vec<PathBuf>, BlobError> {
    let entries = fs::read_dir(path).map_err(|e| BlobError::io(path, e))?;
    entries
        .map(|e| e.map(|e| e.path()).map_err(|e| BlobError::io(path, e)))
        .collect()
}

fn remove_if_file(path: &Path) -> Result<(), BlobError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(BlobError::io(path, e)),
    }
}

pub(crate) struct DirWriter {
    store: Arc<DirStore>,
    file: Option<BufWriter<tokio::fs::File>>,
    tmp_path: PathBuf,
    len: u64,
}

impl DirWriter {
    pub(crate) async fn create(store: Arc<DirStore>) -> Result<Self, BlobError> {
        let tmp_path = store
            .tmp
            .join(format!("{:032x}.tmp", rand::random::<u128>()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp_path)
            .await
            .map_err(|e| BlobError::io(&tmp_path, e))?;
        Ok(DirWriter {
            store,
            file: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            tmp_path,
            len: 0,
        })
    }

    pub(crate) async fn write(&mut self, data: &[u8]) -> Result<(), BlobError> {
        let Some(file) = self.file.as_mut() else {
            return Err(BlobError::Task("write after finish".into()));
        };
        file.write_all(data)
            .await
            .map_err(|e| BlobError::io(&self.tmp_path, e))?;
        self.len += data.len() as u64;
        Ok(())
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) async fn finish(mut self) -> Result<BlobId, BlobError> {
        let Some(mut file) = self.file.take() else {
            return Err(BlobError::Task("finish called twice".into()));
        };
        file.flush()
            .await
            .map_err(|e| BlobError::io(&self.tmp_path, e))?;
        let file = file.into_inner().into_std().await;
        let store = Arc::clone(&self.store);
        let tmp_path = self.tmp_path.clone();
        let id = blocking(move || {
            file.sync_all().map_err(|e| BlobError::io(&tmp_path, e))?;
            drop(file);
            let id = BlobId::generate();
            let target = store.path_of(&id);
            let dir2 = target.parent().unwrap_or(&store.blobs).to_path_buf();
            let dir1 = dir2.parent().unwrap_or(&store.blobs).to_path_buf();
            let new1 = mkdir_private(&dir1)?;
            let new2 = mkdir_private(&dir2)?;
            fs::rename(&tmp_path, &target).map_err(|e| BlobError::io(&target, e))?;
            fsync_dir(&dir2)?;
            if new2 {
                fsync_dir(&dir1)?;
            }
            if new1 {
                fsync_dir(&store.blobs)?;
            }
            Ok(id)
        })
        .await;
        match id {
            Ok(id) => {
                // Renamed: there is no temporary file left for Drop to remove.
                self.tmp_path = PathBuf::new();
                Ok(id)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn abort(mut self) {
        self.file = None;
        let path = std::mem::take(&mut self.tmp_path);
        // Best effort: a leftover is removed by the next sweep.
        let _ = tokio::fs::remove_file(path).await;
    }
}

impl Drop for DirWriter {
    fn drop(&mut self) {
        if !self.tmp_path.as_os_str().is_empty() {
            // Best effort and cheap (one unlink); a leftover is removed by the next sweep.
            let _ = fs::remove_file(&self.tmp_path);
        }
    }
}

pub(crate) struct DirReader {
    file: tokio::fs::File,
    len: u64,
    path: PathBuf,
}

struct ReadState {
    file: tokio::fs::File,
    path: PathBuf,
    next: u64,
    remaining: u64,
    seeked: bool,
}

impl DirReader {
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn into_stream(self, start: u64, len: u64) -> BlobStream {
        let state = ReadState {
            file: self.file,
            path: self.path,
            next: start,
            remaining: len,
            seeked: false,
        };
        Box::pin(futures_util::stream::unfold(state, |mut st| async move {
            if st.remaining == 0 {
                return None;
            }
            match read_chunk(&mut st).await {
                Ok(chunk) => Some((Ok(chunk), st)),
                Err(e) => {
                    // Stop after the first error: the stream ends with it.
                    st.remaining = 0;
                    Some((Err(e), st))
                }
            }
        }))
    }
}

async fn read_chunk(st: &mut ReadState) -> Result<Bytes, BlobError> {
    if !st.seeked {
        st.file
            .seek(SeekFrom::Start(st.next))
            .await
            .map_err(|e| BlobError::io(&st.path, e))?;
        st.seeked = true;
    }
    let n = usize::try_from(st.remaining).map_or(READ_CHUNK, |r| r.min(READ_CHUNK));
    let mut buf = BytesMut::zeroed(n);
    st.file
        .read_exact(&mut buf)
        .await
        .map_err(|e| BlobError::io(&st.path, e))?;
    st.next += n as u64;
    st.remaining -= n as u64;
    Ok(buf.freeze())
}
