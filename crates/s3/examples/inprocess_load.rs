//! In-process load: 16 concurrent callers doing 4 KiB PUT and GET, then 16 MiB PUT and GET,
//! straight through `S3::route` + `S3::call` (no HTTP, no signing) on a real SQLite store and
//! blob directory. It measures the service layer's own cost and prints ops/s and MB/s.
//!
//! `cargo run --release -p tessera-s3 --example inprocess_load [dir]`

use bytes::Bytes;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Instant;
use tessera_blob::BlobStore;
use tessera_core::{AccountId, SystemClock};
use tessera_s3::{bytes_body, ResponseBody, S3Caller, S3Config, S3};
use tessera_store::Store;

const TASKS: usize = 16;

async fn send(s3: &S3, caller: &S3Caller, method: http::Method, path: &str, body: Bytes) -> u64 {
    let mut headers = http::HeaderMap::new();
    headers.insert("host", http::HeaderValue::from_static("localhost"));
    let req = s3.route(&method, path, "", &headers).expect("route");
    let resp = s3.call(caller, req, bytes_body(body)).await.expect("call");
    match resp.body {
        ResponseBody::Blob { reader, start, len } => {
            let mut n = 0;
            let mut st = reader.into_stream(start, len).expect("stream");
            while let Some(c) = st.next().await {
                n += c.expect("chunk").len() as u64;
            }
            n
        }
        _ => 0,
    }
}

async fn phase(
    s3: &S3,
    caller: &S3Caller,
    method: http::Method,
    size: usize,
    per_task: usize,
) -> f64 {
    let body = Bytes::from(vec![7u8; size]);
    let start = Instant::now();
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let (s3, caller, body, method) = (s3.clone(), caller.clone(), body.clone(), method.clone());
        handles.push(tokio::spawn(async move {
            for i in 0..per_task {
                let b = if method == http::Method::PUT {
                    body.clone()
                } else {
                    Bytes::new()
                };
                send(
                    &s3,
                    &caller,
                    method.clone(),
                    &format!("/bench/o{size}-{t}-{i}"),
                    b,
                )
                .await;
            }
        }));
    }
    for h in handles {
        h.await.expect("task");
    }
    start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let dir = std::env::args().nth(1).map(std::path::PathBuf::from);
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = dir.unwrap_or_else(|| tmp.path().to_path_buf());
    let store = Store::open_sqlite(&root.join("db")).expect("store");
    let blobs = BlobStore::open_dir(&root.join("blobs")).expect("blobs");
    let s3 = S3::new(store, blobs, Arc::new(SystemClock), S3Config::default());
    let caller = S3Caller {
        account: AccountId::parse("111122223333").expect("account"),
        principal_arn: "arn:aws:iam::111122223333:root".into(),
        canonical_id: "c".into(),
        display_name: "d".into(),
        anonymous: false,
    };
    send(&s3, &caller, http::Method::PUT, "/bench", Bytes::new()).await;
    for (size, per_task) in [(4096usize, 200usize), (16 << 20, 2)] {
        let n = (TASKS * per_task) as f64;
        let put = phase(&s3, &caller, http::Method::PUT, size, per_task).await;
        let get = phase(&s3, &caller, http::Method::GET, size, per_task).await;
        let mb = |secs: f64| n * size as f64 / secs / 1e6;
        println!(
            "{size} B x {n}: PUT {:.0} ops/s ({:.0} MB/s), GET {:.0} ops/s ({:.0} MB/s)",
            n / put,
            mb(put),
            n / get,
            mb(get)
        );
    }
}
