//! Transaction semantics of `Store`: read-your-writes, scans, per-job rollback inside a group
//! commit, panics, serializability under concurrency, read-only snapshots. Every test runs on
//! each backend of `common::test_dbs`.

mod common;

use std::collections::BTreeSet;
use std::sync::mpsc;

use tessera_store::{Namespace, Store, StoreError, Tx};
use tokio::task::JoinHandle;

const NS: Namespace = "test.kv";
const OTHER: Namespace = "test.other";

/// An error type of the kind services define: store failures plus their own.
#[derive(Debug, PartialEq)]
enum AppError {
    Store(StoreError),
    Rejected,
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        AppError::Store(err)
    }
}

async fn get(store: &Store, ns: Namespace, key: &str) -> Option<Vec<u8>> {
    let key = key.to_owned();
    store.read(move |tx| tx.get(ns, &key)).await.expect("read")
}

/// Occupies the writer thread with a job that waits until the returned sender is used, so that
/// the jobs submitted meanwhile are queued together and form the next batch.
async fn hold_writer(store: &Store) -> (mpsc::Sender<()>, JoinHandle<Result<(), StoreError>>) {
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let s = store.clone();
    let held = tokio::spawn(async move {
        s.write(move |_tx| {
            let _ = started_tx.send(());
            let _ = release_rx.recv();
            Ok::<_, StoreError>(())
        })
        .await
    });
    started_rx.await.expect("writer picked up the holding job");
    (release_tx, held)
}

/// Waits until `n` jobs wait in the writer's queue; gives up (failing the test) after about a
/// minute instead of hanging.
async fn wait_until_queued(store: &Store, n: u64) {
    for _ in 0..60_000 {
        if store.stats().queued >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    panic!("{n} jobs never queued: {:?}", store.stats());
}

#[tokio::test]
async fn a_transaction_reads_its_own_writes() {
    for db in common::test_dbs() {
        let store = db.open();
        let seen = store
            .write(|tx| {
                tx.put(NS, "k", b"v1")?;
                let after_put = tx.get(NS, "k")?;
                tx.put(NS, "k", b"v2")?;
                let after_overwrite = tx.get(NS, "k")?;
                let in_other_ns = tx.get(OTHER, "k")?;
                tx.put(NS, "gone", b"x")?;
                let existed = tx.delete(NS, "gone")?;
                let existed_twice = tx.delete(NS, "gone")?;
                let after_delete = tx.get(NS, "gone")?;
                let scanned = tx.scan(NS, "", None, 10)?;
                Ok::<_, StoreError>((
                    after_put,
                    after_overwrite,
                    in_other_ns,
                    existed,
                    existed_twice,
                    after_delete,
                    scanned,
                ))
            })
            .await
            .expect("write");
        assert_eq!(seen.0.as_deref(), Some(&b"v1"[..]));
        assert_eq!(seen.1.as_deref(), Some(&b"v2"[..]));
        assert_eq!(seen.2, None);
        assert!(seen.3);
        assert!(!seen.4);
        assert_eq!(seen.5, None);
        assert_eq!(seen.6, vec![("k".to_owned(), b"v2".to_vec())]);
        assert_eq!(get(&store, NS, "k").await.as_deref(), Some(&b"v2"[..]));
    }
}

#[tokio::test]
async fn scan_honours_prefix_start_after_and_limit() {
    for db in common::test_dbs() {
        let store = db.open();
        let keys = ["", "a", "a/1", "a/2", "a/10", "ab", "b", "é", "z\u{10FFFF}"];
        store
            .write(move |tx| {
                for key in keys {
                    tx.put(NS, key, key.as_bytes())?;
                }
                tx.put(OTHER, "a/1", b"other namespace")?;
                Ok::<_, StoreError>(())
            })
            .await
            .expect("seed");

        // (prefix, start_after, limit, expected keys in order)
        let cases: &[(&str, Option<&str>, usize, &[&str])] = &[
            (
                "",
                None,
                100,
                &["", "a", "a/1", "a/10", "a/2", "ab", "b", "z\u{10FFFF}", "é"],
            ),
            ("a/", None, 100, &["a/1", "a/10", "a/2"]),
            ("a/", Some("a/1"), 100, &["a/10", "a/2"]),
            ("a/", Some("a/10"), 1, &["a/2"]),
            ("a/", Some("a/2"), 10, &[]),
            ("a/", Some(""), 10, &["a/1", "a/10", "a/2"]),
            ("a/", Some("a/0"), 2, &["a/1", "a/10"]),
            ("a/", Some("b"), 10, &[]),
            ("a", None, 2, &["a", "a/1"]),
            ("a", Some("a"), 100, &["a/1", "a/10", "a/2", "ab"]),
            ("", Some(""), 3, &["a", "a/1", "a/10"]),
            ("a/", None, 0, &[]),
            ("q", None, 10, &[]),
            ("é", None, 10, &["é"]),
            ("z", None, 10, &["z\u{10FFFF}"]),
        ];
        for &(prefix, start_after, limit, expected) in cases {
            let (p, s) = (prefix.to_owned(), start_after.map(str::to_owned));
            let got = store
                .read(move |tx| tx.scan(NS, &p, s.as_deref(), limit))
                .await
                .expect("scan");
            let got_keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                got_keys, expected,
                "scan({prefix:?}, {start_after:?}, {limit})"
            );
            for (k, v) in &got {
                assert_eq!(k.as_bytes(), v.as_slice(), "value of {k:?}");
            }
        }
    }
}

