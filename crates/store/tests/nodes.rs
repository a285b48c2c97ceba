//! PostgreSQL-only behaviour: several tessera nodes on one database (each test opens two or more
//! `Store` handles on the same schema, each with its own writer, readers and listener, as
//! separate processes would), lost connections, statement errors, opening. Skipped (with a note)
//! when `TESSERA_TEST_POSTGRES` is unset.

mod common;

use std::time::Duration;

use common::TestDb;
use tessera_store::{Namespace, Store, StoreError, Tx};
use tokio::sync::broadcast;

const NS: Namespace = "test.kv";
const CHANNEL: Namespace = "test.channel";

fn postgres() -> Option<TestDb> {
    let db = TestDb::postgres();
    if db.is_none() {
        eprintln!("note: {} is unset; skipping", common::POSTGRES_ENV);
    }
    db
}

fn read_u64(tx: &mut dyn Tx, key: &str) -> Result<u64, StoreError> {
    match tx.get(NS, key)? {
        Some(bytes) => {
            let arr: [u8; 8] = bytes
                .try_into()
                .map_err(|_| StoreError::Corrupt("counter is not 8 bytes".into()))?;
            Ok(u64::from_le_bytes(arr))
        }
        None => Ok(0),
    }
}

/// Runs a write built by `job`, again while it fails with `Conflict` (the caller's retry the
/// store leaves to its callers); returns how many attempts conflicted.
async fn write_retrying<F>(store: &Store, job: impl Fn() -> F) -> u64
where
    F: FnOnce(&mut dyn Tx) -> Result<(), StoreError> + Send + 'static,
{
    let mut conflicts = 0;
    loop {
        match store.write(job()).await {
            Ok(()) => return conflicts,
            Err(StoreError::Conflict(_)) => conflicts += 1,
            Err(other) => panic!("write failed: {other:?}"),
        }
    }
}

