//! The embedded SQLite backend: one `tessera.db` in the data directory, in WAL mode.
//!
//! Threads: one writer thread owns the only read-write connection and runs every write with group
//! commit (see [`writer`]); reads run on tokio's blocking threads, each on a connection lent by a
//! small pool of read-only connections (see [`readers`]). WAL lets readers proceed while the writer
//! commits.
//!
//! What is fsynced when (`synchronous=FULL`, the unix VFS):
//! - At open: a newly created data directory's parent, then the new empty `tessera.db` and the data
//!   directory (by this module), so the file names survive power loss. SQLite additionally fsyncs
//!   the directory when it creates the `-wal` file.
//! - At every group commit: SQLite appends the batch's pages to `tessera.db-wal` and fsyncs it
//!   before `COMMIT` returns; the writer answers the batch's callers only after that. One fsync
//!   (two right after a checkpoint reset the WAL, whose header is synced too) covers up to
//!   [`crate::writer_thread::MAX_BATCH`] jobs. Nothing is acknowledged that is only in the page cache.
//! - At checkpoints: SQLite's automatic checkpoint (once the WAL passes 1000 pages, run by the
//!   writer at the end of a commit, before that batch is answered) and the final one when the last
//!   connection closes fsync the WAL, copy pages into `tessera.db`, and fsync `tessera.db` before
//!   the WAL is reused or deleted.
//! - Reads never fsync.
//!
//! Must never: acknowledge a write before its commit returned, or let a read connection write.

mod files;
mod readers;
mod schema;
mod sql_tx;
mod writer;

use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags};

use crate::counters::Counters;
use crate::job::WriteJob;
use crate::notify::Notifier;
use crate::store::Backend;
use crate::writer_thread::WriterHandle;
use crate::{StoreError, StoreStats, Tx};
use readers::ReadPool;

/// Read-only connections kept for concurrent reads. Small: the machine has few cores and reads of
/// small records are short.
const READ_CONNECTIONS: usize = 4;

pub(crate) struct SqliteBackend {
    // Field order is drop order: read connections close before the writer's, so the writer's
    // connection is the last one and SQLite checkpoints and removes the WAL when it closes.
    readers: ReadPool,
    writer: WriterHandle,
    counters: Arc<Counters>,
}

impl SqliteBackend {
    /// Opens the database; committed notifications are delivered in-process through `notifier`
    /// (an embedded database has no other nodes to tell).
    pub(crate) fn open(dir: &Path, notifier: Arc<Notifier>) -> Result<Self, StoreError> {
        let path = files::prepare(dir)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&path, flags)?;
        schema::configure_writer(&conn)?;
        schema::migrate(&mut conn)?;
        files::restrict_sidecars(&path)?;
        let counters = Arc::new(Counters::default());
        let writer = writer::spawn(conn, Arc::clone(&counters), notifier)?;
        Ok(SqliteBackend {
            readers: ReadPool::new(path, READ_CONNECTIONS),
            writer,
            counters,
        })
    }
}

impl Backend for SqliteBackend {
    fn submit(&self, job: Box<dyn WriteJob>) {
        self.writer.submit(job);
    }

    fn read_blocking(&self, body: &mut dyn FnMut(&mut dyn Tx)) -> Result<(), StoreError> {
        self.readers.with_snapshot(body)
    }

    fn short_reads_inline(&self) -> bool {
        true
    }

    fn stats(&self) -> StoreStats {
        self.counters.snapshot()
    }
}
