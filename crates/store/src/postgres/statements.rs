//! Every SQL statement the store runs inside transactions, prepared once per connection (a
//! prepared statement saves a round trip per call). Owns the SQL text; must never run anything
//! beyond preparing.

use postgres::{Client, Statement};

use crate::StoreError;

pub(crate) struct Statements {
    pub(crate) get: Statement,
    /// Row-locking read for write transactions: under READ COMMITTED, a `get` blocked by another
    /// transaction's lock returns the value that transaction committed.
    pub(crate) get_for_update: Statement,
    /// `get_unless_locked`: the row if no other transaction holds it, locked for us.
    pub(crate) get_skip_locked: Statement,
    /// Serializes transactions on a key that has no row yet (there is nothing to lock).
    pub(crate) lock_key: Statement,
    /// One round trip for every `put`: update the row in place if it exists (which locks it);
    /// otherwise take the key lock, then insert (or overwrite a row another node committed
    /// meanwhile; ON CONFLICT DO UPDATE sees it even outside the statement's snapshot). The
    /// materialized `locked` CTE runs only after `updated` found nothing, and feeds the insert
    /// its one row, so the lock is taken before the insert. Returns whether the key lock was
    /// taken.
    pub(crate) put: Statement,
    pub(crate) delete: Statement,
    /// `[exclusive lower bound][has upper bound]`.
    pub(crate) scan: [[Statement; 2]; 2],
    pub(crate) count_range: Statement,
    pub(crate) notify: Statement,
}

impl Statements {
    pub(crate) fn prepare(client: &mut Client) -> Result<Statements, StoreError> {
        let mut scan = |lower: &str, upper: &str, limit: &str| {
            client.prepare(&format!(
                "SELECT key, value FROM kv WHERE ns = $1 AND key {lower} $2{upper}
                 ORDER BY key LIMIT {limit}"
            ))
        };
        let scan = [
            [scan(">=", "", "$3")?, scan(">=", " AND key < $3", "$4")?],
            [scan(">", "", "$3")?, scan(">", " AND key < $3", "$4")?],
        ];
        Ok(Statements {
            scan,
            get: client.prepare("SELECT value FROM kv WHERE ns = $1 AND key = $2")?,
            get_for_update: client
                .prepare("SELECT value FROM kv WHERE ns = $1 AND key = $2 FOR UPDATE")?,
            get_skip_locked: client.prepare(
                "SELECT value FROM kv WHERE ns = $1 AND key = $2 FOR UPDATE SKIP LOCKED",
            )?,
            lock_key: client.prepare("SELECT pg_advisory_xact_lock($1)")?,
            put: client.prepare(
                "WITH updated AS (
                     UPDATE kv SET value = $3 WHERE ns = $1 AND key = $2 RETURNING 1
                 ),
                 locked AS MATERIALIZED (
                     SELECT pg_advisory_xact_lock($4) WHERE NOT EXISTS (SELECT 1 FROM updated)
                 ),
                 inserted AS (
                     INSERT INTO kv (ns, key, value) SELECT $1, $2, $3 FROM locked
                     ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value
                     RETURNING 1
                 )
                 SELECT count(*) FROM inserted",
            )?,
            delete: client.prepare("DELETE FROM kv WHERE ns = $1 AND key = $2")?,
            count_range: client
                .prepare("SELECT count(*) FROM kv WHERE ns = $1 AND key >= $2 AND key < $3")?,
            notify: client.prepare("SELECT pg_notify($1, $2)")?,
        })
    }
}
