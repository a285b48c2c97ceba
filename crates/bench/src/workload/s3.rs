//! S3 workloads over path-style URLs (`http://HOST/bucket/key`), signed for service `s3`:
//! `s3-put` (cycles over `--keys` keys, default 1,000), `s3-get` (reads `--keys` objects, default
//! 100, written by set-up) and `s3-list` (`ListObjectsV2`, `max-keys=1000`, over `--keys` objects,
//! default 1,000, written by set-up).
//!
//! The body is made and hashed once per run: `x-amz-content-sha256` is its hex SHA-256, or
//! `UNSIGNED-PAYLOAD` with `--unsigned-payload`. Request targets are built once in set-up, so a
//! request costs only its signature. A GET whose body is not exactly `--size` bytes, or a listing
//! that does not name every expected key, is an error.

use super::{
    not_set_up, request_loop, setup_fan_out, setup_send, signed_request, status_only, BoxFuture,
    Options, SignedCall, Target, Workload,
};
use crate::conn::RequestBody;
use crate::error::BenchError;
use crate::query::{has_element, xml_elements};
use crate::runner::Lane;
use crate::sigv4::{payload_hash, Signer};
use crate::stats::Outcome;
use bytes::Bytes;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One bucket for all S3 workloads; each writes under its own prefix.
const BUCKET: &str = "tessera-bench";
const BUCKET_PATH: &str = "/tessera-bench";
const LIST_MAX_KEYS: usize = 1000;
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Connections set-up uses to write objects.
const SETUP_PARALLEL: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Put,
    Get,
    List,
}

pub struct S3 {
    kind: Kind,
    size: usize,
    keys: usize,
    unsigned_payload: bool,
    state: Option<State>,
}

struct State {
    signer: Signer,
    authority: String,
    body: Bytes,
    /// The hash signed for `body` (PUT) or for the empty body (GET, list).
    body_hash: String,
    empty_hash: String,
    /// Request targets, in canonical form: one per key, or the listing's.
    paths: Vec<String>,
    list_query: String,
    list_uri: String,
    next: AtomicUsize,
}

impl S3 {
    pub fn new(kind: Kind, options: &Options) -> Self {
        let default_keys = match kind {
            Kind::Put | Kind::List => 1000,
            Kind::Get => 100,
        };
        Self {
            kind,
            size: options.size,
            keys: options.keys.unwrap_or(default_keys).max(1),
            unsigned_payload: options.unsigned_payload,
            state: None,
        }
    }

    fn prefix(&self) -> &'static str {
        match self.kind {
            Kind::Put => "put",
            Kind::Get => "get",
            Kind::List => "list",
        }
    }
}

/// `/bucket/prefix/00000042`: keys of one width, so a listing returns them in numeric order.
fn object_path(prefix: &str, n: usize) -> String {
    format!("/{BUCKET}/{prefix}/{n:08}")
}

/// The canonical query of the listing: keys sorted, `/` of the prefix encoded.
fn list_query(prefix: &str) -> String {
    format!("list-type=2&max-keys={LIST_MAX_KEYS}&prefix={prefix}%2F")
}

impl State {
    fn request(
        &self,
        method: http::Method,
        path: &str,
        query: &str,
        uri: &str,
        body: Bytes,
        hash: &str,
    ) -> Result<http::Request<RequestBody>, BenchError> {
        signed_request(
            &self.signer,
            &self.authority,
            SignedCall {
                method,
                path,
                query,
                uri,
                headers: &[("x-amz-content-sha256", hash)],
                body,
                payload_hash: hash,
            },
        )
    }

    fn put(&self, path: &str) -> Result<http::Request<RequestBody>, BenchError> {
        self.request(
            http::Method::PUT,
            path,
            "",
            path,
            self.body.clone(),
            &self.body_hash,
        )
    }

    fn get(&self, path: &str) -> Result<http::Request<RequestBody>, BenchError> {
        self.request(
            http::Method::GET,
            path,
            "",
            path,
            Bytes::new(),
            &self.empty_hash,
        )
    }

