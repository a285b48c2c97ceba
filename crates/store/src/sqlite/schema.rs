//! Connection settings and the versioned schema. Owns every PRAGMA and every migration; must never
//! hold domain knowledge (services define records on top of `kv`, not tables here).

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::StoreError;

/// How long a connection waits for a lock held by another process (e.g. an admin's `sqlite3`)
/// before giving up with [`StoreError::Busy`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Migration `i` brings the schema from version `i` to `i + 1`. Append only: a released migration
/// is never edited, because databases in the field already ran it.
const MIGRATIONS: &[&str] = &[
    // 1: the key-value table. WITHOUT ROWID stores rows in (ns, key) order, so a prefix scan is
    // one contiguous range of the primary-key B-tree.
    "CREATE TABLE kv (
        ns    TEXT NOT NULL,
        key   TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (ns, key)
    ) WITHOUT ROWID;",
];

/// The schema version this build writes.
pub(crate) fn current_version() -> i64 {
    // MIGRATIONS is a short constant list; its length always fits.
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// Settings for the one read-write connection.
///
/// `synchronous=FULL` in WAL mode fsyncs the WAL at every commit, so an acknowledged write
/// survives power loss, not only a crash of the process (NORMAL would only survive the latter).
pub(crate) fn configure_writer(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!(
            "cannot enable WAL journal mode (got {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Prepared statements kept per connection: every data statement and transaction-control
/// statement either kind of connection runs, with room to spare (rusqlite's default is 16).
const STATEMENT_CACHE: usize = 64;

/// Settings for a pooled read-only connection.
///
/// Reads go through a memory map of the database file instead of a `pread` per page: a small
/// read transaction (an S3 GET's object record) spent a third of its time in `pread` without it.
/// The map is address space, not memory: pages are the kernel's page cache, shared by every
/// connection.
pub(crate) fn configure_reader(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// How much of the database file readers map (SQLite reads beyond it with `pread`).
const MMAP_BYTES: i64 = 1 << 30;

/// Applies every migration the database has not run yet, in one transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS meta (
            key   TEXT PRIMARY KEY NOT NULL,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;",
    )?;
    let found: i64 = tx
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let supported = current_version();
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    let done = usize::try_from(found)
        .map_err(|_| StoreError::Corrupt(format!("negative schema version {found}")))?;
    for migration in MIGRATIONS.iter().skip(done) {
        tx.execute_batch(migration)?;
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [supported],
    )?;
    tx.commit()?;
    Ok(())
}
