//! Counting: each connection keeps its own tally (no sharing on the hot path except two relaxed
//! counters for the progress line); tallies are merged into one report at the end.
//!
//! Every non-2xx response, every transport failure and every 2xx answer that fails the workload's
//! check (a malformed receive, a failed batch entry, a short object, a lost message) is an error and
//! shows in the report, by kind and with the first error's text, so a fast run of failures can never
//! pass for a fast run. Iterations that succeed with nothing to do (an empty receive) are counted
//! apart from both.

use crate::error::BenchError;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Highest latency recorded exactly: one minute, in nanoseconds; longer ones are clamped.
const MAX_LATENCY_NS: u64 = 60_000_000_000;
/// Longest error text kept for the report.
const ERROR_SAMPLE_CHARS: usize = 300;

/// Counters read by the progress line while the run goes on.
#[derive(Default)]
pub struct Live {
    pub ok: AtomicU64,
    pub errors: AtomicU64,
}

impl Live {
    pub fn snapshot(&self) -> (u64, u64) {
        (
            self.ok.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
        )
    }
}

/// What one iteration of a workload came to, as the workload judged it.
#[derive(Debug)]
pub enum Outcome<'a> {
    /// It did what it should; `items` counts what it moved (messages, keys, bytes).
    Ok { items: u64 },
    /// It succeeded with nothing to do (an empty receive): neither a success nor an error.
    Empty,
    /// A non-2xx answer, with its body.
    Status(http::StatusCode, &'a [u8]),
    /// A 2xx answer (or a sequence of them) the workload cannot accept; the text says why.
    Failed(String),
}

/// One connection's results.
pub struct Tally {
    /// Latencies of successful iterations, in nanoseconds.
    latency: Histogram<u64>,
    ok: u64,
    items: u64,
    empty: u64,
    statuses: BTreeMap<u16, u64>,
    transport: u64,
    failed_checks: u64,
    reconnects: u64,
    notes: BTreeMap<&'static str, u64>,
    first_error: Option<String>,
}

impl Tally {
    pub fn new() -> Self {
        // Bounds are constants within hdrhistogram's limits (low >= 1, high >= 2 * low, 3 digits).
        let latency = match Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3) {
            Ok(h) => h,
            Err(e) => unreachable!("constant histogram bounds rejected: {e:?}"),
        };
        Self {
            latency,
            ok: 0,
            items: 0,
            empty: 0,
            statuses: BTreeMap::new(),
            transport: 0,
            failed_checks: 0,
            reconnects: 0,
            notes: BTreeMap::new(),
            first_error: None,
        }
    }

    /// Records one iteration; `took` counts only for successes.
    pub fn record(&mut self, live: &Live, outcome: Outcome<'_>, took: Duration) {
        match outcome {
            Outcome::Ok { items } => {
                self.items += items;
                self.success(live, took);
            }
            Outcome::Empty => self.empty += 1,
            Outcome::Status(status, body) => self.http_error(live, status, body),
            Outcome::Failed(why) => {
                live.errors.fetch_add(1, Ordering::Relaxed);
                self.failed_checks += 1;
                self.sample(|| format!("check failed: {why}"));
            }
        }
    }

    /// Counts a workload-specific event that is neither a success nor an error (e.g. a message
    /// that arrived before its sender saw the acknowledgement).
    pub fn note(&mut self, name: &'static str) {
        *self.notes.entry(name).or_default() += 1;
    }

    pub fn success(&mut self, live: &Live, took: Duration) {
        self.ok += 1;
        live.ok.fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.latency.saturating_record(ns.max(1));
    }

    pub fn http_error(&mut self, live: &Live, status: http::StatusCode, body: &[u8]) {
        live.errors.fetch_add(1, Ordering::Relaxed);
        *self.statuses.entry(status.as_u16()).or_default() += 1;
        self.sample(|| format!("HTTP {status}: {}", String::from_utf8_lossy(body)));
    }

    pub fn transport_error(&mut self, live: &Live, err: &BenchError) {
        live.errors.fetch_add(1, Ordering::Relaxed);
        self.transport += 1;
        self.sample(|| format!("transport: {err}"));
    }

    pub fn reconnected(&mut self) {
        self.reconnects += 1;
    }

    fn sample(&mut self, text: impl FnOnce() -> String) {
        if self.first_error.is_none() {
            self.first_error = Some(text().chars().take(ERROR_SAMPLE_CHARS).collect());
        }
    }

    pub fn merge(&mut self, other: Tally) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.latency.add(&other.latency);
        self.ok += other.ok;
        self.items += other.items;
        self.empty += other.empty;
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.transport += other.transport;
        self.failed_checks += other.failed_checks;
        self.reconnects += other.reconnects;
        for (name, n) in other.notes {
            *self.notes.entry(name).or_default() += n;
        }
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    pub fn errors(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.transport + self.failed_checks
    }
}

