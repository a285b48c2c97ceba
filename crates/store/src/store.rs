//! The [`Store`] handle: the backend-neutral, generic API that services call. It owns turning
//! closures into jobs and delivering their answers; it must never contain SQL or know which
//! backend it drives (that is the [`Backend`] seam, where PostgreSQL will plug in).

use std::path::Path;
use std::sync::{mpsc, Arc};

use tokio::sync::oneshot;

use crate::job::{call_guarded, Job, Reply, WriteJob};
use crate::{sqlite, StoreError, Tx};

/// What a storage backend provides. Object-safe so that [`Store`] stays one concrete type whatever
/// backend was opened, and callers never change when a backend is added.
///
/// A PostgreSQL backend fits the same shape: `read_blocking` on a pooled client in a
/// `REPEATABLE READ READ ONLY` transaction, `submit` into a writer thread that batches jobs into
/// one `SERIALIZABLE` transaction with a savepoint per job. A closure is `FnOnce`, so it cannot be
/// re-run after a serialization failure: such a backend retries only the transaction statements it
/// controls and otherwise answers the batch with an error.
pub(crate) trait Backend: Send + Sync {
    /// Queues a write job. The backend must eventually call [`WriteJob::finish`] exactly once,
    /// with `Err` if it cannot run it (e.g. [`StoreError::Closed`]).
    fn submit(&self, job: Box<dyn WriteJob>);

    /// Runs `body` inside a read-only snapshot transaction, blocking the calling thread.
    /// `body` never panics (callers wrap it with `call_guarded`).
    fn read_blocking(&self, body: &mut dyn FnMut(&mut dyn Tx)) -> Result<(), StoreError>;

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
}

impl Store {
    /// Opens (creating if needed) `<dir>/tessera.db` with WAL; creates the dir and the files with
    /// mode 0700/0600. Applies pending schema migrations before returning.
    pub fn open_sqlite(dir: &Path) -> Result<Store, StoreError> {
        let backend = sqlite::SqliteBackend::open(dir)?;
        Ok(Store {
            backend: Arc::new(backend),
        })
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
        let task = tokio::task::spawn_blocking(move || {
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
        });
        match task.await {
            Ok(outcome) => outcome,
            // Only when the runtime is shutting down: panics are already caught inside.
            Err(_) => Err(E::from(StoreError::Closed)),
        }
    }

    /// Runs `f` in a write transaction. If `f` returns Err (or panics), none of its writes happen
    /// (and other callers' transactions are unaffected). When this returns Ok, the write is durable
    /// (fsynced).
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
