//! Type erasure between the generic [`crate::Store`] API and the backends: a caller's closure
//! becomes a [`WriteJob`] that a backend can queue, run once and answer later. This module owns
//! panic containment (a panicking closure becomes [`StoreError::Panicked`]); it must never touch a
//! database itself.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;

use tokio::sync::oneshot;

use crate::{StoreError, Tx};

/// A queued write transaction, as a backend's writer sees it.
pub(crate) trait WriteJob: Send {
    /// Runs the caller's closure (at most once). Returns whether its writes should be kept:
    /// `false` if it returned `Err` or panicked.
    fn run(&mut self, tx: &mut dyn Tx) -> bool;

    /// Answers the caller once the fate of the enclosing commit is known. `commit` is `Ok` only if
    /// the job's writes (if kept) are durable.
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
}

/// Where a job's answer goes: an awaiting task or a blocked thread.
pub(crate) enum Reply<R> {
    Async(oneshot::Sender<R>),
    Blocking(mpsc::SyncSender<R>),
}

impl<R> Reply<R> {
    fn send(self, value: R) {
        // A caller that stopped waiting (dropped future) no longer wants the answer; the write
        // itself has already happened or not, independent of that.
        match self {
            Reply::Async(tx) => drop(tx.send(value)),
            Reply::Blocking(tx) => drop(tx.send(value)),
        }
    }
}

enum State<T, E, F> {
    Pending(F),
    Ran(Result<T, E>),
    Taken,
}

/// The one implementation of [`WriteJob`]: a closure, its outcome once run, and its reply.
pub(crate) struct Job<T, E, F> {
    state: State<T, E, F>,
    reply: Reply<Result<T, E>>,
}

impl<T, E, F> Job<T, E, F> {
    pub(crate) fn new(f: F, reply: Reply<Result<T, E>>) -> Self {
        Job {
            state: State::Pending(f),
            reply,
        }
    }
}

impl<T, E, F> WriteJob for Job<T, E, F>
where
    F: FnOnce(&mut dyn Tx) -> Result<T, E> + Send,
    T: Send,
    E: From<StoreError> + Send,
{
    fn run(&mut self, tx: &mut dyn Tx) -> bool {
        match std::mem::replace(&mut self.state, State::Taken) {
            State::Pending(f) => {
                let outcome = call_guarded(f, tx);
                let keep = outcome.is_ok();
                self.state = State::Ran(outcome);
                keep
            }
            other => {
                self.state = other;
                false
            }
        }
    }

    fn finish(self: Box<Self>, commit: Result<(), StoreError>) {
        let answer = match (self.state, commit) {
            (State::Ran(Ok(value)), Ok(())) => Ok(value),
            // The job's own error is the more precise answer: its writes were discarded anyway.
            (State::Ran(Err(own)), _) => Err(own),
            (State::Ran(Ok(_)) | State::Pending(_), Err(err)) => Err(E::from(err)),
            (State::Pending(_) | State::Taken, Ok(())) | (State::Taken, Err(_)) => Err(E::from(
                StoreError::Backend("write job was answered without being run".into()),
            )),
        };
        self.reply.send(answer);
    }
}

/// Calls a transaction closure, turning a panic into [`StoreError::Panicked`] so that the thread
/// running it (the writer, or a pooled reader) survives and the caller gets an answer.
pub(crate) fn call_guarded<T, E, F>(f: F, tx: &mut dyn Tx) -> Result<T, E>
where
    F: FnOnce(&mut dyn Tx) -> Result<T, E>,
    E: From<StoreError>,
{
    match panic::catch_unwind(AssertUnwindSafe(|| f(tx))) {
        Ok(outcome) => outcome,
        Err(payload) => Err(E::from(StoreError::Panicked(panic_message(
            payload.as_ref(),
        )))),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