async fn next_payload(rx: &mut broadcast::Receiver<String>) -> String {
    match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
        Ok(Ok(payload)) => payload,
        Ok(Err(err)) => panic!("subscription failed: {err}"),
        Err(_) => panic!("no notification within 30 s"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increments_from_two_nodes_lose_nothing() {
    let Some(db) = postgres() else { return };
    let nodes = [db.open(), db.open()];
    const TASKS: u64 = 8;
    const ROUNDS: u64 = 25;
    let tasks: Vec<_> = nodes
        .iter()
        .flat_map(|node| (0..TASKS).map(move |t| (node.clone(), t)))
        .map(|(node, t)| {
            tokio::spawn(async move {
                let mut conflicts = 0;
                for _ in 0..ROUNDS {
                    // The counter starts absent: the first increments race to create it.
                    conflicts += write_retrying(&node, || {
                        move |tx: &mut dyn Tx| {
                            let shared = read_u64(tx, "shared")?;
                            tx.put(NS, "shared", &(shared + 1).to_le_bytes())?;
                            let own = format!("own/{t}");
                            let mine = read_u64(tx, &own)?;
                            tx.put(NS, &own, &(mine + 1).to_le_bytes())
                        }
                    })
                    .await;
                }
                conflicts
            })
        })
        .collect();
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.expect("join");
    }
    eprintln!("{conflicts} conflicts retried");
    for node in &nodes {
        let shared = node.read(|tx| read_u64(tx, "shared")).await.expect("read");
        assert_eq!(shared, 2 * TASKS * ROUNDS, "increments lost");
    }
    // Both nodes' tasks t wrote own/t: 2 × ROUNDS each.
    let own = nodes[0]
        .read(|tx| tx.scan(NS, "own/", None, 100))
        .await
        .expect("scan");
    assert_eq!(own.len() as u64, TASKS);
    assert!(own
        .iter()
        .all(|(_, v)| v.as_slice() == (2 * ROUNDS).to_le_bytes()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_creating_the_same_key_at_once_lose_nothing() {
    let Some(db) = postgres() else { return };
    let nodes = [db.open(), db.open()];
    const KEYS: u64 = 40;
    const TASKS_PER_NODE: u64 = 4;
    // Every task increments every key once; each key starts absent, so for each key the first
    // increments of both nodes race to create it (there is no row to lock yet).
    let tasks: Vec<_> = nodes
        .iter()
        .flat_map(|node| (0..TASKS_PER_NODE).map(move |_| node.clone()))
        .map(|node| {
            tokio::spawn(async move {
                let mut conflicts = 0;
                for k in 0..KEYS {
                    conflicts += write_retrying(&node, || {
                        move |tx: &mut dyn Tx| {
                            let key = format!("new/{k:03}");
                            let n = read_u64(tx, &key)?;
                            tx.put(NS, &key, &(n + 1).to_le_bytes())
                        }
                    })
                    .await;
                }
                conflicts
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("join");
    }
    let all = nodes[1]
        .read(|tx| tx.scan(NS, "new/", None, 1000))
        .await
        .expect("scan");
    assert_eq!(all.len() as u64, KEYS);
    let expected = (2 * TASKS_PER_NODE).to_le_bytes();
    let lost: Vec<&String> = all
        .iter()
        .filter(|(_, v)| v.as_slice() != expected)
        .map(|(k, _)| k)
        .collect();
    assert!(lost.is_empty(), "increments lost on {lost:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_in_opposite_orders_on_two_nodes_keep_the_total() {
    let Some(db) = postgres() else { return };
    let nodes = [db.open(), db.open()];
    nodes[0]
        .write(|tx| {
            tx.put(NS, "acct/a", &100u64.to_le_bytes())?;
            tx.put(NS, "acct/b", &100u64.to_le_bytes())
        })
        .await
        .expect("seed");
    // Node 0 locks a then b, node 1 b then a: batches on the two nodes can deadlock, and
    // PostgreSQL then fails one job with Conflict, which the caller retries.
    let tasks: Vec<_> = nodes
        .iter()
        .enumerate()
        .flat_map(|(n, node)| (0..2).map(move |_| (n, node.clone())))
        .map(|(n, node)| {
            let (from, to) = if n == 0 {
                ("acct/a", "acct/b")
            } else {
                ("acct/b", "acct/a")
            };
            tokio::spawn(async move {
                let mut conflicts = 0;
                for _ in 0..10 {
                    conflicts += write_retrying(&node, || {
                        move |tx: &mut dyn Tx| {
                            let from_balance = read_u64(tx, from)?;
                            let to_balance = read_u64(tx, to)?;
                            let amount = from_balance.min(3);
                            tx.put(NS, from, &(from_balance - amount).to_le_bytes())?;
                            tx.put(NS, to, &(to_balance + amount).to_le_bytes())
                        }
                    })
                    .await;
                }
                conflicts
            })
        })
        .collect();
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.expect("join");
    }
    eprintln!("{conflicts} conflicts retried");
    let (a, b) = nodes[1]
        .read(|tx| Ok::<_, StoreError>((read_u64(tx, "acct/a")?, read_u64(tx, "acct/b")?)))
        .await
        .expect("read");
    assert_eq!(a + b, 200, "money created or destroyed: a={a} b={b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_committed_on_one_node_reaches_every_node() {
    let Some(db) = postgres() else { return };
    let (a, b) = (db.open(), db.open());
    let mut on_a = a.subscribe(CHANNEL);
    let mut on_b = b.subscribe(CHANNEL);
    let failed: Result<(), StoreError> = a
        .write(|tx| {
            tx.notify(CHANNEL, "rolled back")?;
            Err(StoreError::Backend("rejected".into()))
        })
        .await;
    assert!(failed.is_err());
    a.write(|tx| {
        tx.put(NS, "queue/1", b"message")?;
        tx.notify(CHANNEL, "queue/1")
    })
    .await
    .expect("write on a");
    assert_eq!(next_payload(&mut on_b).await, "queue/1");
    assert_eq!(next_payload(&mut on_a).await, "queue/1");
    // What the notification announced is visible on the other node.
    let seen = b.read(|tx| tx.get(NS, "queue/1")).await.expect("read on b");
    assert_eq!(seen.as_deref(), Some(&b"message"[..]));
}

#[test]
fn nodes_starting_at_once_migrate_once() {
    let Some(db) = postgres() else { return };
    let url = db.spec();
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || Store::open_postgres(&url))
        })
        .collect();
    let stores: Vec<Store> = opened
        .into_iter()
        .map(|t| t.join().expect("join").expect("open"))
        .collect();
    let schema = db.schema().expect("postgres schema").to_owned();
    assert_eq!(
        db.pg_query_i64(&format!("SELECT version FROM {schema}.schema_version")),
        1
    );
    assert_eq!(
        db.pg_query_i64(&format!("SELECT count(*) FROM {schema}.schema_version")),
        1
    );
    for store in &stores {
        store
            .write_blocking(|tx| tx.put(NS, "k", b"v"))
            .expect("write");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_recovers_when_the_server_drops_its_connections() {
    let Some(db) = postgres() else { return };
    let schema = db.schema().expect("postgres schema").to_owned();
    // Name this node's sessions so the test can find them in pg_stat_activity.
    let store =
        Store::open_postgres(&format!("{}&application_name={schema}", db.spec())).expect("open");
    let mut rx = store.subscribe(CHANNEL);
    store
        .write(|tx| tx.put(NS, "before", b"1"))
        .await
        .expect("write before");
    store
        .read(|tx| tx.get(NS, "before"))
        .await
        .expect("read before");

    let sessions = format!("FROM pg_stat_activity WHERE application_name = '{schema}'");
    let terminated = db.pg_query_i64(&format!(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) {sessions}"
    ));
    assert!(terminated >= 3, "writer, reader and listener: {terminated}");
    for _ in 0..600 {
        // The listener reconnects by itself; wait until the old sessions are gone.
        if db.pg_query_i64(&format!("SELECT count(*) {sessions}")) <= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Nothing had run on the dead connections: the writer and the reader replace them
    // transparently.
    store
        .write(|tx| {
            tx.put(NS, "after", b"2")?;
            tx.notify(CHANNEL, "after")
        })
        .await
        .expect("write after the connections were dropped");
    let after = store
        .read(|tx| Ok::<_, StoreError>((tx.get(NS, "before")?, tx.get(NS, "after")?)))
        .await
        .expect("read after the connections were dropped");
    assert_eq!(after, (Some(b"1".to_vec()), Some(b"2".to_vec())));
    // The listener's reconnect is announced with the empty "re-check" payload, and
    // notifications flow again.
    let mut payloads = Vec::new();
    while !payloads.iter().any(|p: &String| p == "after") {
        payloads.push(next_payload(&mut rx).await);
    }
    assert!(payloads.iter().any(String::is_empty), "{payloads:?}");
}

#[tokio::test]
async fn a_job_that_swallows_a_statement_error_is_not_acknowledged() {
    let Some(db) = postgres() else { return };
    let store = db.open();
    // Incompressible and far over a B-tree entry's limit: the server refuses the insert.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let huge_key: String = (0..20_000)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            char::from(b'a' + u8::try_from(state >> 59).expect("5 bits") % 26)
        })
        .collect();
    let outcome: Result<(), StoreError> = store
        .write(move |tx| {
            tx.put(NS, "before", b"lost with the job")?;
            let refused = tx.put(NS, &huge_key, b"v");
            assert!(refused.is_err(), "the server accepted a 20 kB index key");
            // Swallowed: the closure carries on and reports success.
            let _ = tx.put(NS, "after", b"lost with the job");
            Ok(())
        })
        .await;
    assert!(
        matches!(outcome, Err(StoreError::Backend(_))),
        "a false Ok or the wrong error: {outcome:?}"
    );
    store
        .write(|tx| tx.put(NS, "next", b"kept"))
        .await
        .expect("the next job commits");
    let seen = store
        .read(|tx| {
            Ok::<_, StoreError>((
                tx.get(NS, "before")?,
                tx.get(NS, "after")?,
                tx.get(NS, "next")?,
            ))
        })
        .await
        .expect("read");
    assert_eq!(seen, (None, None, Some(b"kept".to_vec())));
}

#[test]
fn open_reports_unreachable_servers_and_missing_schemas() {
    let Some(db) = postgres() else { return };
    match Store::open_postgres("postgres://tessera:tessera@127.0.0.1:1/tessera?connect_timeout=5") {
        Err(StoreError::Unavailable(_)) => {}
        Err(other) => panic!("expected Unavailable, got {other:?}"),
        Ok(_) => panic!("opened a store on a closed port"),
    }
    let missing = db
        .spec()
        .replace("search_path%3D", "search_path%3Dno_such_schema_");
    match Store::open_postgres(&missing) {
        Err(StoreError::Config(message)) => assert!(message.contains("schema"), "{message}"),
        Err(other) => panic!("expected Config, got {other:?}"),
        Ok(_) => panic!("opened a store without a schema"),
    }
}
