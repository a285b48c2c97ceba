//! [`Tx`] over a SQLite connection that already has a transaction open. Owns the SQL for the
//! operations and collects the transaction's notifications; must never begin, commit or roll back
//! (the writer and the read pool do that), nor deliver a notification (the writer does, after
//! the commit).

use rusqlite::{Connection, OptionalExtension};

use crate::{notify, Namespace, StoreError, TryGet, Tx};

pub(crate) struct SqlTx<'c> {
    conn: &'c Connection,
    writable: bool,
    /// Notifications of this job, in order; the writer delivers them after the commit if the job
    /// is kept.
    notifications: Vec<(Namespace, String)>,
}

impl<'c> SqlTx<'c> {
    pub(crate) fn writable(conn: &'c Connection) -> Self {
        SqlTx {
            conn,
            writable: true,
            notifications: Vec::new(),
        }
    }

    pub(crate) fn read_only(conn: &'c Connection) -> Self {
        SqlTx {
            conn,
            writable: false,
            notifications: Vec::new(),
        }
    }

    pub(crate) fn into_notifications(self) -> Vec<(Namespace, String)> {
        self.notifications
    }

    fn check_writable(&self) -> Result<(), StoreError> {
        if self.writable {
            Ok(())
        } else {
            Err(StoreError::ReadOnly)
        }
    }
}

impl Tx for SqlTx<'_> {
    fn get(&mut self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM kv WHERE ns = ?1 AND key = ?2")?;
        Ok(stmt.query_row((ns, key), |row| row.get(0)).optional()?)
    }

    fn get_unless_locked(&mut self, ns: Namespace, key: &str) -> Result<TryGet, StoreError> {
        // One writer at a time: nothing is ever locked by someone else.
        Ok(match self.get(ns, key)? {
            Some(v) => TryGet::Found(v),
            None => TryGet::Missing,
        })
    }

    fn put(&mut self, ns: Namespace, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check_writable()?;
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO kv (ns, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value",
        )?;
        stmt.execute((ns, key, value))?;
        Ok(())
    }

    fn delete(&mut self, ns: Namespace, key: &str) -> Result<bool, StoreError> {
        self.check_writable()?;
        let mut stmt = self
            .conn
            .prepare_cached("DELETE FROM kv WHERE ns = ?1 AND key = ?2")?;
        Ok(stmt.execute((ns, key))? > 0)
    }

    fn scan(
        &mut self,
        ns: Namespace,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // Keys with a common prefix are one contiguous run in bytewise (BINARY collation) order,
        // starting at the prefix itself; the run ends at the first key without the prefix. Only
        // the lower bound goes to SQL, so no "successor of the prefix" string is ever needed.
        let (sql, lower) = match start_after {
            Some(after) if after >= prefix => (
                "SELECT key, value FROM kv WHERE ns = ?1 AND key > ?2 ORDER BY key",
                after,
            ),
            _ => (
                "SELECT key, value FROM kv WHERE ns = ?1 AND key >= ?2 ORDER BY key",
                prefix,
            ),
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query((ns, lower))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let key: String = row.get(0)?;
            if !key.starts_with(prefix) {
                break;
            }
            out.push((key, row.get(1)?));
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    fn count_range(&mut self, ns: Namespace, from: &str, to: &str) -> Result<u64, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT count(*) FROM kv WHERE ns = ?1 AND key >= ?2 AND key < ?3")?;
        let count: i64 = stmt.query_row((ns, from, to), |row| row.get(0))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    fn notify(&mut self, channel: Namespace, payload: &str) -> Result<(), StoreError> {
        self.check_writable()?;
        notify::validate(channel, payload)?;
        self.notifications.push((channel, payload.to_owned()));
        Ok(())
    }
}
