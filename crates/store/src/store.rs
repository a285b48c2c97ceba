//! The [`Store`] handle: the backend-neutral, generic API that services call. It owns turning
//! closures into jobs and delivering their answers, choosing a backend from a store location, and
//! handing out notification subscriptions; it must never contain SQL or know which backend it
//! drives beyond opening it (that is the [`Backend`] seam).

use std::path::Path;
use std::sync::{mpsc, Arc};

use tokio::sync::{broadcast, oneshot};

use crate::job::{call_guarded, Job, Reply, WriteJob};
use crate::notify::Notifier;
use crate::{postgres, sqlite, Namespace, StoreError, Tx};

/// What a storage backend provides. Object-safe so that [`Store`] stays one concrete type whatever
/// backend was opened, and callers never change when a backend is added.
///
/// Both backends run writes on their own writer thread with group commit (a savepoint per job)
/// and reads on pooled read-only connections. Committed notifications reach the [`Notifier`] the
/// backend was opened with.
pub(crate) trait Backend: Send + Sync {
    /// Queues a write job. The backend must eventually call [`WriteJob::finish`] exactly once,
    /// with `Err` if it cannot run it (e.g. [`StoreError::Closed`]).
    fn submit(&self, job: Box<dyn WriteJob>);

    /// Runs `body` inside a read-only snapshot transaction, blocking the calling thread.
    /// `body` never panics (callers wrap it with `call_guarded`).
    fn read_blocking(&self, body: &mut dyn FnMut(&mut dyn Tx)) -> Result<(), StoreError>;

    /// Whether a short read costs less than handing it to a blocking thread: true for the
    /// embedded database (pages come from a memory map), false where a read is a network round
    /// trip.
    fn short_reads_inline(&self) -> bool;

    /// Counters since open.
    fn stats(&self) -> StoreStats;
}

/// Cheap counters of the write path, since the store was opened (for metrics and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Write transactions committed to disk. With group commit this is at most `jobs`.
    pub commits: u64,
    /// Write jobs run (including rolled back ones).
    pub jobs: u64,
    /// Write jobs whose closure returned `Err` or panicked, and were rolled back alone.
    pub rolled_back_jobs: u64,
    /// Write jobs submitted but not yet picked up by the writer (a queue-depth gauge).
    pub queued: u64,
}

/// A handle to an open store. Cloning is cheap (an `Arc`); the store closes when the last clone is
/// dropped, after the writer has finished every job queued before that.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    notifier: Arc<Notifier>,
}

impl Store {
    /// Opens the store a location names: a `postgres://` or `postgresql://` URL opens
    /// PostgreSQL ([`Store::open_postgres`]); nothing, an empty string or `sqlite` opens the
    /// embedded database in `data_dir`; any other string is a directory for the embedded database.
    pub fn open(spec: Option<&str>, data_dir: &Path) -> Result<Store, StoreError> {
        match spec {
            None | Some("" | "sqlite") => Store::open_sqlite(data_dir),
            Some(url) if postgres::is_postgres_url(url) => Store::open_postgres(url),
            Some(dir) => Store::open_sqlite(Path::new(dir)),
        }
    }

    /// Opens (creating if needed) `<dir>/tessera.db` with WAL; creates the dir and the files with
    /// mode 0700/0600. Applies pending schema migrations before returning.
    pub fn open_sqlite(dir: &Path) -> Result<Store, StoreError> {
        let notifier = Arc::new(Notifier::default());
        let backend = sqlite::SqliteBackend::open(dir, Arc::clone(&notifier))?;
        Ok(Store {
            backend: Arc::new(backend),
            notifier,
        })
    }

    /// Connects to PostgreSQL (a libpq-style URL, e.g.
    /// `postgres://tessera:secret@db.internal:5432/tessera`), applies pending migrations under an
    /// advisory lock (several nodes may start at once) and starts the writer and the notification
    /// listener. The tables live in the connection's current schema: to keep several deployments
    /// (or tests) in one database, create a schema for each and select it with
    /// `?options=-csearch_path%3D<schema>`. Plain TCP only (no TLS in this build).
    ///
    /// Safe to call from async code: connecting happens on a thread of its own.
    pub fn open_postgres(url: &str) -> Result<Store, StoreError> {
        let notifier = Arc::new(Notifier::default());
        let backend = postgres::PostgresBackend::open(url, Arc::clone(&notifier))?;
        Ok(Store {
            backend: Arc::new(backend),
            notifier,
        })
    }

