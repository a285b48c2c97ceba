//! This node's writer thread on PostgreSQL: group commit with a savepoint per job, and
//! reconnecting. Owns the writer session and the rule that a caller hears `Ok` only after the
//! `COMMIT` containing its job returned successfully. Must never run a job outside a savepoint,
//! answer a job before its commit, or re-run a job (closures are `FnOnce`).
//!
//! One batch: `BEGIN ISOLATION LEVEL READ COMMITTED; SAVEPOINT job`, then per job: closure, then
//! `RELEASE SAVEPOINT job` (kept) or `ROLLBACK TO SAVEPOINT job` (its closure returned `Err`,
//! panicked, or swallowed a statement error), each sent together with the next job's `SAVEPOINT`
//! or the final `COMMIT` to save round trips. A transaction ends early (and the rest of the batch
//! starts a new one) once it holds [`MAX_KEY_LOCKS_PER_COMMIT`] advisory key locks, which live in
//! the server's shared lock table.
//!
//! Failures:
//! - A job hitting a deadlock with another node's batch (40P01) gets [`StoreError::Conflict`] on
//!   that statement; PostgreSQL aborts only the job's savepoint, so the job is rolled back alone
//!   and the rest of the batch commits. The caller may retry; the store cannot (no re-run).
//! - The connection is lost before a batch started: the writer reconnects at once and begins
//!   again (nothing has run). Lost mid-batch: every job run so far gets
//!   [`StoreError::Unavailable`] (the server rolled the transaction back), the rest start over
//!   on a new connection. Lost during `COMMIT`: the jobs get `Unavailable` saying the outcome is
//!   unknown — never `Ok`.
//! - While the server is unreachable, reconnect attempts back off (up to [`MAX_BACKOFF`]), and
//!   batches arriving in between are answered `Unavailable` at once instead of waiting.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::connect::{Role, Session, Target};
use super::pg_tx::{Mode, PgTx};
use crate::counters::Counters;
use crate::job::WriteJob;
use crate::writer_thread::{Batches, WriterHandle};
use crate::StoreError;

/// Advisory key locks one transaction may hold before the writer commits and starts another.
/// PostgreSQL's shared lock table holds `max_locks_per_transaction × max_connections` (6400 by
/// default) locks for all sessions; every node's writer stays well below its share.
const MAX_KEY_LOCKS_PER_COMMIT: usize = 1024;

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Starts the writer thread with an already connected session.
pub(crate) fn spawn(
    target: Arc<Target>,
    session: Session,
    counters: Arc<Counters>,
) -> Result<WriterHandle, StoreError> {
    let writer = Writer {
        target,
        session: Some(session),
        counters: Arc::clone(&counters),
        backoff: Backoff::default(),
    };
    WriterHandle::spawn("tessera-store-pg-writer", counters, move |batches| {
        writer.run(&batches);
    })
}

/// When the next connection attempt may happen, after failed ones.
#[derive(Default)]
struct Backoff {
    failures: u32,
    not_before: Option<Instant>,
    last_error: Option<StoreError>,
}

impl Backoff {
    fn failed(&mut self, err: &StoreError) {
        let delay = FIRST_BACKOFF
            .saturating_mul(1u32 << self.failures.min(16))
            .min(MAX_BACKOFF);
        self.failures = self.failures.saturating_add(1);
        self.not_before = Some(Instant::now() + delay);
        self.last_error = Some(err.clone());
    }

    fn succeeded(&mut self) {
        *self = Backoff::default();
    }

    /// `Err` while the last failure is too recent to try again.
    fn check(&self) -> Result<(), StoreError> {
        match (&self.not_before, &self.last_error) {
            (Some(not_before), Some(err)) if Instant::now() < *not_before => Err(
                StoreError::Unavailable(format!("reconnecting after: {err}")),
            ),
            _ => Ok(()),
        }
    }
}

/// A job that has run, and the statement error it swallowed, if any.
type Ran = (Box<dyn WriteJob>, Option<StoreError>);

struct Writer {
    target: Arc<Target>,
    session: Option<Session>,
    counters: Arc<Counters>,
    backoff: Backoff,
}

/// Whether an error means the connection is gone (rather than one statement failing).
fn connection_lost(err: &StoreError, session: &Session) -> bool {
    matches!(err, StoreError::Unavailable(_)) || session.client.is_closed()
}

impl Writer {
    fn run(mut self, batches: &Batches) {
        while let Some(batch) = batches.next() {
            self.commit_batch(batch);
        }
    }

