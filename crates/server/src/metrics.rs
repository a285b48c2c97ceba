//! Prometheus metrics, served at `GET /_tessera/metrics`.
//!
//! A fixed set of counters in atomics: the hot path pays a few relaxed increments and never takes
//! a lock; rendering walks the arrays.

use crate::classify::{Route, Service};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const ROUTES: [&str; 6] = ["iam", "sts", "sqs", "s3", "internal", "unknown"];
const CLASSES: [&str; 4] = ["2xx", "3xx", "4xx", "5xx"];
/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

#[derive(Default)]
pub struct Metrics {
    requests: [[AtomicU64; CLASSES.len()]; ROUTES.len()],
    latency_buckets: [[AtomicU64; BUCKETS.len()]; ROUTES.len()],
    latency_count: [AtomicU64; ROUTES.len()],
    latency_sum_micros: [AtomicU64; ROUTES.len()],
}

fn route_index(route: Route) -> usize {
    match route {
        Route::Query(Service::Iam) => 0,
        Route::Query(Service::Sts) => 1,
        Route::Query(Service::Sqs) | Route::Json(_) => 2,
        Route::S3 | Route::Query(Service::S3) => 3,
        Route::Health | Route::Metrics => 4,
        Route::UnknownService => 5,
    }
}

impl Metrics {
    pub fn observe(&self, route: Route, status: u16, elapsed: Duration) {
        let r = route_index(route);
        let class = match status {
            0..=299 => 0,
            300..=399 => 1,
            400..=499 => 2,
            _ => 3,
        };
        self.requests[r][class].fetch_add(1, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        if let Some(b) = BUCKETS.iter().position(|&ub| secs <= ub) {
            self.latency_buckets[r][b].fetch_add(1, Ordering::Relaxed);
        }
        self.latency_count[r].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_micros[r].fetch_add(micros, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP tessera_requests_total Requests answered, by service and status class.\n",
        );
        out.push_str("# TYPE tessera_requests_total counter\n");
        for (r, route) in ROUTES.iter().enumerate() {
            for (c, class) in CLASSES.iter().enumerate() {
                let n = self.requests[r][c].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "tessera_requests_total{{service=\"{route}\",status=\"{class}\"}} {n}"
                );
            }
        }
        out.push_str(
            "# HELP tessera_request_duration_seconds Time from a read request to its response.\n",
        );
        out.push_str("# TYPE tessera_request_duration_seconds histogram\n");
        for (r, route) in ROUTES.iter().enumerate() {
            let mut cumulative = 0;
            for (b, ub) in BUCKETS.iter().enumerate() {
                cumulative += self.latency_buckets[r][b].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "tessera_request_duration_seconds_bucket{{service=\"{route}\",le=\"{ub}\"}} {cumulative}"
                );
            }
            let count = self.latency_count[r].load(Ordering::Relaxed);
            let sum = self.latency_sum_micros[r].load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "tessera_request_duration_seconds_bucket{{service=\"{route}\",le=\"+Inf\"}} {count}");
            let _ = writeln!(
                out,
                "tessera_request_duration_seconds_sum{{service=\"{route}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "tessera_request_duration_seconds_count{{service=\"{route}\"}} {count}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_renders() {
        let m = Metrics::default();
        m.observe(Route::Query(Service::Iam), 200, Duration::from_micros(300));
        m.observe(Route::Query(Service::Iam), 403, Duration::from_millis(3));
        let text = m.render();
        assert!(text.contains("tessera_requests_total{service=\"iam\",status=\"2xx\"} 1"));
        assert!(text.contains("tessera_requests_total{service=\"iam\",status=\"4xx\"} 1"));
        assert!(text
            .contains("tessera_request_duration_seconds_bucket{service=\"iam\",le=\"0.0005\"} 1"));
        assert!(text.contains("tessera_request_duration_seconds_count{service=\"iam\"} 2"));
    }
}
