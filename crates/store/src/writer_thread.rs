//! The plumbing of a backend's single writer thread, shared by SQLite and PostgreSQL: the queue
//! into it, cutting what is queued into batches, refusing writes submitted from the writer thread
//! itself, and joining the thread on close. Must never touch a database: each backend's writer
//! decides how a batch becomes transactions.

use std::collections::VecDeque;
use std::sync::{mpsc, Arc};
use std::thread::{self, JoinHandle, ThreadId};

use crate::counters::Counters;
use crate::job::WriteJob;
use crate::StoreError;

/// Upper bound on jobs per commit, so one transaction (and the latency of its first caller) stays
/// bounded under a flood of writes.
pub(crate) const MAX_BATCH: usize = 256;

/// The store's side of the writer thread: the queue into it, and the thread to join on close.
pub(crate) struct WriterHandle {
    queue: Option<mpsc::Sender<Box<dyn WriteJob>>>,
    thread: Option<JoinHandle<()>>,
    thread_id: ThreadId,
    counters: Arc<Counters>,
}

impl WriterHandle {
    /// Starts the writer thread, which runs `body` until the queue is closed.
    pub(crate) fn spawn<F>(name: &str, counters: Arc<Counters>, body: F) -> Result<Self, StoreError>
    where
        F: FnOnce(Batches) + Send + 'static,
    {
        let (queue, jobs) = mpsc::channel();
        let batches = Batches {
            jobs,
            counters: Arc::clone(&counters),
        };
        let thread = thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || body(batches))
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
        self.counters.enqueued();
        if let Err(mpsc::SendError(job)) = queue.send(job) {
            self.counters.dequeued(1);
            job.finish(Err(StoreError::Closed));
        }
    }
}

impl Drop for WriterHandle {
    /// Closes the queue, so the writer finishes the jobs already in it and exits, then waits for
    /// it, so that its connection is closed when the last `Store` is gone. Not when the last
    /// handle is dropped on the writer thread itself (a job's closure owned it): the thread exits
    /// by itself right after.
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

/// The writer thread's side of the queue.
pub(crate) struct Batches {
    jobs: mpsc::Receiver<Box<dyn WriteJob>>,
    counters: Arc<Counters>,
}

impl Batches {
    /// Waits for a job, then takes every job queued behind it (at most [`MAX_BATCH`]). `None`
    /// once the store is closed and the queue is empty.
    pub(crate) fn next(&self) -> Option<VecDeque<Box<dyn WriteJob>>> {
        let first = self.jobs.recv().ok()?;
        let mut batch = VecDeque::with_capacity(MAX_BATCH);
        batch.push_back(first);
        while batch.len() < MAX_BATCH {
            match self.jobs.try_recv() {
                Ok(job) => batch.push_back(job),
                Err(_) => break,
            }
        }
        self.counters.dequeued(batch.len());
        Some(batch)
    }
}
