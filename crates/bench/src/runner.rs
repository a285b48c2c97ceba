//! A run: refuse an unreachable endpoint, set the workload up, keep N connections busy until the
//! time or the request budget is spent, and merge their tallies into a report.
//!
//! Each connection is one [`Lane`], driven by the workload (one boxed future per connection, none
//! per request): a loop of take an iteration → send → judge → record, so at most N requests are
//! in flight. The runner never retries a failed request: it counts it and goes on (re-opening the
//! connection after a transport failure).

use crate::conn::{Connection, RequestBody};
use crate::error::BenchError;
use crate::stats::{Live, Outcome, Report, Tally};
use crate::workload::{Target, Workload};
use bytes::Bytes;
use std::net::SocketAddr;
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
    /// Stop after this many iterations in all (if given).
    pub requests: Option<u64>,
    /// Print a progress line on stderr every second.
    pub progress: bool,
}

/// Iterations still allowed when the run has a `--requests` budget.
struct Budget {
    limit: u64,
    issued: AtomicU64,
}

impl Budget {
    fn take(&self) -> bool {
        self.issued.fetch_add(1, Ordering::Relaxed) < self.limit
    }
}

/// One connection's view of the run: its connection, when to stop, and its own tally.
pub struct Lane {
    /// This lane's number, `0..lanes`; workloads with roles (sender, receiver) split on it.
    pub index: usize,
    pub lanes: usize,
    addr: SocketAddr,
    conn: Option<Connection>,
    deadline: Option<Instant>,
    budget: Option<Arc<Budget>>,
    live: Arc<Live>,
    tally: Tally,
}

impl Lane {
    /// Whether another iteration may start (time and budget left); takes it from the budget.
    pub fn next_iteration(&mut self) -> bool {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return false;
        }
        self.budget.as_ref().is_none_or(|b| b.take())
    }

    /// When the run ends, if it is timed.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Sends one request on this lane's connection, re-opening it first if the server closed it.
    /// A transport failure is counted here and gives `None`; the caller just goes on.
    pub async fn send(
        &mut self,
        req: http::Request<RequestBody>,
    ) -> Option<(http::StatusCode, Bytes)> {
        if let Some(c) = self.conn.as_mut() {
            if !c.ready().await {
                self.tally.reconnected();
                self.conn = None;
            }
        }
        if self.conn.is_none() {
            match Connection::open(self.addr).await {
                Ok(c) => self.conn = Some(c),
                Err(e) => {
                    self.tally.transport_error(&self.live, &e);
                    tokio::time::sleep(RECONNECT_BACKOFF).await;
                    return None;
                }
            }
        }
        let conn = self.conn.as_mut()?;
        match conn.send(req).await {
            Ok(answer) => Some(answer),
            Err(e) => {
                self.tally.transport_error(&self.live, &e);
                self.conn = None;
                None
            }
        }
    }

    /// Forgets the connection, e.g. after abandoning a request in flight at the end of a run.
    pub fn drop_connection(&mut self) {
        self.conn = None;
    }

    pub fn record(&mut self, outcome: Outcome<'_>, took: Duration) {
        self.tally.record(&self.live, outcome, took);
    }

    pub fn note(&mut self, name: &'static str) {
        self.tally.note(name);
    }
}

pub async fn run(
    target: Target,
    mut workload: Box<dyn Workload>,
    cfg: RunConfig,
) -> Result<Report, BenchError> {
    probe(&target).await?;
    let connections = cfg.connections.max(1);
    if connections < workload.min_connections() {
        return Err(BenchError::TooFewConnections {
            workload: workload.name(),
            needs: workload.min_connections(),
        });
    }
    workload.setup(&target).await?;
    let workload: Arc<dyn Workload> = Arc::from(workload);
    let live = Arc::new(Live::default());
    let budget = cfg.requests.map(|limit| {
        Arc::new(Budget {
            limit,
            issued: AtomicU64::new(0),
        })
    });
    let start_line = Arc::new(Barrier::new(connections + 1));

    let mut tasks = Vec::with_capacity(connections);
    for index in 0..connections {
        let workload = workload.clone();
        let live = live.clone();
        let budget = budget.clone();
        let start_line = start_line.clone();
        let addr = target.endpoint.addr;
        let duration = cfg.duration;
        tasks.push(tokio::spawn(async move {
            let conn = Connection::open(addr).await.ok();
            start_line.wait().await;
            let mut lane = Lane {
                index,
                lanes: connections,
                addr,
                conn,
                deadline: duration.map(|d| Instant::now() + d),
                budget,
                live,
                tally: Tally::new(),
            };
            workload.drive(&mut lane).await?;
            Ok::<_, BenchError>(lane.tally)
        }));
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
        workload.name(),
        workload.item_unit(),
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