impl Default for Tally {
    fn default() -> Self {
        Self::new()
    }
}

/// Latency percentiles of successful iterations, in microseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p99_9_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
}

/// The result of one run, as printed (text or `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub workload: String,
    pub endpoint: String,
    pub connections: usize,
    pub elapsed_s: f64,
    /// Iterations that ended, however: `ok + errors + empty`. An iteration is one request, or
    /// for a multi-request workload one round (receive then delete; send then receive).
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    /// Iterations that succeeded with nothing to do (empty receives).
    pub empty: u64,
    /// Non-2xx responses by status code.
    pub errors_by_status: BTreeMap<u16, u64>,
    pub transport_errors: u64,
    /// 2xx answers the workload rejected (malformed body, failed batch entry, short object, lost
    /// message); part of `errors`.
    pub failed_checks: u64,
    /// Connections re-opened after the server closed them between requests (not errors).
    pub reconnects: u64,
    /// Successful iterations per second.
    pub throughput_rps: f64,
    /// What `items` counts (`messages`, `keys`, `bytes`), for workloads that move more than one
    /// thing per iteration or whose size matters.
    pub item_unit: Option<&'static str>,
    /// Items moved by successful iterations, and per second.
    pub items: u64,
    pub items_per_s: f64,
    /// Workload-specific counts that are neither successes nor errors.
    pub notes: BTreeMap<&'static str, u64>,
    pub latency: Latency,
    pub first_error: Option<String>,
}

impl Report {
    pub fn new(
        workload: &str,
        item_unit: Option<&'static str>,
        endpoint: &str,
        connections: usize,
        elapsed: Duration,
        tally: Tally,
    ) -> Self {
        let us = |ns: u64| ns as f64 / 1000.0;
        let h = &tally.latency;
        let q = |quantile: f64| us(h.value_at_quantile(quantile));
        let errors = tally.errors();
        let secs = elapsed.as_secs_f64();
        let per_s = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
        Self {
            workload: workload.to_owned(),
            endpoint: endpoint.to_owned(),
            connections,
            elapsed_s: secs,
            requests: tally.ok + errors + tally.empty,
            ok: tally.ok,
            errors,
            empty: tally.empty,
            errors_by_status: tally.statuses,
            transport_errors: tally.transport,
            failed_checks: tally.failed_checks,
            reconnects: tally.reconnects,
            throughput_rps: per_s(tally.ok),
            item_unit,
            items: tally.items,
            items_per_s: per_s(tally.items),
            notes: tally.notes,
            latency: Latency {
                p50_us: q(0.5),
                p90_us: q(0.9),
                p99_us: q(0.99),
                p99_9_us: q(0.999),
                max_us: us(h.max()),
                mean_us: h.mean() / 1000.0,
            },
            first_error: tally.first_error,
        }
    }

