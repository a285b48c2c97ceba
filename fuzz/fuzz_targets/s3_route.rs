//! Arbitrary HTTP request heads through S3's router (`S3::route`: method, path, query, headers to
//! an operation). Input lines: method, raw path, raw query, then `name: value` headers.
//!
//! Fails on a panic; on a refusal that is not a 4xx (or `NotImplemented`) with an S3 code; on an
//! operation whose IAM action or resource ARN does not follow from its bucket and key (an empty
//! bucket, or one containing `/`, would make `arn:aws:s3:::a/b` name both the bucket `a/b` and the
//! object `b` of `a`); and on a request routed differently in path style (`s3.localhost/b/k`) and
//! virtual-host style (`b.s3.localhost/k`).
#![no_main]
use std::sync::{Arc, OnceLock};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use tessera_s3::{S3Config, S3Error, S3Request, S3};

/// One `S3` over a store and blob directory opened once; routing reads neither.
fn s3() -> &'static S3 {
    static S3: OnceLock<S3> = OnceLock::new();
    S3.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("tessera-fuzz-s3-")
            .tempdir()
            .map(tempfile::TempDir::keep)
            .unwrap_or_else(|e| panic!("temporary directory: {e}"));
        let store = tessera_store::Store::open_sqlite(&dir.join("store"))
            .unwrap_or_else(|e| panic!("open store: {e}"));
        let blobs = tessera_blob::BlobStore::open_dir(&dir.join("blobs"))
            .unwrap_or_else(|e| panic!("open blob store: {e}"));
        S3::new(
            store,
            blobs,
            Arc::new(tessera_core::SystemClock),
            S3Config::default(),
        )
    })
}

/// What is compared between the two addressing styles.
type Outcome = Result<(&'static str, Option<String>, Option<String>, String), &'static str>;

fn check(result: &Result<S3Request, S3Error>) -> Outcome {
    match result {
        Ok(req) => {
            assert!(req.iam_action().starts_with("s3:"));
            let arn = req.resource_arn();
            match (req.bucket(), req.key()) {
                (None, key) => {
                    assert_eq!(key, None);
                    assert_eq!(arn, "*");
                }
                (Some(bucket), key) => {
                    assert!(
                        !bucket.is_empty() && !bucket.contains('/'),
                        "bucket {bucket:?} makes the resource ARN {arn} ambiguous"
                    );
                    assert!(arn.starts_with(&format!("arn:aws:s3:::{bucket}")), "{arn}");
                    assert!(key.is_none_or(|k| !k.is_empty()));
                }
            }
            if let Some((bucket, key)) = req.copy_source() {
                assert!(!bucket.is_empty() && !key.is_empty());
            }
            let _ = req.resource_path();
            Ok((
                req.operation().name(),
                req.bucket().map(str::to_owned),
                req.key().map(str::to_owned),
                arn,
            ))
        }
        Err(e) => {
            let aws = e.to_aws();
            assert!(
                (400..500).contains(&aws.status) || e.code() == "NotImplemented",
                "routing failed with {}: {e:?}",
                aws.status
            );
            assert!(e.code() != "InternalError");
            Err(e.code())
        }
    }
}

fn header_map(lines: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in lines.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    headers
}

/// A first path segment usable as a DNS label sequence under `s3.localhost`.
fn host_safe(bucket: &str) -> bool {
    !bucket.is_empty()
        && bucket.len() <= 63
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !bucket.starts_with('.')
        && !bucket.ends_with('.')
        && !bucket.contains("..")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.splitn(4, '\n');
    let method = lines.next().unwrap_or("GET");
    let path = lines.next().unwrap_or("/");
    let query = lines.next().unwrap_or("");
    let mut headers = header_map(lines.next().unwrap_or(""));
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        return;
    };
    let s3 = s3();
    let _ = check(&s3.route(&method, path, query, &headers));

    // The same request in both addressing styles routes the same way.
    let Some((bucket, rest)) = path
        .strip_prefix('/')
        .map(|p| p.split_once('/').unwrap_or((p, "")))
    else {
        return;
    };
    if !host_safe(bucket) {
        return;
    }
    let Ok(path_host) = HeaderValue::from_str("s3.localhost") else {
        return;
    };
    let Ok(vhost) = HeaderValue::from_str(&format!("{bucket}.s3.localhost")) else {
        return;
    };
    headers.insert(http::header::HOST, path_host);
    let path_style = check(&s3.route(&method, path, query, &headers));
    headers.insert(http::header::HOST, vhost);
    let virtual_style = check(&s3.route(&method, &format!("/{rest}"), query, &headers));
    assert_eq!(
        path_style, virtual_style,
        "path style and virtual-host style differ"
    );
});
