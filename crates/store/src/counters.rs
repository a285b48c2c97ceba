//! The write-path counters every backend's writer keeps, read by [`crate::Store::stats`]. Owns
//! only the atomics and their snapshot; must never decide anything from them.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::StoreStats;

/// Counters shared between a backend's writer thread and [`crate::Store::stats`].
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

    pub(crate) fn committed(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn ran(&self, jobs: usize) {
        self.jobs.fetch_add(jobs as u64, Ordering::Relaxed);
    }

    pub(crate) fn rolled_back(&self) {
        self.rolled_back_jobs.fetch_add(1, Ordering::Relaxed);
    }

    /// Counted before a job is sent to the writer, so the writer's decrement never runs first.
    pub(crate) fn enqueued(&self) {
        self.queued.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn dequeued(&self, jobs: usize) {
        self.queued.fetch_sub(jobs as u64, Ordering::Relaxed);
    }
}
