//! The data directory and its files on disk. Owns their creation, permissions (0700 directory,
//! 0600 files: the store holds IAM secrets) and the directory fsyncs that make a newly created
//! file's name durable. Must never open a database connection.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::StoreError;

/// The database file's name inside the data directory.
pub(crate) const DB_FILE: &str = "tessera.db";

/// SQLite's companions of the database file, created in WAL mode.
const SIDECAR_SUFFIXES: [&str; 2] = ["-wal", "-shm"];

/// Creates `dir` (0700) and an empty `tessera.db` (0600) if missing, and returns the database
/// path. Existing files are narrowed to 0600; an existing directory's mode is left as chosen by
/// its owner.
pub(crate) fn prepare(dir: &Path) -> Result<PathBuf, StoreError> {
    if !dir.is_dir() {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| StoreError::io(dir, &e))?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
    }
    let db = dir.join(DB_FILE);
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&db)
    {
        Ok(file) => {
            file.sync_all().map_err(|e| StoreError::io(&db, &e))?;
            sync_dir(dir)?;
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => restrict(&db)?,
        Err(e) => return Err(StoreError::io(&db, &e)),
    }
    Ok(db)
}

/// Narrows the `-wal` and `-shm` files to 0600. SQLite creates them with the database file's
/// mode already; this also repairs files left by an older or foreign writer.
pub(crate) fn restrict_sidecars(db: &Path) -> Result<(), StoreError> {
    for suffix in SIDECAR_SUFFIXES {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        if path.exists() {
            restrict(&path)?;
        }
    }
    Ok(())
}

fn restrict(path: &Path) -> Result<(), StoreError> {
    let meta = fs::metadata(path).map_err(|e| StoreError::io(path, &e))?;
    if meta.permissions().mode() & 0o777 != 0o600 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .map_err(|e| StoreError::io(path, &e))?;
    }
    Ok(())
}

/// Makes a directory's entries durable, so a file created in it survives power loss.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, &e))
}