#[tokio::test]
async fn paging_through_1000_keys_in_pages_of_7_sees_each_key_once() {
    for db in common::test_dbs() {
        let store = db.open();
        store
            .write(|tx| {
                for i in 0..1000 {
                    tx.put(NS, &format!("user/{i}"), &u32::to_le_bytes(i))?;
                }
                // Neighbours outside the prefix must not leak into the pages.
                tx.put(NS, "user", b"x")?;
                tx.put(NS, "user0", b"x")?;
                tx.put(NS, "usea", b"x")?;
                Ok::<_, StoreError>(())
            })
            .await
            .expect("seed");

        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let after = cursor.clone();
            let page = store
                .read(move |tx| tx.scan(NS, "user/", after.as_deref(), 7))
                .await
                .expect("page");
            assert!(page.len() <= 7);
            pages += 1;
            let Some((last, _)) = page.last() else { break };
            cursor = Some(last.clone());
            seen.extend(page.into_iter().map(|(k, _)| k));
        }
        let mut expected: Vec<String> = (0..1000).map(|i| format!("user/{i}")).collect();
        expected.sort();
        assert_eq!(seen, expected, "every key once, in bytewise order");
        assert_eq!(
            pages,
            1000 / 7 + 2,
            "143 pages, the last one partial, then an empty page"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_and_a_panicking_job_roll_back_alone_within_their_batch() {
    for db in common::test_dbs() {
        let store = db.open();
        let before = store.stats();
        let (release, held) = hold_writer(&store).await;

        let spawn_put = |key: &'static str, outcome: fn() -> Result<(), AppError>| {
            let s = store.clone();
            tokio::spawn(async move {
                s.write(move |tx| {
                    tx.put(NS, key, b"written")?;
                    outcome()
                })
                .await
            })
        };
        let ok_first = spawn_put("ok-1", || Ok(()));
        wait_until_queued(&store, 1).await;
        let failing = spawn_put("failing", || Err(AppError::Rejected));
        wait_until_queued(&store, 2).await;
        let panicking = spawn_put("panicking", || panic!("job blew up"));
        wait_until_queued(&store, 3).await;
        let ok_last = spawn_put("ok-2", || Ok(()));
        wait_until_queued(&store, 4).await;
        release.send(()).expect("release writer");

        held.await.expect("join").expect("holding job");
        assert_eq!(ok_first.await.expect("join"), Ok(()));
        assert_eq!(failing.await.expect("join"), Err(AppError::Rejected));
        match panicking.await.expect("join") {
            Err(AppError::Store(StoreError::Panicked(msg))) => assert!(msg.contains("job blew up")),
            other => panic!("expected a Panicked error, got {other:?}"),
        }
        assert_eq!(ok_last.await.expect("join"), Ok(()));

        assert!(get(&store, NS, "ok-1").await.is_some());
        assert!(get(&store, NS, "ok-2").await.is_some());
        assert_eq!(get(&store, NS, "failing").await, None);
        assert_eq!(get(&store, NS, "panicking").await, None);

        let after = store.stats();
        assert_eq!(after.jobs - before.jobs, 5);
        assert_eq!(
            after.commits - before.commits,
            2,
            "the holding job's commit, then one batch"
        );
        assert_eq!(after.rolled_back_jobs - before.rolled_back_jobs, 2);
    }
}

#[tokio::test]
async fn the_writer_survives_a_panicking_job() {
    for db in common::test_dbs() {
        let store = db.open();
        for round in 0..3 {
            let outcome: Result<(), StoreError> = store
                .write(move |tx| {
                    tx.put(NS, "doomed", b"x")?;
                    panic!("panic number {round}");
                })
                .await;
            assert!(
                matches!(outcome, Err(StoreError::Panicked(_))),
                "{outcome:?}"
            );
            store
                .write(move |tx| tx.put(NS, &format!("after-{round}"), b"ok"))
                .await
                .expect("write after a panic");
        }
        assert_eq!(get(&store, NS, "doomed").await, None);
        assert!(get(&store, NS, "after-2").await.is_some());
    }
}

#[tokio::test]
async fn a_panicking_read_returns_its_connection_to_the_pool() {
    for db in common::test_dbs() {
        let store = db.open();
        store.write(|tx| tx.put(NS, "k", b"v")).await.expect("seed");
        // More rounds than pooled connections: a leaked connection would block a later read.
        for _ in 0..10 {
            let outcome: Result<(), StoreError> = store
                .read(|tx| {
                    tx.get(NS, "k")?;
                    panic!("reader blew up");
                })
                .await;
            assert!(
                matches!(outcome, Err(StoreError::Panicked(_))),
                "{outcome:?}"
            );
        }
        assert!(get(&store, NS, "k").await.is_some());
    }
}

#[tokio::test]
async fn reads_are_read_only() {
    for db in common::test_dbs() {
        let store = db.open();
        let put: Result<(), StoreError> = store.read(|tx| tx.put(NS, "k", b"v")).await;
        assert_eq!(put, Err(StoreError::ReadOnly));
        let delete: Result<bool, StoreError> = store.read(|tx| tx.delete(NS, "k")).await;
        assert_eq!(delete, Err(StoreError::ReadOnly));
        assert_eq!(get(&store, NS, "k").await, None);
    }
}

#[tokio::test]
async fn writing_from_inside_a_write_fails_instead_of_deadlocking() {
    for db in common::test_dbs() {
        let store = db.open();
        let inner = store.clone();
        let nested = store
            .write(move |_tx| Ok::<_, StoreError>(inner.write_blocking(|tx| tx.put(NS, "k", b"v"))))
            .await
            .expect("outer write");
        assert_eq!(nested, Err(StoreError::Reentrant));
    }
}

fn increment(tx: &mut dyn Tx, key: &str) -> Result<u64, StoreError> {
    let current = match tx.get(NS, key)? {
        Some(bytes) => {
            let arr: [u8; 8] = bytes
                .try_into()
                .map_err(|_| StoreError::Corrupt("counter is not 8 bytes".into()))?;
            u64::from_le_bytes(arr)
        }
        None => 0,
    };
    tx.put(NS, key, &(current + 1).to_le_bytes())?;
    Ok(current + 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_increments_lose_no_update() {
    for db in common::test_dbs() {
        let store = db.open();
        let tasks: Vec<_> = (0..64)
            .map(|t| {
                let s = store.clone();
                tokio::spawn(async move {
                    for _ in 0..10 {
                        s.write(move |tx| {
                            increment(tx, "shared")?;
                            increment(tx, &format!("own/{t}"))
                        })
                        .await?;
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("join").expect("increments");
        }
        let (shared, own) = store
            .read(|tx| {
                let shared = tx.get(NS, "shared")?;
                let own = tx.scan(NS, "own/", None, 1000)?;
                Ok::<_, StoreError>((shared, own))
            })
            .await
            .expect("read");
        assert_eq!(shared, Some(640u64.to_le_bytes().to_vec()));
        assert_eq!(own.len(), 64);
        assert!(own.iter().all(|(_, v)| v.as_slice() == 10u64.to_le_bytes()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_sees_one_consistent_snapshot_while_transfers_commit() {
    for db in common::test_dbs() {
        let store = db.open();
        store
            .write(|tx| {
                tx.put(NS, "acct/a", &100u64.to_le_bytes())?;
                tx.put(NS, "acct/b", &0u64.to_le_bytes())
            })
            .await
            .expect("seed");
        fn balance(tx: &mut dyn Tx, key: &str) -> Result<u64, StoreError> {
            let bytes = tx
                .get(NS, key)?
                .ok_or_else(|| StoreError::Corrupt("no account".into()))?;
            let arr: [u8; 8] = bytes
                .try_into()
                .map_err(|_| StoreError::Corrupt("balance is not 8 bytes".into()))?;
            Ok(u64::from_le_bytes(arr))
        }
        let writers: Vec<_> = (0..16)
            .map(|t| {
                let s = store.clone();
                tokio::spawn(async move {
                    for i in 0..20u64 {
                        let (from, to) = if (t + i) % 2 == 0 {
                            ("acct/a", "acct/b")
                        } else {
                            ("acct/b", "acct/a")
                        };
                        s.write(move |tx| {
                            let (from_balance, to_balance) = (balance(tx, from)?, balance(tx, to)?);
                            let amount = from_balance.min(7);
                            tx.put(NS, from, &(from_balance - amount).to_le_bytes())?;
                            tx.put(NS, to, &(to_balance + amount).to_le_bytes())
                        })
                        .await?;
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .collect();
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let s = store.clone();
                tokio::spawn(async move {
                    for _ in 0..50 {
                        s.read(|tx| {
                            let first = (balance(tx, "acct/a")?, balance(tx, "acct/b")?);
                            let again = (balance(tx, "acct/a")?, balance(tx, "acct/b")?);
                            assert_eq!(first.0 + first.1, 100, "a transfer was seen half-done");
                            assert_eq!(first, again, "the snapshot moved inside one read");
                            Ok::<_, StoreError>(())
                        })
                        .await?;
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .collect();
        for task in writers.into_iter().chain(readers) {
            task.await.expect("join").expect("task");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_share_commits_and_batches_are_bounded() {
    for db in common::test_dbs() {
        let store = db.open();
        let before = store.stats();
        let (release, held) = hold_writer(&store).await;
        let writes: Vec<_> = (0..300)
            .map(|i| {
                let s = store.clone();
                tokio::spawn(
                    async move { s.write(move |tx| tx.put(NS, &format!("k/{i}"), b"v")).await },
                )
            })
            .collect();
        wait_until_queued(&store, 300).await;
        release.send(()).expect("release writer");
        held.await.expect("join").expect("holding job");
        for write in writes {
            write.await.expect("join").expect("write");
        }
        let after = store.stats();
        assert_eq!(after.jobs - before.jobs, 301);
        // The holding job alone, then 300 queued jobs in batches of at most 256: 256 + 44.
        assert_eq!(after.commits - before.commits, 3);
        assert_eq!(after.queued, 0);
        let all = store
            .read(|tx| tx.scan(NS, "k/", None, 1000))
            .await
            .expect("scan");
        assert_eq!(all.len(), 300);
        let distinct: BTreeSet<_> = all.into_iter().map(|(k, _)| k).collect();
        assert_eq!(distinct.len(), 300);
    }
}

#[tokio::test]
async fn count_range_counts_keys_in_a_half_open_interval() {
    for db in common::test_dbs() {
        let store = db.open();
        store
            .write(|tx| -> Result<(), StoreError> {
                for key in ["a/1", "a/2", "a/3", "b/1"] {
                    tx.put(NS, key, b"v")?;
                }
                tx.put(OTHER, "a/2", b"v")
            })
            .await
            .expect("seed");
        let counts = store
            .read(|tx| -> Result<_, StoreError> {
                Ok((
                    tx.count_range(NS, "a/", "a0")?,
                    tx.count_range(NS, "a/2", "a/3")?,
                    tx.count_range(NS, "a/", "z")?,
                    tx.count_range(NS, "c", "d")?,
                    tx.count_range(OTHER, "a/", "a0")?,
                ))
            })
            .await
            .expect("count");
        assert_eq!(counts, (3, 1, 4, 0, 1));
    }
}
