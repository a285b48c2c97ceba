//! Durability under SIGKILL, on every backend: a child process writes keys and prints each key
//! once `write` has acknowledged it; the parent kills it mid-stream, reopens the store and
//! requires every acknowledged key. The child is this test binary itself, re-executed to run
//! `crash_child` on the store location the parent passes (a directory or a PostgreSQL URL).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use tessera_store::{Namespace, Store, StoreError};

const NS: Namespace = "test.crash";
const CHILD_STORE: &str = "TESSERA_STORE_CRASH_CHILD_STORE";
const CHILD_ROUND: &str = "TESSERA_STORE_CRASH_CHILD_ROUND";
const ACK: &str = "ACK:";
/// Concurrent writers in the child, so that kills land in the middle of group commits.
const CHILD_WRITERS: usize = 8;
/// Upper bound on each child writer's keys, so a child that is never killed still ends.
const CHILD_KEYS_PER_WRITER: usize = 5_000;

/// The child's side: runs only when re-executed by `acknowledged_writes_survive_sigkill`.
#[test]
#[ignore = "child process of acknowledged_writes_survive_sigkill"]
fn crash_child() {
    let (Some(spec), Some(round)) = (
        std::env::var(CHILD_STORE).ok(),
        std::env::var_os(CHILD_ROUND),
    ) else {
        return;
    };
    let round = round.to_string_lossy().into_owned();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let unused = std::path::Path::new("/nonexistent");
        let store = Store::open(Some(&spec), unused).expect("child open");
        let writers: Vec<_> = (0..CHILD_WRITERS)
            .map(|w| {
                let store = store.clone();
                let round = round.clone();
                tokio::spawn(async move {
                    for i in 0..CHILD_KEYS_PER_WRITER {
                        let key = format!("r{round}/w{w}/{i:05}");
                        let k = key.clone();
                        store
                            .write(move |tx| tx.put(NS, &k, k.as_bytes()))
                            .await
                            .expect("child write");
                        // Straight to the file descriptor, bypassing the harness's capture.
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "{ACK}{key}").expect("print ack");
                        out.flush().expect("flush ack");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("child writer");
        }
    });
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    for db in common::test_dbs() {
        acknowledged_writes_survive_sigkill_on(&db);
    }
}

fn acknowledged_writes_survive_sigkill_on(db: &common::TestDb) {
    let exe = std::env::current_exe().expect("test binary path");
    for round in 0..5usize {
        let kill_after = 50 + round * 150;
        let mut child = Command::new(&exe)
            .args(["crash_child", "--exact", "--ignored", "--nocapture"])
            .env(CHILD_STORE, db.spec())
            .env(CHILD_ROUND, round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("child stdout");
        let mut acked = Vec::new();
        let mut killed = false;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("read child output");
            // The harness may print its own text before the first ack on the same line.
            if let Some(pos) = line.find(ACK) {
                acked.push(line[pos + ACK.len()..].to_owned());
            }
            if !killed && acked.len() >= kill_after {
                child.kill().expect("SIGKILL child");
                killed = true;
            }
            // Keep reading after the kill: acks printed just before it count too.
        }
        let status = child.wait().expect("wait child");
        assert!(
            killed,
            "round {round}: child ended before being killed ({status})"
        );
        assert!(!status.success(), "round {round}: child was not killed");

        let store = db.open();
        let keys = acked.clone();
        let missing: Vec<String> = store
            .write_blocking(move |tx| {
                let mut missing = Vec::new();
                for key in keys {
                    if tx.get(NS, &key)?.as_deref() != Some(key.as_bytes()) {
                        missing.push(key);
                    }
                }
                Ok::<_, StoreError>(missing)
            })
            .expect("check acked keys");
        assert!(
            missing.is_empty(),
            "{} round {round}: {} of {} acknowledged keys lost, e.g. {:?}",
            db.name(),
            missing.len(),
            acked.len(),
            missing.first()
        );
    }
}
