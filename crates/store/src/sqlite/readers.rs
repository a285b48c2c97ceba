//! The pool of read-only connections. Owns opening them lazily (up to a bound), snapshot
//! transactions on them, and returning only clean connections to the pool. Must never write.

use std::path::PathBuf;

use parking_lot::{Condvar, Mutex};
use rusqlite::{Connection, OpenFlags};

use super::schema;
use super::sql_tx::SqlTx;
use crate::{StoreError, Tx};

pub(crate) struct ReadPool {
    path: PathBuf,
    max: usize,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<Connection>,
    /// Connections that exist, idle or lent out.
    open: usize,
}

impl ReadPool {
    pub(crate) fn new(path: PathBuf, max: usize) -> Self {
        ReadPool {
            path,
            max: max.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        }
    }

    /// Runs `body` in a `BEGIN DEFERRED` transaction: SQLite pins the WAL snapshot at the first
    /// read, so every later read inside `body` sees the same committed state.
    pub(crate) fn with_snapshot(
        &self,
        body: &mut dyn FnMut(&mut dyn Tx),
    ) -> Result<(), StoreError> {
        let lent = self.checkout()?;
        let conn = lent.conn()?;
        conn.prepare_cached("BEGIN DEFERRED")?.execute([])?;
        body(&mut SqlTx::read_only(conn));
        Ok(())
        // `lent` ends the transaction when dropped.
    }

    fn checkout(&self) -> Result<Lent<'_>, StoreError> {
        let mut state = self.state.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Lent {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.open_connection() {
                    Ok(conn) => Ok(Lent {
                        pool: self,
                        conn: Some(conn),
                    }),
                    Err(err) => {
                        self.forget_one();
                        Err(err)
                    }
                };
            }
            self.returned.wait(&mut state);
        }
    }

    fn open_connection(&self) -> Result<Connection, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        schema::configure_reader(&conn)?;
        Ok(conn)
    }

    fn forget_one(&self) {
        let mut state = self.state.lock();
        state.open = state.open.saturating_sub(1);
        drop(state);
        self.returned.notify_one();
    }
}

/// A connection lent out of the pool; goes back (or is discarded) on drop.
struct Lent<'p> {
    pool: &'p ReadPool,
    conn: Option<Connection>,
}

impl Lent<'_> {
    fn conn(&self) -> Result<&Connection, StoreError> {
        self.conn
            .as_ref()
            .ok_or_else(|| StoreError::Backend("read connection already returned".into()))
    }
}

impl Drop for Lent<'_> {
    /// Ends the snapshot and returns the connection; a connection that cannot leave its
    /// transaction is closed instead, so no later read inherits a stale snapshot.
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if !conn.is_autocommit() {
            let ended = conn
                .prepare_cached("ROLLBACK")
                .and_then(|mut rollback| rollback.execute([]));
            if let Err(err) = ended {
                tracing::warn!(error = %err, "cannot end a read transaction; closing its connection");
            }
        }
        if conn.is_autocommit() {
            self.pool.state.lock().idle.push(conn);
            self.pool.returned.notify_one();
        } else {
            drop(conn);
            self.pool.forget_one();
        }
    }
}