    /// The human-readable summary.
    pub fn text(&self) -> String {
        let l = &self.latency;
        let mut out = format!(
            "workload {} against {} with {} connections for {:.2}s\n\
             requests {}  ok {}  empty {}  errors {}  (transport {}, failed checks {}, by status {:?})  reconnects {}\n\
             throughput {:.0} req/s\n\
             latency us: p50 {:.0}  p90 {:.0}  p99 {:.0}  p99.9 {:.0}  max {:.0}  mean {:.0}\n",
            self.workload,
            self.endpoint,
            self.connections,
            self.elapsed_s,
            self.requests,
            self.ok,
            self.empty,
            self.errors,
            self.transport_errors,
            self.failed_checks,
            self.errors_by_status,
            self.reconnects,
            self.throughput_rps,
            l.p50_us,
            l.p90_us,
            l.p99_us,
            l.p99_9_us,
            l.max_us,
            l.mean_us,
        );
        if let Some(unit) = self.item_unit {
            out.push_str(&format!(
                "{} {unit} ({:.0} {unit}/s)\n",
                self.items, self.items_per_s
            ));
        }
        if !self.notes.is_empty() {
            out.push_str(&format!("notes {:?}\n", self.notes));
        }
        if let Some(e) = &self.first_error {
            out.push_str(&format!("first error: {e}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_tallies_count_every_error_kind() {
        let live = Live::default();
        let mut a = Tally::new();
        a.success(&live, Duration::from_micros(100));
        a.http_error(&live, http::StatusCode::INTERNAL_SERVER_ERROR, b"boom");
        let mut b = Tally::new();
        b.http_error(&live, http::StatusCode::FORBIDDEN, b"no");
        b.http_error(&live, http::StatusCode::INTERNAL_SERVER_ERROR, b"boom");
        b.transport_error(&live, &BenchError::NotSetUp("x"));
        b.success(&live, Duration::from_micros(300));
        a.merge(b);
        let r = Report::new("w", None, "e", 2, Duration::from_secs(1), a);
        assert_eq!(
            (r.ok, r.errors, r.requests, r.transport_errors),
            (2, 4, 6, 1)
        );
        assert_eq!(r.errors_by_status.get(&500), Some(&2));
        assert_eq!(r.errors_by_status.get(&403), Some(&1));
        assert_eq!(
            r.first_error.as_deref(),
            Some("HTTP 500 Internal Server Error: boom")
        );
        assert_eq!(live.snapshot(), (2, 4));
        assert!(r.latency.max_us >= 299.0 && r.latency.p50_us < 101.0);
    }

    #[test]
    fn outcomes_land_in_their_own_counters() {
        let live = Live::default();
        let mut t = Tally::new();
        let ms = Duration::from_millis(1);
        t.record(&live, Outcome::Ok { items: 10 }, ms);
        t.record(&live, Outcome::Ok { items: 3 }, ms);
        t.record(&live, Outcome::Empty, ms);
        t.record(&live, Outcome::Empty, ms);
        t.record(&live, Outcome::Failed("2 of 10 entries failed".into()), ms);
        t.record(
            &live,
            Outcome::Status(http::StatusCode::BAD_REQUEST, b"<Error/>"),
            ms,
        );
        t.note("receive_before_ack");
        let mut other = Tally::new();
        other.note("receive_before_ack");
        other.record(&live, Outcome::Ok { items: 7 }, ms);
        t.merge(other);
        let r = Report::new("w", Some("messages"), "e", 1, Duration::from_secs(2), t);
        assert_eq!((r.ok, r.empty, r.errors, r.requests), (3, 2, 2, 7));
        assert_eq!((r.failed_checks, r.transport_errors), (1, 0));
        assert_eq!(r.errors_by_status.get(&400), Some(&1));
        assert_eq!((r.items, r.items_per_s), (20, 10.0));
        assert_eq!(r.notes.get("receive_before_ack"), Some(&2));
        assert_eq!(
            r.first_error.as_deref(),
            Some("check failed: 2 of 10 entries failed")
        );
        assert_eq!(live.snapshot(), (3, 2));
        assert!(r.text().contains("20 messages (10 messages/s)"));
    }
}
