//! FIFO request quotas as token buckets: one per (queue, API action) and, in high-throughput
//! mode, one per (queue, message group) for sends. A bucket holds one second of its rate and
//! refills continuously; a call that finds any of its buckets empty is refused whole
//! (`RequestThrottled`) and takes nothing.
//!
//! The buckets live in memory on each node: N nodes serving one queue together admit up to N
//! times the quota, and a restart refills every bucket. That is the price of keeping a store
//! round trip out of every FIFO call; AWS's own enforcement is not exact either.
//!
//! Time comes from the caller (the service's injected clock), so tests are deterministic. This
//! module must never touch the store, sleep or decide which calls are throttled (the service
//! names the buckets).

use std::collections::HashMap;

use parking_lot::Mutex;

/// The API actions AWS's FIFO quotas count separately; batch calls count with their single form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionFamily {
    Send,
    Receive,
    Delete,
}

/// Which bucket: queue key, action, and the message group for per-group quotas.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BucketKey {
    pub queue: String,
    pub action: ActionFamily,
    pub group: Option<String>,
}

/// Tokens are counted in thousandths so that refill is exact integer arithmetic: a bucket of
/// `rate` calls per second gains `rate` milli-tokens per millisecond.
const MILLI: u64 = 1000;
/// Past this many buckets, full ones (equivalent to absent ones) are dropped, at most once per
/// second of clock time.
const PRUNE_ABOVE: usize = 1024;

struct Bucket {
    milli_tokens: u64,
    at_ms: u64,
    rate: u64,
}

impl Bucket {
    fn capacity(&self) -> u64 {
        self.rate * MILLI
    }

    fn refill(&mut self, now_ms: u64) {
        // A clock that stepped back refills nothing until it passes the last reading again.
        if now_ms > self.at_ms {
            let gained = (now_ms - self.at_ms).saturating_mul(self.rate);
            self.milli_tokens = self
                .milli_tokens
                .saturating_add(gained)
                .min(self.capacity());
            self.at_ms = now_ms;
        }
    }
}

/// The buckets of one node.
#[derive(Default)]
pub struct Throttle {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    buckets: HashMap<BucketKey, Bucket>,
    pruned_at_ms: u64,
}

impl Throttle {
    /// Takes one call from every bucket in `wants` (each with its rate in calls per second), or
    /// from none of them if any is empty. Returns whether the call is admitted.
    pub fn admit(&self, now_ms: u64, wants: Vec<(BucketKey, u32)>) -> bool {
        let mut state = self.state.lock();
        let mut admitted = true;
        for (key, rate) in &wants {
            let rate = u64::from(*rate);
            let bucket = state.buckets.entry(key.clone()).or_insert(Bucket {
                milli_tokens: rate * MILLI,
                at_ms: now_ms,
                rate,
            });
            // A changed quota (queue switched mode, new configuration) applies at once.
            if bucket.rate != rate {
                bucket.rate = rate;
                bucket.milli_tokens = bucket.milli_tokens.min(bucket.capacity());
            }
            bucket.refill(now_ms);
            admitted &= bucket.milli_tokens >= MILLI;
        }
        if admitted {
            for (key, _) in &wants {
                if let Some(b) = state.buckets.get_mut(key) {
                    b.milli_tokens -= MILLI;
                }
            }
        }
        if state.buckets.len() > PRUNE_ABOVE && now_ms >= state.pruned_at_ms + 1000 {
            state.pruned_at_ms = now_ms;
            state.buckets.retain(|_, b| {
                b.refill(now_ms);
                b.milli_tokens < b.capacity()
            });
        }
        admitted
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.state.lock().buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(queue: &str, action: ActionFamily, group: Option<&str>) -> BucketKey {
        BucketKey {
            queue: queue.into(),
            action,
            group: group.map(str::to_owned),
        }
    }

    #[test]
    fn a_bucket_holds_one_second_and_refills_with_time() {
        let t = Throttle::default();
        let send = || vec![(key("q", ActionFamily::Send, None), 3)];
        let admitted: Vec<bool> = (0..4).map(|_| t.admit(1_000, send())).collect();
        assert_eq!(admitted, [true, true, true, false]);
        // A third of a second gives one call back, not more.
        assert!(t.admit(1_334, send()));
        assert!(!t.admit(1_334, send()));
        // A long pause refills to one second's worth only.
        let later: Vec<bool> = (0..4).map(|_| t.admit(60_000, send())).collect();
        assert_eq!(later, [true, true, true, false]);
    }

    #[test]
    fn actions_queues_and_groups_have_separate_buckets() {
        let t = Throttle::default();
        assert!(t.admit(0, vec![(key("q", ActionFamily::Send, None), 1)]));
        assert!(!t.admit(0, vec![(key("q", ActionFamily::Send, None), 1)]));
        assert!(t.admit(0, vec![(key("q", ActionFamily::Receive, None), 1)]));
        assert!(t.admit(0, vec![(key("q", ActionFamily::Delete, None), 1)]));
        assert!(t.admit(0, vec![(key("other", ActionFamily::Send, None), 1)]));
        let group = |g| {
            vec![
                (key("h", ActionFamily::Send, None), 100),
                (key("h", ActionFamily::Send, Some(g)), 1),
            ]
        };
        assert!(t.admit(0, group("a")));
        assert!(!t.admit(0, group("a")));
        assert!(t.admit(0, group("b")));
    }

    #[test]
    fn a_refused_call_takes_nothing() {
        let t = Throttle::default();
        let queue = key("h", ActionFamily::Send, None);
        let both = |g: &str| {
            vec![
                (queue.clone(), 2),
                (key("h", ActionFamily::Send, Some(g)), 1),
            ]
        };
        assert!(t.admit(0, both("a")));
        // Group a is empty: refused, and the queue bucket keeps its last token for group b.
        assert!(!t.admit(0, both("a")));
        assert!(t.admit(0, both("b")));
        assert!(!t.admit(0, both("c")));
    }

    #[test]
    fn clock_stepping_back_refills_nothing() {
        let t = Throttle::default();
        let send = || vec![(key("q", ActionFamily::Send, None), 1)];
        assert!(t.admit(10_000, send()));
        assert!(!t.admit(5_000, send()));
        assert!(!t.admit(10_999, send()));
        assert!(t.admit(11_000, send()));
    }

    #[test]
    fn full_buckets_are_pruned() {
        let t = Throttle::default();
        for i in 0..=PRUNE_ABOVE {
            assert!(t.admit(
                0,
                vec![(key("q", ActionFamily::Send, Some(&i.to_string())), 1)]
            ));
        }
        assert_eq!(t.len(), PRUNE_ABOVE + 1);
        // One second later every bucket is full again: the next call prunes all but its own.
        assert!(t.admit(1_000, vec![(key("q", ActionFamily::Send, Some("new")), 1)]));
        assert_eq!(t.len(), 1);
    }
}