    /// Runs `pending` in as few transactions as possible and answers each job after the
    /// transaction that ran it has committed or failed.
    fn commit_batch(&mut self, mut pending: VecDeque<Box<dyn WriteJob>>) {
        while !pending.is_empty() {
            let mut ran: Vec<Ran> = Vec::with_capacity(pending.len());
            let outcome = self.transaction(&mut pending, &mut ran);
            self.counters.ran(ran.len());
            if outcome.is_ok() {
                self.counters.committed();
            }
            for (job, swallowed) in ran {
                job.finish(match swallowed {
                    Some(err) => Err(err),
                    None => outcome.clone(),
                });
            }
        }
    }

    /// A session with `BEGIN … SAVEPOINT job` done. A session found dead at `BEGIN` is replaced
    /// at once, since nothing has run in it.
    fn begin(&mut self) -> Result<&mut Session, StoreError> {
        const BEGIN: &str = "BEGIN ISOLATION LEVEL READ COMMITTED; SAVEPOINT job";
        if let Some(mut session) = self.session.take() {
            match session.client.batch_execute(BEGIN) {
                Ok(()) => return Ok(self.session.insert(session)),
                Err(e) => {
                    let err = StoreError::from(e);
                    if !connection_lost(&err, &session) {
                        self.session = Some(session);
                        return Err(err);
                    }
                    tracing::warn!(error = %err, "PostgreSQL writer connection lost; reconnecting");
                }
            }
        } else {
            self.backoff.check()?;
        }
        match self.target.session(Role::Writer) {
            Ok(mut session) => {
                self.backoff.succeeded();
                session.client.batch_execute(BEGIN)?;
                Ok(self.session.insert(session))
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot connect the PostgreSQL writer");
                self.backoff.failed(&err);
                Err(err)
            }
        }
    }

    /// One transaction. Moves each job it runs from `pending` to `ran`; stops early when the
    /// transaction breaks or holds too many key locks, leaving the rest in `pending`.
    fn transaction(
        &mut self,
        pending: &mut VecDeque<Box<dyn WriteJob>>,
        ran: &mut Vec<Ran>,
    ) -> Result<(), StoreError> {
        let counters = Arc::clone(&self.counters);
        let session = match self.begin() {
            Ok(session) => session,
            Err(err) => {
                // Nothing can run without a transaction: fail the batch rather than spin.
                ran.extend(pending.drain(..).map(|job| (job, None)));
                return Err(err);
            }
        };
        let mut key_locks = 0;
        // What ends the previous job's savepoint; sent with the next statement.
        let mut end_savepoint = "";
        let mut broken = None;
        while let Some(mut job) = pending.pop_front() {
            if !end_savepoint.is_empty() {
                let start = format!("{end_savepoint}; SAVEPOINT job");
                if let Err(e) = session.client.batch_execute(&start) {
                    pending.push_front(job);
                    broken = Some(StoreError::from(e));
                    break;
                }
            }
            let mut tx = PgTx::new(session, Mode::Write);
            let keep = job.run(&mut tx);
            key_locks += tx.key_locks();
            let failure = tx.failure().cloned();
            if let Some(err) = failure.as_ref().filter(|e| connection_lost(e, session)) {
                broken = Some(err.clone());
                ran.push((job, None));
                break;
            }
            // PostgreSQL aborted the job's savepoint at the failed statement: its writes cannot
            // be kept even if the closure returned `Ok`.
            let swallowed = failure.filter(|_| keep);
            if keep && swallowed.is_none() {
                end_savepoint = "RELEASE SAVEPOINT job";
            } else {
                counters.rolled_back();
                end_savepoint = "ROLLBACK TO SAVEPOINT job";
            }
            ran.push((job, swallowed));
            if key_locks >= MAX_KEY_LOCKS_PER_COMMIT {
                break;
            }
        }
        if let Some(err) = broken {
            return Err(self.abandon(err));
        }
        // Every failed statement was inside a savepoint that has been (or is now) rolled back,
        // so the transaction is not in the aborted state where COMMIT would silently roll back.
        let commit = format!("{end_savepoint}; COMMIT");
        match session.client.batch_execute(&commit) {
            Ok(()) => Ok(()),
            Err(e) => {
                let err = StoreError::from(e);
                if connection_lost(&err, session) {
                    self.session = None;
                    Err(StoreError::Unavailable(format!(
                        "connection lost during COMMIT, the outcome is unknown: {err}"
                    )))
                } else {
                    Err(self.abandon(err))
                }
            }
        }
    }

    /// Discards a broken transaction (or the whole session if its connection is gone) and
    /// returns the error to answer its jobs with.
    fn abandon(&mut self, err: StoreError) -> StoreError {
        if let Some(session) = self.session.as_mut() {
            if connection_lost(&err, session) || session.client.batch_execute("ROLLBACK").is_err() {
                tracing::warn!(error = %err, "dropping the PostgreSQL writer connection");
                self.session = None;
            }
        }
        err
    }
}
