//! A run: refuse an unreachable endpoint, set the workload up, keep N connections busy until the
//! time or the request budget is spent, and merge their tallies into a report.
//!
//! Each connection is one task looping send → read → record, so at most N requests are in flight.
//! The runner never retries a failed request: it counts it and goes on (re-opening the connection
//! after a transport failure).

use crate::conn::Connection;
use crate::error::BenchError;
use crate::stats::{Live, Report, Tally};
use crate::workload::{Target, Workload};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// Pause after a failed connect, so a dead server costs errors, not a spinning CPU.
const RECONNECT_BACKOFF: Duration = Duration::from_millis(10);

#[derive(Debug, Clone)]
pub struct RunConfig {
    pub connections: usize,
    /// Stop after this long (if given).
    pub duration: Option<Duration>,
    /// Stop after this many requests in all (if given).
    pub requests: Option<u64>,
    /// Print a progress line on stderr every second.
    pub progress: bool,
}

/// Requests still allowed when the run has a `--requests` budget.
struct Budget {
    limit: u64,
    issued: AtomicU64,
}

impl Budget {
    fn take(&self) -> bool {
        self.issued.fetch_add(1, Ordering::Relaxed) < self.limit
    }
}

pub async fn run(
    target: Target,
    mut workload: Box<dyn Workload>,
    cfg: RunConfig,
) -> Result<Report, BenchError> {
    probe(&target).await?;
    workload.setup(&target).await?;
    let workload: Arc<dyn Workload> = Arc::from(workload);
    let name = workload.name();
    let live = Arc::new(Live::default());
    let budget = cfg.requests.map(|limit| {
        Arc::new(Budget {
            limit,
            issued: AtomicU64::new(0),
        })
    });
    let connections = cfg.connections.max(1);
    let start_line = Arc::new(Barrier::new(connections + 1));

    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        tasks.push(tokio::spawn(connection_loop(
            target.endpoint.addr,
            workload.clone(),
            live.clone(),
            budget.clone(),
            cfg.duration,
            start_line.clone(),
        )));
    }
    start_line.wait().await;
    let started = Instant::now();
    let progress = cfg
        .progress
        .then(|| tokio::spawn(progress_lines(live.clone(), started)));

    let mut total = Tally::new();
    let mut failure = None;
    for task in tasks {
        match task.await {
            Ok(Ok(tally)) => total.merge(tally),
            Ok(Err(e)) => failure = Some(e),
            Err(e) => failure = Some(BenchError::Task(e)),
        }
    }
    let elapsed = started.elapsed();
    if let Some(p) = progress {
        p.abort();
    }
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Report::new(
        name,
        &target.endpoint.url(),
        connections,
        elapsed,
        total,
    ))
}

/// Fails clearly, before any set-up, when nothing accepts connections at the endpoint.
async fn probe(target: &Target) -> Result<(), BenchError> {
    match Connection::open(target.endpoint.addr).await {
        Ok(_) => Ok(()),
        Err(BenchError::Io(source)) => Err(BenchError::Unreachable {
            endpoint: target.endpoint.url(),
            source,
        }),
        Err(e) => Err(e),
    }
}

async fn connection_loop(
    addr: std::net::SocketAddr,
    workload: Arc<dyn Workload>,
    live: Arc<Live>,
    budget: Option<Arc<Budget>>,
    duration: Option<Duration>,
    start_line: Arc<Barrier>,
) -> Result<Tally, BenchError> {
    let mut tally = Tally::new();
    let mut conn = Connection::open(addr).await.ok();
    start_line.wait().await;
    let deadline = duration.map(|d| Instant::now() + d);
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if budget.as_ref().is_some_and(|b| !b.take()) {
            break;
        }
        let req = workload.next_request()?;
        if conn.as_ref().is_some_and(Connection::is_closed) {
            tally.reconnected();
            conn = None;
        }
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match Connection::open(addr).await {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    tally.transport_error(&live, &e);
                    tokio::time::sleep(RECONNECT_BACKOFF).await;
                    continue;
                }
            },
        };
        let sent = Instant::now();
        match c.send(req).await {
            Ok((status, _)) if status.is_success() => tally.success(&live, sent.elapsed()),
            Ok((status, body)) => tally.http_error(&live, status, &body),
            Err(e) => {
                tally.transport_error(&live, &e);
                conn = None;
            }
        }
    }
    Ok(tally)
}

/// One line a second on stderr: the last second's rate and the totals so far.
async fn progress_lines(live: Arc<Live>, started: Instant) {
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(1),
        Duration::from_secs(1),
    );
    let mut last = (0u64, 0u64);
    loop {
        tick.tick().await;
        let now = live.snapshot();
        eprintln!(
            "[{:>4.0}s] {:>8} req/s  ok {:>9}  errors {:>7} (+{})",
            started.elapsed().as_secs_f64(),
            (now.0 + now.1).saturating_sub(last.0 + last.1),
            now.0,
            now.1,
            now.1.saturating_sub(last.1),
        );
        last = now;
    }
}