    /// Receives the payloads that committed transactions sent to `channel` with [`Tx::notify`],
    /// on this node and (PostgreSQL) every other node on the same database, from now on.
    ///
    /// An empty payload, or `RecvError::Lagged`, means notifications may have been missed (the
    /// listener reconnected, or this receiver fell behind): re-check whatever the channel guards.
    /// Notification is a wake-up hint, not a log: a subscriber must still read the store.
    pub fn subscribe(&self, channel: Namespace) -> broadcast::Receiver<String> {
        self.notifier.subscribe(channel)
    }

    /// Runs `f` in a read-only snapshot transaction (on a pooled read connection, via
    /// `spawn_blocking`). Every read inside `f` sees the same committed state; `put` and `delete`
    /// fail with [`StoreError::ReadOnly`].
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let backend = Arc::clone(&self.backend);
        let task = tokio::task::spawn_blocking(move || read_now(backend.as_ref(), f));
        match task.await {
            Ok(outcome) => outcome,
            // Only when the runtime is shutting down: panics are already caught inside.
            Err(_) => Err(E::from(StoreError::Closed)),
        }
    }

    /// [`Store::read`] for a few point lookups on a request's hot path (an object's record, a
    /// user's policies). On the embedded database it runs on the calling thread: reading a few
    /// mapped pages takes microseconds, less than waking a blocking thread and being woken back
    /// (which cost an S3 GET a third of its time). On PostgreSQL it is [`Store::read`]. Never use
    /// it for scans of unbounded length: it holds the async worker while it runs.
    pub async fn read_short<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        if self.backend.short_reads_inline() {
            read_now(self.backend.as_ref(), f)
        } else {
            self.read(f).await
        }
    }

    /// Runs `f` in a write transaction. If `f` returns Err (or panics), none of its writes happen
    /// (and other callers' transactions are unaffected). When this returns Ok, the write is durable
    /// (SQLite: fsynced; PostgreSQL: committed). On PostgreSQL, `f` may also fail with
    /// [`StoreError::Conflict`] (a deadlock with another node; retry) or
    /// [`StoreError::Unavailable`] (the server is out of reach).
    ///
    /// Dropping the returned future after it was first polled does not cancel the write.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.backend.submit(Box::new(Job::new(f, Reply::Async(tx))));
        match rx.await {
            Ok(outcome) => outcome,
            Err(_) => Err(E::from(StoreError::Closed)),
        }
    }

    /// Blocking variant for start-up code that is not async (bootstrap). Same semantics as
    /// [`Store::write`]. Blocks the calling thread, so do not call it from async code.
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.backend
            .submit(Box::new(Job::new(f, Reply::Blocking(tx))));
        match rx.recv() {
            Ok(outcome) => outcome,
            Err(_) => Err(E::from(StoreError::Closed)),
        }
    }

    /// Write-path counters since open.
    pub fn stats(&self) -> StoreStats {
        self.backend.stats()
    }
}

/// Runs `f` in a read snapshot on this thread.
fn read_now<T, E, F>(backend: &dyn Backend, f: F) -> Result<T, E>
where
    F: FnOnce(&mut dyn Tx) -> Result<T, E>,
    E: From<StoreError>,
{
    let mut f = Some(f);
    let mut outcome = None;
    let mut body = |tx: &mut dyn Tx| {
        if let Some(f) = f.take() {
            outcome = Some(call_guarded(f, tx));
        }
    };
    let ended = backend.read_blocking(&mut body);
    match (outcome, ended) {
        (Some(outcome), _) => outcome,
        (None, Err(err)) => Err(E::from(err)),
        (None, Ok(())) => Err(E::from(StoreError::Backend(
            "read transaction ended without running".into(),
        ))),
    }
}
