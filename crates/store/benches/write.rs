//! Throughput of the store on each backend: 1-key writes with 1, 16 and 64 concurrent callers
//! (the difference is group commit: one commit per batch instead of per write), and point reads.
//!
//! Run: `cargo bench -p tessera-store --bench write`. SQLite lives in the system temporary
//! directory (set TMPDIR to measure another disk); fsync cost depends entirely on that disk.
//! PostgreSQL is measured too when `TESSERA_TEST_POSTGRES` holds a URL, in a schema of its own
//! (`bench_write`, dropped and re-created at start).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tessera_store::{Namespace, Store, StoreError};

const NS: Namespace = "bench.kv";
const VALUE: [u8; 100] = [7; 100];
const READ_KEYS: u64 = 10_000;

/// Runs `iters` operations split over `callers` concurrent tasks; returns the wall time.
async fn run_concurrent<F, Fut>(callers: u64, iters: u64, op: F) -> Duration
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let op = Arc::clone(&op);
            // Caller c performs the operations numbered c, c + callers, c + 2 * callers, ...
            tokio::spawn(async move {
                let mut i = c;
                while i < iters {
                    op(i).await;
                    i += callers;
                }
            })
        })
        .collect();
    for task in tasks {
        if let Err(err) = task.await {
            panic!("benchmark task failed: {err}");
        }
    }
    start.elapsed()
}

/// A fresh PostgreSQL schema for the benchmark, if PostgreSQL is configured.
fn postgres_url() -> Option<String> {
    let url = std::env::var("TESSERA_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())?;
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    admin
        .batch_execute("DROP SCHEMA IF EXISTS bench_write CASCADE; CREATE SCHEMA bench_write")
        .expect("create the benchmark schema");
    let separator = if url.contains('?') { '&' } else { '?' };
    Some(format!(
        "{url}{separator}options=-csearch_path%3Dbench_write"
    ))
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary data directory");
    let mut stores = vec![(
        "sqlite",
        Store::open_sqlite(dir.path()).expect("open store"),
    )];
    match postgres_url() {
        Some(url) => stores.push(("postgres", Store::open_postgres(&url).expect("open store"))),
        None => eprintln!("note: TESSERA_TEST_POSTGRES is unset; measuring SQLite only"),
    }
    for (backend, store) in stores {
        bench_store(c, backend, &store);
    }
}

fn bench_store(c: &mut Criterion, backend: &str, store: &Store) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let next_key = Arc::new(AtomicU64::new(0));

    let mut writes = c.benchmark_group(format!("{backend}/write_1_key"));
    writes.throughput(Throughput::Elements(1));
    writes.sample_size(20);
    writes.measurement_time(Duration::from_secs(10));
    for callers in [1u64, 16, 64] {
        writes.bench_function(format!("{callers}_callers"), |b| {
            b.iter_custom(|iters| {
                let (store, next_key) = (store.clone(), Arc::clone(&next_key));
                runtime.block_on(run_concurrent(callers, iters, move |_| {
                    let store = store.clone();
                    let key = format!("w/{:012}", next_key.fetch_add(1, Ordering::Relaxed));
                    async move {
                        store
                            .write(move |tx| tx.put(NS, &key, &VALUE))
                            .await
                            .expect("write");
                    }
                }))
            });
        });
    }
    writes.finish();
    let stats = store.stats();
    eprintln!(
        "{backend} group commit: {} write jobs in {} commits ({:.1} jobs per commit)",
        stats.jobs,
        stats.commits,
        stats.jobs as f64 / stats.commits.max(1) as f64
    );

    store
        .write_blocking(|tx| {
            for i in 0..READ_KEYS {
                tx.put(NS, &format!("r/{i:06}"), &VALUE)?;
            }
            Ok::<_, StoreError>(())
        })
        .expect("seed read keys");
    let mut reads = c.benchmark_group(format!("{backend}/point_read"));
    reads.throughput(Throughput::Elements(1));
    for callers in [1u64, 64] {
        reads.bench_function(format!("{callers}_callers"), |b| {
            b.iter_custom(|iters| {
                let store = store.clone();
                runtime.block_on(run_concurrent(callers, iters, move |i| {
                    let store = store.clone();
                    let key = format!("r/{:06}", i.wrapping_mul(7919) % READ_KEYS);
                    async move {
                        let value = store.read(move |tx| tx.get(NS, &key)).await.expect("read");
                        assert!(value.is_some());
                    }
                }))
            });
        });
    }
    reads.finish();
}

criterion_group!(store, benches);
criterion_main!(store);
