//! In-process throughput of the SQS crate on a real SQLite store (durable: every call waits for
//! the group commit's fsync). Run with:
//! `cargo run --release -p tessera-sqs --example throughput -- [seconds] [backlog]`
//!
//! Prints messages per second for SendMessage, SendMessageBatch(10) and a receive+delete cycle
//! with 16 concurrent callers, then builds a backlog and reports the process's RSS.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tessera_core::{AccountId, SystemClock};
use tessera_sqs::{Sqs, SqsCaller, Wire};
use tessera_store::Store;

const CONNECTIONS: usize = 16;

async fn call(sqs: &Sqs, caller: &SqsCaller, action: &str, body: Value) -> Value {
    let bytes = body.to_string().into_bytes();
    let req = sqs
        .parse(
            Wire::Json {
                action,
                body: &bytes,
            },
            "/",
            &caller.account,
        )
        .expect("parse");
    let resp = sqs.call(caller, req).await.expect("call");
    serde_json::from_slice(&resp.encode("r").1).expect("json")
}

async fn run<F, Fut>(secs: u64, label: &str, work: F)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = u64> + Send,
{
    let work = Arc::new(work);
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (work, count) = (Arc::clone(&work), Arc::clone(&count));
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                count.fetch_add(work().await, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let n = count.load(Ordering::Relaxed);
    println!(
        "{label}: {n} messages in {:.1}s = {:.0}/s",
        start.elapsed().as_secs_f64(),
        n as f64 / start.elapsed().as_secs_f64()
    );
}

/// A receiver waits (WaitTimeSeconds=20) on an empty queue; the time from the send's
/// acknowledgement to the receiver's return is the wake-up latency.
async fn long_poll_latency(sqs: &Sqs, caller: &SqsCaller) {
    let url = call(sqs, caller, "CreateQueue", json!({ "QueueName": "wake" })).await["QueueUrl"]
        .as_str()
        .expect("url")
        .to_owned();
    let mut samples = Vec::new();
    for i in 0..200 {
        let (s, c, u) = (sqs.clone(), caller.clone(), url.clone());
        let waiter = tokio::spawn(async move {
            let got = call(
                &s,
                &c,
                "ReceiveMessage",
                json!({ "QueueUrl": u, "WaitTimeSeconds": 20 }),
            )
            .await;
            let done = Instant::now();
            for m in got["Messages"].as_array().cloned().unwrap_or_default() {
                call(
                    &s,
                    &c,
                    "DeleteMessage",
                    json!({ "QueueUrl": u, "ReceiptHandle": m["ReceiptHandle"] }),
                )
                .await;
            }
            done
        });
        // Give the receiver time to find the queue empty and start waiting.
        tokio::time::sleep(Duration::from_millis(20)).await;
        call(
            sqs,
            caller,
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": format!("w{i}") }),
        )
        .await;
        let acked = Instant::now();
        let done = waiter.await.expect("waiter");
        samples.push(done.saturating_duration_since(acked));
    }
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    println!(
        "long-poll wake-up after send ack: p50 {:?}, p99 {:?}, max {:?}",
        p(0.5),
        p(0.99),
        p(1.0)
    );
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let backlog: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_sqlite(dir.path()).expect("store");
    let sqs = Sqs::new(store, Arc::new(SystemClock), "us-east-1");
    let caller = SqsCaller {
        account: AccountId::parse("123456789012").expect("account"),
        sender_id: "AIDABENCH".into(),
        base_url: "http://127.0.0.1:4566".into(),
    };
    let url = call(
        &sqs,
        &caller,
        "CreateQueue",
        json!({ "QueueName": "bench" }),
    )
    .await["QueueUrl"]
        .as_str()
        .expect("url")
        .to_owned();

    let (s, c, u) = (sqs.clone(), caller.clone(), url.clone());
    run(secs, "SendMessage", move || {
        let (s, c, u) = (s.clone(), c.clone(), u.clone());
        async move {
            call(
                &s,
                &c,
                "SendMessage",
                json!({ "QueueUrl": u, "MessageBody": "x".repeat(200) }),
            )
            .await;
            1
        }
    })
    .await;

    let (s, c, u) = (sqs.clone(), caller.clone(), url.clone());
    run(secs, "SendMessageBatch(10)", move || {
        let (s, c, u) = (s.clone(), c.clone(), u.clone());
        async move {
            let entries: Vec<Value> = (0..10)
                .map(|i| json!({ "Id": format!("e{i}"), "MessageBody": "x".repeat(200) }))
                .collect();
            call(
                &s,
                &c,
                "SendMessageBatch",
                json!({ "QueueUrl": u, "Entries": entries }),
            )
            .await;
            10
        }
    })
    .await;

    let (s, c, u) = (sqs.clone(), caller.clone(), url.clone());
    run(secs, "receive+delete (1 message per cycle)", move || {
        let (s, c, u) = (s.clone(), c.clone(), u.clone());
        async move {
            let got = call(&s, &c, "ReceiveMessage", json!({ "QueueUrl": u })).await;
            let mut n = 0;
            for m in got["Messages"].as_array().cloned().unwrap_or_default() {
                call(
                    &s,
                    &c,
                    "DeleteMessage",
                    json!({ "QueueUrl": u, "ReceiptHandle": m["ReceiptHandle"] }),
                )
                .await;
                n += 1;
            }
            n
        }
    })
    .await;

    long_poll_latency(&sqs, &caller).await;

    let before = rss_mb();
    let mut sent = 0;
    let mut pending = Vec::new();
    while sent < backlog {
        let (s, c, u) = (sqs.clone(), caller.clone(), url.clone());
        pending.push(tokio::spawn(async move {
            let entries: Vec<Value> = (0..10)
                .map(|i| json!({ "Id": format!("e{i}"), "MessageBody": "y".repeat(200) }))
                .collect();
            call(
                &s,
                &c,
                "SendMessageBatch",
                json!({ "QueueUrl": u, "Entries": entries }),
            )
            .await;
        }));
        sent += 10;
        if pending.len() == CONNECTIONS * 4 {
            for p in pending.drain(..) {
                p.await.expect("task");
            }
        }
    }
    for p in pending {
        p.await.expect("task");
    }
    let attrs = call(
        &sqs,
        &caller,
        "GetQueueAttributes",
        json!({ "QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"] }),
    )
    .await;
    println!(
        "backlog: {} messages; RSS {before:.0} MB before, {:.0} MB after",
        attrs["Attributes"]["ApproximateNumberOfMessages"],
        rss_mb()
    );
}