    fn list(&self) -> Result<http::Request<RequestBody>, BenchError> {
        self.request(
            http::Method::GET,
            BUCKET_PATH,
            &self.list_query,
            &self.list_uri,
            Bytes::new(),
            &self.empty_hash,
        )
    }

    /// The next key's path, round robin over all connections.
    fn next_path(&self) -> &str {
        let n = self.next.fetch_add(1, Ordering::Relaxed) % self.paths.len().max(1);
        self.paths.get(n).map_or("/", String::as_str)
    }
}

impl Workload for S3 {
    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Put => "s3-put",
            Kind::Get => "s3-get",
            Kind::List => "s3-list",
        }
    }

    fn item_unit(&self) -> Option<&'static str> {
        Some(match self.kind {
            Kind::Put | Kind::Get => "bytes",
            Kind::List => "keys",
        })
    }

    fn setup<'a>(&'a mut self, target: &'a Target) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let creds = target.credentials(self.name())?.clone();
            let body = Bytes::from(vec![b'x'; self.size]);
            let hash = |b: &[u8]| {
                if self.unsigned_payload {
                    UNSIGNED_PAYLOAD.to_owned()
                } else {
                    payload_hash(b)
                }
            };
            let prefix = self.prefix();
            let list_query = list_query(prefix);
            let st = State {
                signer: Signer::new(creds, &target.region, "s3"),
                authority: target.endpoint.authority.clone(),
                body_hash: hash(&body),
                empty_hash: hash(b""),
                body,
                paths: (0..self.keys).map(|n| object_path(prefix, n)).collect(),
                list_uri: format!("{BUCKET_PATH}?{list_query}"),
                list_query,
                next: AtomicUsize::new(0),
            };
            create_bucket(target, &st).await?;
            if self.kind != Kind::Put {
                setup_fan_out(
                    target,
                    "PutObject",
                    st.paths.len(),
                    SETUP_PARALLEL,
                    |i| st.put(st.paths.get(i).map_or("/", String::as_str)),
                    |_| Ok(()),
                )
                .await?;
            }
            self.state = Some(st);
            Ok(())
        })
    }

    fn drive<'a>(&'a self, lane: &'a mut Lane) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let st = self.state.as_ref().ok_or(not_set_up(self.name()))?;
            let size = self.size;
            match self.kind {
                Kind::Put => {
                    request_loop(
                        lane,
                        || st.put(st.next_path()),
                        |status, body| match status_only(status, body) {
                            Outcome::Ok { .. } => Outcome::Ok { items: size as u64 },
                            other => other,
                        },
                    )
                    .await
                }
                Kind::Get => {
                    request_loop(
                        lane,
                        || st.get(st.next_path()),
                        |status, body| judge_get(size, status, body),
                    )
                    .await
                }
                Kind::List => {
                    let expected = st.paths.len().min(LIST_MAX_KEYS);
                    request_loop(
                        lane,
                        || st.list(),
                        |status, body| judge_list(expected, status, body),
                    )
                    .await
                }
            }
        })
    }
}

/// `HEAD /bucket`, then `PUT /bucket` unless it answered 2xx: runs are repeated, and servers
/// differ on what creating an existing bucket of one's own answers (AWS: 409
/// `BucketAlreadyOwnedByYou`, also accepted here; s3s-fs: 409 `BucketAlreadyExists`).
async fn create_bucket(target: &Target, st: &State) -> Result<(), BenchError> {
    let path = BUCKET_PATH;
    let head = st.request(
        http::Method::HEAD,
        path,
        "",
        path,
        Bytes::new(),
        &st.empty_hash,
    )?;
    if setup_send(target, "HeadBucket", head).await.is_ok() {
        return Ok(());
    }
    let body = if target.region == "us-east-1" {
        Bytes::new()
    } else {
        Bytes::from(format!(
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
            target.region
        ))
    };
    let hash = if st.body_hash == UNSIGNED_PAYLOAD {
        UNSIGNED_PAYLOAD.to_owned()
    } else {
        payload_hash(&body)
    };
    let req = st.request(http::Method::PUT, path, "", path, body, &hash)?;
    match setup_send(target, "CreateBucket", req).await {
        Err(BenchError::SetupCall {
            status: 409, body, ..
        }) if body.contains("BucketAlreadyOwnedByYou") => Ok(()),
        other => other.map(|_| ()),
    }
}

