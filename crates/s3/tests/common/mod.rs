//! A test harness: a real SQLite store and blob store on temporary directories, driving
//! `S3::route` and `S3::call` with `http` types, as the server does.
#![allow(dead_code)] // Each test file uses a different subset of the harness.

use bytes::Bytes;
use futures_util::StreamExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tessera_blob::BlobStore;
use tessera_core::{AccountId, Clock};
use tessera_s3::{
    BodyError, BodyFrame, RequestBody, ResponseBody, S3Caller, S3Config, S3Error, S3,
};
use tessera_store::Store;

/// A clock tests move by hand.
pub struct TestClock(AtomicU64);

impl TestClock {
    pub fn advance_secs(&self, s: u64) {
        self.0.fetch_add(s * 1000, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.0.load(Ordering::SeqCst))
    }
}

pub struct H {
    pub s3: S3,
    pub clock: Arc<TestClock>,
    pub blob_dir: PathBuf,
    pub caller: S3Caller,
    /// Whether small objects keep their bytes in their record (see `S3Config::inline_max`).
    pub inline: bool,
    _dir: tempfile::TempDir,
}

/// Runs an `async fn(H)` test twice: small objects inline (the default) and every object in a
/// blob file, so both layouts pass every object test.
#[macro_export]
macro_rules! both_layouts {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test]
            async fn inline() {
                super::$name(H::new().await).await
            }
            #[tokio::test]
            async fn blobs() {
                super::$name(H::blobs_only().await).await
            }
        }
    )*};
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn caller(account: &str) -> S3Caller {
    S3Caller {
        account: AccountId::parse(account).unwrap(),
        principal_arn: format!("arn:aws:iam::{account}:root"),
        canonical_id: format!("canon{account}"),
        display_name: format!("user{account}"),
        anonymous: false,
    }
}

pub const MIB: usize = 1024 * 1024;

impl H {
    pub async fn new() -> H {
        H::with_config(S3Config::default()).await
    }

    /// Every object body in a blob file (no inline bytes), for tests that count blob files.
    pub async fn blobs_only() -> H {
        H::with_config(S3Config {
            inline_max: 0,
            ..S3Config::default()
        })
        .await
    }

    pub async fn with_config(config: S3Config) -> H {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("db")).unwrap();
        let blob_dir = dir.path().join("blobs");
        let blobs = BlobStore::open_dir(&blob_dir).unwrap();
        let clock = Arc::new(TestClock(AtomicU64::new(1_700_000_000_000)));
        let inline = config.inline_max > 0;
        let s3 = S3::new(store, blobs, clock.clone(), config);
        H {
            inline,
            s3,
            clock,
            blob_dir,
            caller: caller("111122223333"),
            _dir: dir,
        }
    }

    /// Sends a request as `caller`; `target` is the raw path and query.
    pub async fn send_as(
        &self,
        caller: &S3Caller,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: RequestBody,
    ) -> Result<Resp, S3Error> {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut map = http::HeaderMap::new();
        map.insert("host", "localhost:9000".parse().unwrap());
        for (k, v) in headers {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let method = http::Method::from_bytes(method.as_bytes()).unwrap();
        let req = self.s3.route(&method, path, query, &map)?;
        let resp = self.s3.call(caller, req, body).await?;
        let body = match resp.body {
            ResponseBody::Empty => Vec::new(),
            ResponseBody::Bytes(b) => b.to_vec(),
            ResponseBody::Blob { reader, start, len } => {
                let mut out = Vec::new();
                let mut st = reader.into_stream(start, len).unwrap();
                while let Some(c) = st.next().await {
                    out.extend_from_slice(&c.unwrap());
                }
                out
            }
        };
        Ok(Resp {
            status: resp.status,
            headers: resp.headers,
            body,
        })
    }

    pub async fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Resp, S3Error> {
        // Like an HTTP client, declare the length of a body (the server's parts carry it).
        let body = body.into();
        let len = body.len().to_string();
        let mut all = headers.to_vec();
        let declared = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
        if !declared && (!body.is_empty() || method == "PUT" || method == "POST") {
            all.push(("content-length", &len));
        }
        self.send_as(
            &self.caller,
            method,
            target,
            &all,
            tessera_s3::bytes_body(body),
        )
        .await
    }

    pub async fn ok(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Resp {
        match self.send(method, target, headers, body).await {
            Ok(r) => r,
            Err(e) => panic!("{method} {target}: {e}"),
        }
    }

    /// The AWS error code of a request that must fail.
    pub async fn err(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> (String, u16) {
        match self.send(method, target, headers, body).await {
            Ok(r) => panic!("{method} {target}: expected an error, got {}", r.status),
            Err(e) => {
                let a = e.to_aws();
                (a.code.into_owned(), a.status)
            }
        }
    }

    pub async fn bucket(&self, name: &str) {
        self.ok("PUT", &format!("/{name}"), &[], Bytes::new()).await;
    }

    pub async fn put(&self, bucket: &str, key: &str, data: impl Into<Bytes>) -> Resp {
        self.ok("PUT", &format!("/{bucket}/{key}"), &[], data).await
    }

    /// Finished blob files on disk (temporary files excluded).
    /// Exactly `n` blob files with every body in a blob; at most `n` when small ones are inline.
    pub fn assert_blob_files(&self, n: usize) {
        if self.inline {
            assert!(
                self.blob_files() <= n,
                "{} > {n} blob files",
                self.blob_files()
            );
        } else {
            assert_eq!(self.blob_files(), n);
        }
    }

    pub fn blob_files(&self) -> usize {
        let mut n = 0;
        let mut stack = vec![self.blob_dir.join("blobs")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    n += 1;
                }
            }
        }
        n
    }

    pub fn temp_files(&self) -> usize {
        std::fs::read_dir(self.blob_dir.join("tmp"))
            .unwrap()
            .count()
    }
}

/// A body of data frames followed by trailers.
pub fn framed(data: Vec<&'static [u8]>, trailers: Vec<(&str, &str)>) -> RequestBody {
    let mut frames: Vec<Result<BodyFrame, BodyError>> = data
        .into_iter()
        .map(|d| Ok(BodyFrame::Data(Bytes::from_static(d))))
        .collect();
    frames.extend(trailers.into_iter().map(|(n, v)| {
        Ok(BodyFrame::Trailer {
            name: n.to_owned(),
            value: v.to_owned(),
        })
    }));
    Box::pin(futures_util::stream::iter(frames))
}

/// A body that fails after some data, as the server reports a bad chunk signature.
pub fn failing_body() -> RequestBody {
    let frames: Vec<Result<BodyFrame, BodyError>> = vec![
        Ok(BodyFrame::Data(Bytes::from_static(b"some data"))),
        Err(BodyError {
            code: "XAmzContentSHA256Mismatch",
            message: "The provided 'x-amz-content-sha256' header does not match what was computed."
                .into(),
            status: 400,
        }),
    ];
    Box::pin(futures_util::stream::iter(frames))
}

/// Text of every `<tag>…</tag>` in a document, in order.
pub fn all_tags(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(
            after[..j]
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        );
        rest = &after[j + close.len()..];
    }
    out
}

pub fn tag(xml: &str, tag: &str) -> Option<String> {
    all_tags(xml, tag).into_iter().next()
}

pub fn md5_b64(data: &[u8]) -> String {
    use base64::Engine;
    let mut h = tessera_checksum::Md5Hasher::new();
    h.update(data);
    base64::engine::general_purpose::STANDARD.encode(h.finish())
}
