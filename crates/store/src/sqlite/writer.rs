//! The single writer thread and its group commit. Owns the one read-write connection after open,
//! and the rule that a caller is answered only after the commit containing its job has returned
//! from fsync. Must never run a job outside a savepoint, nor answer a job before its commit.
//!
//! One batch is: take every queued job (at most [`crate::writer_thread::MAX_BATCH`]),
//! `BEGIN IMMEDIATE`, then per job `SAVEPOINT job` → closure → `RELEASE job` (kept) or
//! `ROLLBACK TO job; RELEASE job` (the closure returned `Err` or panicked), then one `COMMIT`, then
//! deliver the kept jobs' notifications, then answer every job. If the transaction itself breaks (BEGIN, a savepoint statement or COMMIT fails, or SQLite rolled it back on its own
//! after an I/O or disk-full error), every job run in it gets the error, nothing of it is written,
//! and the jobs not yet run start a fresh transaction.

use std::collections::VecDeque;
use std::sync::Arc;

use rusqlite::Connection;

use super::sql_tx::SqlTx;
use crate::counters::Counters;
use crate::job::WriteJob;
use crate::notify::Notifier;
use crate::writer_thread::{Batches, WriterHandle};
use crate::{Namespace, StoreError};

/// Starts the writer thread that owns `conn` from now on.
pub(crate) fn spawn(
    conn: Connection,
    counters: Arc<Counters>,
    notifier: Arc<Notifier>,
) -> Result<WriterHandle, StoreError> {
    let writer = Writer {
        conn,
        counters: Arc::clone(&counters),
        notifier,
    };
    WriterHandle::spawn("tessera-store-writer", counters, move |batches| {
        writer.run(&batches);
    })
}

struct Writer {
    conn: Connection,
    counters: Arc<Counters>,
    notifier: Arc<Notifier>,
}

impl Writer {
    fn run(self, batches: &Batches) {
        while let Some(batch) = batches.next() {
            self.commit_batch(batch);
        }
    }

    /// Runs `pending` in as few transactions as possible (one, unless a transaction breaks) and
    /// answers each job after the transaction that ran it has committed or failed.
    fn commit_batch(&self, mut pending: VecDeque<Box<dyn WriteJob>>) {
        while !pending.is_empty() {
            let mut ran = Vec::with_capacity(pending.len());
            let mut notifications = Vec::new();
            let outcome = self.transaction(&mut pending, &mut ran, &mut notifications);
            self.counters.ran(ran.len());
            if outcome.is_ok() {
                self.counters.committed();
                for (channel, payload) in &notifications {
                    self.notifier.publish(channel, payload);
                }
            }
            for job in ran {
                job.finish(outcome.clone());
            }
        }
    }

    /// One `BEGIN IMMEDIATE … COMMIT`. Moves each job it runs from `pending` to `ran`, and the
    /// notifications of each kept job to `notifications`; on a broken transaction it stops,
    /// leaving the rest in `pending`.
    fn transaction(
        &self,
        pending: &mut VecDeque<Box<dyn WriteJob>>,
        ran: &mut Vec<Box<dyn WriteJob>>,
        notifications: &mut Vec<(Namespace, String)>,
    ) -> Result<(), StoreError> {
        if let Err(err) = self.exec("BEGIN IMMEDIATE") {
            // Nothing can run without a transaction: fail the whole batch rather than spin.
            ran.extend(pending.drain(..));
            return Err(err.into());
        }
        while let Some(mut job) = pending.pop_front() {
            let step = self.run_job(job.as_mut(), notifications);
            ran.push(job);
            if let Err(err) = step {
                self.abandon();
                return Err(err);
            }
        }
        if let Err(err) = self.exec("COMMIT") {
            self.abandon();
            return Err(err.into());
        }
        Ok(())
    }

    /// Runs one job inside its own savepoint. `Err` means the enclosing transaction is broken.
    fn run_job(
        &self,
        job: &mut dyn WriteJob,
        notifications: &mut Vec<(Namespace, String)>,
    ) -> Result<(), StoreError> {
        self.exec("SAVEPOINT job")?;
        let mut tx = SqlTx::writable(&self.conn);
        let keep = job.run(&mut tx);
        let queued = tx.into_notifications();
        if self.conn.is_autocommit() {
            return Err(StoreError::Backend(
                "SQLite rolled back the write transaction after an error".into(),
            ));
        }
        if keep {
            self.exec("RELEASE job")?;
            notifications.extend(queued);
        } else {
            self.counters.rolled_back();
            self.exec("ROLLBACK TO job")?;
            self.exec("RELEASE job")?;
        }
        Ok(())
    }

    /// Runs one transaction-control statement, prepared once per connection (parsing them anew
    /// for every job was a measurable share of the writer's time).
    fn exec(&self, sql: &str) -> rusqlite::Result<usize> {
        self.conn.prepare_cached(sql)?.execute([])
    }

    /// Discards a broken transaction, if SQLite has not already done so.
    fn abandon(&self) {
        if !self.conn.is_autocommit() {
            if let Err(err) = self.exec("ROLLBACK") {
                tracing::error!(error = %err, "cannot roll back a failed write transaction");
            }
        }
    }
}