/// A GET must be 2xx with exactly the object's size.
fn judge_get(size: usize, status: http::StatusCode, body: &[u8]) -> Outcome<'_> {
    if !status.is_success() {
        Outcome::Status(status, body)
    } else if body.len() != size {
        Outcome::Failed(format!(
            "GetObject returned {} bytes, expected {size}",
            body.len()
        ))
    } else {
        Outcome::Ok { items: size as u64 }
    }
}

/// A listing must be a `ListBucketResult` naming `expected` keys.
fn judge_list(expected: usize, status: http::StatusCode, body: &[u8]) -> Outcome<'_> {
    if !status.is_success() {
        return Outcome::Status(status, body);
    }
    match list_keys(body) {
        Some(n) if n == expected => Outcome::Ok { items: n as u64 },
        Some(n) => Outcome::Failed(format!(
            "ListObjectsV2 returned {n} keys, expected {expected}"
        )),
        None => Outcome::Failed("ListObjectsV2 response is not a <ListBucketResult>".into()),
    }
}

/// The number of `<Key>` elements of a `ListObjectsV2` answer; `None` if it is not one.
pub fn list_keys(body: &[u8]) -> Option<usize> {
    let xml = std::str::from_utf8(body).ok()?;
    has_element(xml, "ListBucketResult").then(|| xml_elements(xml, "Key").count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn listings_are_counted_by_key() {
        let page = |n: usize| {
            let mut xml = String::from(
                r#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>tessera-bench</Name><Prefix>list/</Prefix><KeyCount>"#,
            );
            xml.push_str(&format!(
                "{n}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
            ));
            for i in 0..n {
                xml.push_str(&format!("<Contents><Key>list/{i:08}</Key><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>"));
            }
            xml.push_str("</ListBucketResult>");
            xml
        };
        assert_eq!(list_keys(page(1000).as_bytes()), Some(1000));
        assert_eq!(list_keys(page(0).as_bytes()), Some(0));
        assert_eq!(list_keys(b"ok\n"), None);
        let (three, two) = (page(3), page(2));
        let cases = [
            (
                judge_list(3, StatusCode::OK, three.as_bytes()),
                "Ok { items: 3 }",
            ),
            (
                judge_list(3, StatusCode::OK, two.as_bytes()),
                "Failed(\"ListObjectsV2 returned 2 keys, expected 3\")",
            ),
            (
                judge_list(3, StatusCode::OK, b"ok\n"),
                "Failed(\"ListObjectsV2 response is not a <ListBucketResult>\")",
            ),
            (
                judge_list(3, StatusCode::NOT_FOUND, b"x"),
                "Status(404, [120])",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(format!("{got:?}"), want);
        }
    }

    #[test]
    fn gets_must_return_the_whole_object() {
        let cases = [
            (judge_get(3, StatusCode::OK, b"xxx"), "Ok { items: 3 }"),
            (
                judge_get(3, StatusCode::OK, b"xx"),
                "Failed(\"GetObject returned 2 bytes, expected 3\")",
            ),
            (
                judge_get(3, StatusCode::FORBIDDEN, b"x"),
                "Status(403, [120])",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(format!("{got:?}"), want);
        }
    }

    #[test]
    fn paths_and_queries_are_canonical() {
        assert_eq!(object_path("get", 42), "/tessera-bench/get/00000042");
        assert_eq!(
            list_query("list"),
            "list-type=2&max-keys=1000&prefix=list%2F"
        );
    }
}
