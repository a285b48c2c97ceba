//! The in-flight quota's bookkeeping: an estimate, per queue, of how many messages are received
//! and neither deleted nor visible again, cheap enough to consult on every receive.
//!
//! Counting the visibility index exactly costs time proportional to the number in flight, so a
//! node counts a queue at most once per [`RECOUNT_MS`] of clock time and in between adds what its
//! own receives claimed and subtracts what its own deletes and visibility changes released.
//! Receives reserve their share before claiming, so concurrent receives on one node never
//! overshoot together. What the estimate misses until the next count: other nodes' claims and
//! deletes, and visibility timeouts that expired (which only make it too high, so a queue at the
//! limit frees up within a second). AWS documents its quota as approximate too.
//!
//! It owns only these numbers; it must never touch the store (the caller counts) or decide what
//! a receive returns.

use std::collections::HashMap;

use parking_lot::Mutex;

/// How long a count is trusted, in clock milliseconds.
pub const RECOUNT_MS: u64 = 1000;
/// Past this many queues, those not counted for a minute are forgotten.
const PRUNE_ABOVE: usize = 4096;
const PRUNE_AGE_MS: u64 = 60_000;

#[derive(Default)]
struct Entry {
    counted: u64,
    counted_at_ms: u64,
    /// Claimed minus released by this node since the count.
    since: i64,
    /// Reserved by receives still running.
    pending: u64,
}

impl Entry {
    fn estimate(&self) -> u64 {
        let settled = i64::try_from(self.counted)
            .unwrap_or(i64::MAX)
            .saturating_add(self.since)
            .max(0);
        u64::try_from(settled)
            .unwrap_or(0)
            .saturating_add(self.pending)
    }
}

/// The estimates of one node, by queue id.
#[derive(Default)]
pub struct InflightGauge {
    queues: Mutex<HashMap<String, Entry>>,
}

impl InflightGauge {
    /// Whether the queue's count is missing or older than [`RECOUNT_MS`].
    pub fn needs_count(&self, qid: &str, now_ms: u64) -> bool {
        self.queues
            .lock()
            .get(qid)
            .is_none_or(|e| now_ms < e.counted_at_ms || now_ms - e.counted_at_ms >= RECOUNT_MS)
    }

    /// Records an exact count taken at `now_ms`.
    pub fn counted(&self, qid: &str, count: u64, now_ms: u64) {
        let mut queues = self.queues.lock();
        if queues.len() > PRUNE_ABOVE {
            queues.retain(|_, e| e.pending > 0 || now_ms < e.counted_at_ms + PRUNE_AGE_MS);
        }
        let e = queues.entry(qid.to_owned()).or_default();
        e.counted = count;
        e.counted_at_ms = now_ms;
        e.since = 0;
    }

    /// Reserves room for up to `want` messages under `limit`; [`Reservation::allowed`] says how
    /// many may be claimed (0: the queue is at its limit). The reservation ends when dropped,
    /// so a receive abandoned half-way (client gone) does not keep its room forever.
    pub fn reserve(&self, qid: &str, want: usize, limit: u64) -> Reservation<'_> {
        let mut queues = self.queues.lock();
        let e = queues.entry(qid.to_owned()).or_default();
        let room = limit.saturating_sub(e.estimate());
        let allowed = usize::try_from(room).unwrap_or(usize::MAX).min(want);
        e.pending += allowed as u64;
        Reservation {
            gauge: self,
            qid: qid.to_owned(),
            allowed,
            claimed: 0,
        }
    }

    /// Ends a reservation of `reserved`, of which `claimed` messages went in flight.
    fn settle(&self, qid: &str, reserved: usize, claimed: usize) {
        if let Some(e) = self.queues.lock().get_mut(qid) {
            e.pending = e.pending.saturating_sub(reserved as u64);
            e.since = e
                .since
                .saturating_add(i64::try_from(claimed).unwrap_or(i64::MAX));
        }
    }

    /// `n` in-flight messages were deleted or made visible on this node.
    pub fn release(&self, qid: &str, n: usize) {
        if let Some(e) = self.queues.lock().get_mut(qid) {
            e.since = e.since.saturating_sub(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// The queue id is gone (queue deleted or purged).
    pub fn forget(&self, qid: &str) {
        self.queues.lock().remove(qid);
    }
}

/// Room reserved under a queue's in-flight limit; settles when dropped.
pub struct Reservation<'g> {
    gauge: &'g InflightGauge,
    qid: String,
    allowed: usize,
    claimed: usize,
}

impl Reservation<'_> {
    pub fn allowed(&self) -> usize {
        self.allowed
    }

    /// How many messages the receive put in flight (at most [`Self::allowed`] count).
    pub fn claimed(&mut self, n: usize) {
        self.claimed = n.min(self.allowed);
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.gauge.settle(&self.qid, self.allowed, self.claimed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_stop_at_the_limit_and_releases_make_room() {
        let g = InflightGauge::default();
        assert!(g.needs_count("q", 5_000));
        g.counted("q", 7, 5_000);
        assert!(!g.needs_count("q", 5_999));
        assert!(g.needs_count("q", 6_000));
        // Two receives at once share the remaining room of 3.
        let mut first = g.reserve("q", 2, 10);
        let mut second = g.reserve("q", 10, 10);
        assert_eq!((first.allowed(), second.allowed()), (2, 1));
        assert_eq!(g.reserve("q", 1, 10).allowed(), 0);
        // The first claimed only one of its two: one slot is free again.
        first.claimed(1);
        drop(first);
        let mut third = g.reserve("q", 5, 10);
        assert_eq!(third.allowed(), 1);
        third.claimed(1);
        second.claimed(1);
        drop((second, third));
        assert_eq!(g.reserve("q", 1, 10).allowed(), 0);
        g.release("q", 4);
        assert_eq!(g.reserve("q", 10, 10).allowed(), 4);
    }

    #[test]
    fn an_abandoned_reservation_gives_its_room_back() {
        let g = InflightGauge::default();
        g.counted("q", 0, 0);
        let r = g.reserve("q", 3, 3);
        assert_eq!(g.reserve("q", 1, 3).allowed(), 0);
        drop(r);
        assert_eq!(g.reserve("q", 3, 3).allowed(), 3);
    }

    #[test]
    fn a_new_count_replaces_local_changes_but_keeps_running_reservations() {
        let g = InflightGauge::default();
        g.counted("q", 0, 0);
        let mut done = g.reserve("q", 3, 5);
        done.claimed(3);
        drop(done);
        let running = g.reserve("q", 2, 5);
        assert_eq!(running.allowed(), 2);
        // Another node deleted everything: the count says 0, the running 2 still count.
        g.counted("q", 0, 1_000);
        assert_eq!(g.reserve("q", 10, 5).allowed(), 3);
    }

    #[test]
    fn estimates_never_go_negative_and_forget_clears() {
        let g = InflightGauge::default();
        g.counted("q", 1, 0);
        g.release("q", 5);
        assert_eq!(g.reserve("q", 10, 2).allowed(), 2);
        g.forget("q");
        assert!(g.needs_count("q", 0));
    }
}
