//! The single writer thread and its group commit. Owns the one read-write connection after open,
//! and the rule that a caller is answered only after the commit containing its job has returned
//! from fsync. Must never run a job outside a savepoint, nor answer a job before its commit.
//!
//! One batch is: take every queued job (at most [`MAX_BATCH`]), `BEGIN IMMEDIATE`, then per job
//! `SAVEPOINT job` → closure → `RELEASE job` (kept) or `ROLLBACK TO job; RELEASE job` (the closure
//! returned `Err` or panicked), then one `COMMIT`, then answer every job. If the transaction
//! itself breaks (BEGIN, a savepoint statement or COMMIT fails, or SQLite rolled it back on its own
//! after an I/O or disk-full error), every job run in it gets the error, nothing of it is written,
//! and the jobs not yet run start a fresh transaction.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::{self, JoinHandle, ThreadId};

use rusqlite::Connection;

use super::sql_tx::SqlTx;
use crate::job::WriteJob;
use crate::{StoreError, StoreStats};

/// Upper bound on jobs per commit, so one transaction (and the latency of its first caller) stays
/// bounded under a flood of writes.
pub(crate) const MAX_BATCH: usize = 256;

type Queue = mpsc::Sender<Box<dyn WriteJob>>;

/// Counters shared between the writer thread and [`crate::Store::stats`].
#[derive(Default)]
pub(crate) struct Counters {
    commits: AtomicU64,
    jobs: AtomicU64,
    rolled_back_jobs: AtomicU64,
    queued: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> StoreStats {
        StoreStats {
            commits: self.commits.load(Ordering::Relaxed),
            jobs: self.jobs.load(Ordering::Relaxed),
            rolled_back_jobs: self.rolled_back_jobs.load(Ordering::Relaxed),
            queued: self.queued.load(Ordering::Relaxed),
        }
    }
}

/// The store's side of the writer thread: the queue into it, and the thread to join on close.
pub(crate) struct WriterHandle {
    queue: Option<Queue>,
    thread: Option<JoinHandle<()>>,
    thread_id: ThreadId,
    counters: Arc<Counters>,
}

impl WriterHandle {
    pub(crate) fn spawn(conn: Connection, counters: Arc<Counters>) -> Result<Self, StoreError> {
        let (queue, jobs) = mpsc::channel();
        let writer = Writer {
            conn,
            jobs,
            counters: Arc::clone(&counters),
        };
        let thread = thread::Builder::new()
            .name("tessera-store-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        let thread_id = thread.thread().id();
        Ok(WriterHandle {
            queue: Some(queue),
            thread: Some(thread),
            thread_id,
            counters,
        })
    }

    pub(crate) fn submit(&self, job: Box<dyn WriteJob>) {
        if thread::current().id() == self.thread_id {
            job.finish(Err(StoreError::Reentrant));
            return;
        }
        let Some(queue) = &self.queue else {
            job.finish(Err(StoreError::Closed));
            return;
        };
        // Counted before sending so the writer's decrement can never run first.
        self.counters.queued.fetch_add(1, Ordering::Relaxed);
        if let Err(mpsc::SendError(job)) = queue.send(job) {
            self.counters.queued.fetch_sub(1, Ordering::Relaxed);
            job.finish(Err(StoreError::Closed));
        }
    }
}

impl Drop for WriterHandle {
    /// Closes the queue, so the writer finishes the jobs already in it and exits, then waits for
    /// it, so that the database is closed when the last `Store` is gone. Not when the last handle
    /// is dropped on the writer thread itself (a job's closure owned it): the thread exits by
    /// itself right after.
    fn drop(&mut self) {
        drop(self.queue.take());
        if thread::current().id() == self.thread_id {
            return;
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("tessera-store writer thread panicked");
            }
        }
    }
}

struct Writer {
    conn: Connection,
    jobs: mpsc::Receiver<Box<dyn WriteJob>>,
    counters: Arc<Counters>,
}

impl Writer {
    fn run(self) {
        while let Ok(first) = self.jobs.recv() {
            let mut batch = VecDeque::with_capacity(MAX_BATCH);
            batch.push_back(first);
            while batch.len() < MAX_BATCH {
                match self.jobs.try_recv() {
                    Ok(job) => batch.push_back(job),
                    Err(_) => break,
                }
            }
            self.counters
                .queued
                .fetch_sub(batch.len() as u64, Ordering::Relaxed);
            self.commit_batch(batch);
        }
    }

    /// Runs `pending` in as few transactions as possible (one, unless a transaction breaks) and
    /// answers each job after the transaction that ran it has committed or failed.
    fn commit_batch(&self, mut pending: VecDeque<Box<dyn WriteJob>>) {
        while !pending.is_empty() {
            let mut ran = Vec::with_capacity(pending.len());
            let outcome = self.transaction(&mut pending, &mut ran);
            self.counters
                .jobs
                .fetch_add(ran.len() as u64, Ordering::Relaxed);
            if outcome.is_ok() {
                self.counters.commits.fetch_add(1, Ordering::Relaxed);
            }
            for job in ran {
                job.finish(outcome.clone());
            }
        }
    }

    /// One `BEGIN IMMEDIATE … COMMIT`. Moves each job it runs from `pending` to `ran`; on a broken
    /// transaction it stops, leaving the rest in `pending`.
    fn transaction(
        &self,
        pending: &mut VecDeque<Box<dyn WriteJob>>,
        ran: &mut Vec<Box<dyn WriteJob>>,
    ) -> Result<(), StoreError> {
        if let Err(err) = self.conn.execute_batch("BEGIN IMMEDIATE") {
            // Nothing can run without a transaction: fail the whole batch rather than spin.
            ran.extend(pending.drain(..));
            return Err(err.into());
        }
        while let Some(mut job) = pending.pop_front() {
            let step = self.run_job(job.as_mut());
            ran.push(job);
            if let Err(err) = step {
                self.abandon();
                return Err(err);
            }
        }
        if let Err(err) = self.conn.execute_batch("COMMIT") {
            self.abandon();
            return Err(err.into());
        }
        Ok(())
    }

    /// Runs one job inside its own savepoint. `Err` means the enclosing transaction is broken.
    fn run_job(&self, job: &mut dyn WriteJob) -> Result<(), StoreError> {
        self.conn.execute_batch("SAVEPOINT job")?;
        let keep = job.run(&mut SqlTx::writable(&self.conn));
        if self.conn.is_autocommit() {
            return Err(StoreError::Backend(
                "SQLite rolled back the write transaction after an error".into(),
            ));
        }
        if keep {
            self.conn.execute_batch("RELEASE job")?;
        } else {
            self.counters
                .rolled_back_jobs
                .fetch_add(1, Ordering::Relaxed);
            self.conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
        }
        Ok(())
    }

    /// Discards a broken transaction, if SQLite has not already done so.
    fn abandon(&self) {
        if !self.conn.is_autocommit() {
            if let Err(err) = self.conn.execute_batch("ROLLBACK") {
                tracing::error!(error = %err, "cannot roll back a failed write transaction");
            }
        }
    }
}
