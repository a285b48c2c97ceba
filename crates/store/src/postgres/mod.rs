//! The PostgreSQL backend, for several tessera nodes sharing one database (each node opens its
//! own `Store` on it).
//!
//! Sessions per node: one writer (group commit, see [`writer`]), up to [`READ_CONNECTIONS`]
//! pooled readers opened on demand (see [`readers`]), and one `LISTEN` connection (see
//! [`listener`]). The synchronous `postgres` client runs its own small runtime per connection, so
//! every session is used only on the store's own threads or on tokio's blocking threads, and
//! opened and closed off async worker threads.
//!
//! Tables live in the connection's current schema (select one with the URL's
//! `options=-csearch_path%3D<schema>`); migrations run at open under an advisory lock.
//!
//! Guarantees, and how they differ from the embedded backend:
//! - Durability: a write is acknowledged only after PostgreSQL's `COMMIT` returned; the writer
//!   session runs with `synchronous_commit` at least `on` (WAL flushed on the server, and on
//!   synchronous standbys where configured).
//! - Atomicity and isolation of one job: its savepoint; a failing, panicking or
//!   statement-error-swallowing job is rolled back alone, and its notifications are dropped.
//! - Reads ([`crate::Store::read`]): one `REPEATABLE READ READ ONLY` snapshot per transaction.
//! - Writes on one node are serialized by its writer thread, as on SQLite. Across nodes, a write
//!   job runs under READ COMMITTED and each statement sees the newest committed data, so:
//!   **read-modify-write through `get` is linearizable per key** — `get` locks the key (its row,
//!   or an advisory lock on the key when it has no row) until the commit, and every write transaction's
//!   `get`, `put` or `delete` of that key on another node waits for it, whether the key existed
//!   or not. `scan`
//!   and `count_range` lock nothing: a job that decides from a scan must re-read the keys it
//!   acts on with `get` (which then locks them) and re-check its decision.
//! - Deadlocks between two nodes' batches (each holding locks the other wants) are broken by
//!   PostgreSQL after `deadlock_timeout` (1 s by default); the victim *job* (not its batch) gets
//!   [`StoreError::Conflict`], nothing of it is written, and its caller may retry it (the store
//!   cannot: closures are `FnOnce`). A batch holds the locks of all its jobs until its commit, so
//!   even jobs that each lock keys in one global order can deadlock across nodes; single-key jobs
//!   only ever wait. SERIALIZABLE is not used, since its failures would need re-running jobs.
//! - Notifications: `pg_notify` inside the job's savepoint, so PostgreSQL delivers them only if
//!   that job's writes commit; every node's listener (this one's included) forwards them to its
//!   subscribers. All channels of one deployment travel on one PostgreSQL channel named after the
//!   schema, as `<channel length>:<channel><payload>`.
//!
//! Must never: acknowledge a write before its `COMMIT` returned, re-run a job, or use a session
//! on an async worker thread.

mod connect;
mod listener;
mod pg_tx;
mod readers;
mod schema;
mod statements;
mod writer;

use std::sync::Arc;

use crate::counters::Counters;
use crate::job::WriteJob;
use crate::notify::Notifier;
use crate::store::Backend;
use crate::writer_thread::WriterHandle;
use crate::{StoreError, StoreStats, Tx};
use connect::{Role, Session, Target};
use listener::ListenerHandle;
use readers::ReadPool;

/// Read sessions kept per node. Small: each is a server process, and every node has its own.
const READ_CONNECTIONS: usize = 4;

/// Whether a store location names PostgreSQL.
pub fn is_postgres_url(spec: &str) -> bool {
    ["postgres://", "postgresql://"].iter().any(|scheme| {
        spec.get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    })
}

pub(crate) struct PostgresBackend {
    // Drop order: the listener and the readers close first; the writer finishes its queue last.
    // The listener is held only to be stopped and joined when the store closes.
    _listener: ListenerHandle,
    readers: ReadPool,
    writer: WriterHandle,
    counters: Arc<Counters>,
}

impl PostgresBackend {
    pub(crate) fn open(url: &str, notifier: Arc<Notifier>) -> Result<Self, StoreError> {
        let target = Arc::new(Target::parse(url)?);
        // Open on a thread of our own: the synchronous client blocks on a runtime of its own,
        // which panics on a thread already running async tasks (the caller may be one), and so
        // does closing it. Whatever fails half-way is closed on that thread too.
        std::thread::Builder::new()
            .name("tessera-store-pg-open".into())
            .spawn(move || Self::open_here(target, notifier))
            .map_err(|e| StoreError::Backend(format!("cannot start the open thread: {e}")))?
            .join()
            .map_err(|_| StoreError::Backend("opening PostgreSQL panicked".into()))?
    }

    fn open_here(target: Arc<Target>, notifier: Arc<Notifier>) -> Result<Self, StoreError> {
        let (mut client, schema) = target.connect(Role::Writer)?;
        schema::migrate(&mut client)?;
        let session = Session::new(client, schema)?;
        let listen_client = listener::connect(&target, &session.schema)?;
        let channel = session.schema.clone();
        let counters = Arc::new(Counters::default());
        let writer = writer::spawn(Arc::clone(&target), session, Arc::clone(&counters))?;
        let listener =
            ListenerHandle::spawn(Arc::clone(&target), listen_client, channel, notifier)?;
        Ok(PostgresBackend {
            _listener: listener,
            readers: ReadPool::new(target, READ_CONNECTIONS),
            writer,
            counters,
        })
    }
}

impl Backend for PostgresBackend {
    fn submit(&self, job: Box<dyn WriteJob>) {
        self.writer.submit(job);
    }

    fn read_blocking(&self, body: &mut dyn FnMut(&mut dyn Tx)) -> Result<(), StoreError> {
        self.readers.with_snapshot(body)
    }

    fn short_reads_inline(&self) -> bool {
        false
    }

    fn stats(&self) -> StoreStats {
        self.counters.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::is_postgres_url;

    #[test]
    fn postgres_urls_are_recognised_by_scheme() {
        let cases = [
            ("postgres://db/tessera", true),
            (
                "postgresql://u:p@db:5432/tessera?options=-csearch_path%3Dx",
                true,
            ),
            ("POSTGRES://db/tessera", true),
            ("postgres:/db", false),
            ("/var/lib/tessera", false),
            ("sqlite", false),
            ("", false),
            ("é", false),
        ];
        for (spec, expected) in cases {
            assert_eq!(is_postgres_url(spec), expected, "{spec:?}");
        }
    }
}
