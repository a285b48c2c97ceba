//! The SQS, S3 and mixed workloads against small in-process fakes on loopback: every kind of bad
//! answer (non-2xx, malformed receive, failed batch entry, short object, short listing) is counted
//! where it belongs, empty receives apart from both, and the requests carry what each protocol
//! needs.
//! No timing: runs are bounded by a request count and one connection, so the order is fixed.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tessera_bench::endpoint::Endpoint;
use tessera_bench::runner::{run, RunConfig};
use tessera_bench::sigv4::Credentials;
use tessera_bench::stats::Report;
use tessera_bench::workload::{by_name, Options, Protocol, Target};
use tessera_bench::BenchError;
use tokio::net::TcpListener;

/// What the fake saw of a request.
struct Seen {
    method: http::Method,
    uri: String,
    headers: http::HeaderMap,
    body: String,
}

type Handler = Arc<dyn Fn(&Seen) -> (u16, String) + Send + Sync>;

async fn start(handler: Handler) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let handler = handler.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let seen = Seen {
                            method: parts.method,
                            uri: parts.uri.to_string(),
                            headers: parts.headers,
                            body: String::from_utf8_lossy(&body).into_owned(),
                        };
                        let (status, text) = handler(&seen);
                        let mut resp = hyper::Response::new(Full::new(Bytes::from(text)));
                        *resp.status_mut() = http::StatusCode::from_u16(status).unwrap();
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

async fn bench(
    url: &str,
    workload: &str,
    options: Options,
    requests: u64,
) -> Result<Report, BenchError> {
    let target = Target {
        endpoint: Endpoint::resolve(url).await?,
        region: "us-east-1".into(),
        credentials: Some(Credentials {
            access_key_id: "AKIAROOTROOTROOT1234".into(),
            secret_access_key: "rootsecretrootsecretrootsecretrootsecre".into(),
            session_token: None,
        }),
    };
    run(
        target,
        by_name(workload, &options)?,
        RunConfig {
            connections: 1,
            duration: None,
            requests: Some(requests),
            progress: false,
        },
    )
    .await
}

/// The SQS action of a request in either protocol, and whether it carries what that protocol
/// needs (a form body with Version; or the JSON content type and X-Amz-Target).
fn sqs_action(seen: &Seen) -> Option<String> {
    let signed = seen
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("/us-east-1/sqs/aws4_request"));
    if !signed || seen.method != http::Method::POST || seen.uri != "/" {
        return None;
    }
    if let Some(target) = seen.headers.get("x-amz-target") {
        let json = seen.headers.get("content-type")? == "application/x-amz-json-1.0";
        let ok = json && seen.body.starts_with('{');
        return ok.then(|| {
            target
                .to_str()
                .ok()?
                .strip_prefix("AmazonSQS.")
                .map(str::to_owned)
        })?;
    }
    if !seen.body.ends_with("&Version=2012-11-05") {
        return None;
    }
    let action = seen.body.strip_prefix("Action=")?.split('&').next()?;
    Some(action.to_owned())
}

/// A fake SQS whose receives cycle through: two messages, empty, malformed, 500.
fn cycling_sqs(protocol: Protocol) -> Handler {
    let receives = Arc::new(AtomicU64::new(0));
    Arc::new(move |seen| {
        let Some(action) = sqs_action(seen) else {
            return (400, "not a signed SQS call in the expected protocol".into());
        };
        let json = protocol == Protocol::Json;
        match action.as_str() {
            "CreateQueue" if json => (200, r#"{"QueueUrl":"http://fake/123456789012/q"}"#.into()),
            "CreateQueue" => (200, "<CreateQueueResponse><CreateQueueResult><QueueUrl>http://fake/123456789012/q</QueueUrl></CreateQueueResult></CreateQueueResponse>".into()),
            // Deep enough that set-up sends nothing.
            "GetQueueAttributes" if json => (200, r#"{"Attributes":{"ApproximateNumberOfMessages":"1000000"}}"#.into()),
            "GetQueueAttributes" => (200, "<GetQueueAttributesResponse><GetQueueAttributesResult><Attribute><Name>ApproximateNumberOfMessages</Name><Value>1000000</Value></Attribute></GetQueueAttributesResult></GetQueueAttributesResponse>".into()),
            "ReceiveMessage" => match (receives.fetch_add(1, Ordering::Relaxed) % 4, json) {
                (0, true) => (200, r#"{"Messages":[{"ReceiptHandle":"r1","Body":"a"},{"ReceiptHandle":"r2","Body":"b"}]}"#.into()),
                (0, false) => (200, "<ReceiveMessageResponse><ReceiveMessageResult><Message><ReceiptHandle>r1</ReceiptHandle><Body>a</Body></Message><Message><ReceiptHandle>r2</ReceiptHandle><Body>b</Body></Message></ReceiveMessageResult></ReceiveMessageResponse>".into()),
                (1, true) => (200, "{}".into()),
                (1, false) => (200, "<ReceiveMessageResponse><ReceiveMessageResult/></ReceiveMessageResponse>".into()),
                (2, _) => (200, "<html>proxy error</html>".into()),
                _ => (500, "InternalError".into()),
            },
            "DeleteMessageBatch" if seen.body.contains("r1") && seen.body.contains("r2") => {
                if json {
                    (200, r#"{"Successful":[{"Id":"0"},{"Id":"1"}],"Failed":[]}"#.into())
                } else {
                    (200, "<DeleteMessageBatchResponse><DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>0</Id></DeleteMessageBatchResultEntry><DeleteMessageBatchResultEntry><Id>1</Id></DeleteMessageBatchResultEntry></DeleteMessageBatchResult></DeleteMessageBatchResponse>".into())
                }
            }
            // One entry of every batch send fails, though the call answers 200.
            "SendMessageBatch" if json => (200, format!(r#"{{"Successful":[{}],"Failed":[{{"Id":"9","Code":"X","SenderFault":true}}]}}"#, [r#"{"Id":"0"}"#; 9].join(","))),
            "SendMessage" => (200, "{}".into()),
            other => (400, format!("unexpected {other}")),
        }
    })
}

#[tokio::test]
async fn receive_delete_counts_messages_empties_and_bad_receives_in_both_protocols() {
    for protocol in [Protocol::Query, Protocol::Json] {
        let url = start(cycling_sqs(protocol)).await;
        let options = Options {
            protocol,
            ..Options::default()
        };
        let r = bench(&url, "sqs-receive-delete", options, 40)
            .await
            .unwrap();
        assert_eq!(
            (r.requests, r.ok, r.empty, r.errors),
            (40, 10, 10, 20),
            "{protocol:?}: {r:?}"
        );
        assert_eq!(
            (r.failed_checks, r.transport_errors),
            (10, 0),
            "{protocol:?}"
        );
        assert_eq!(r.errors_by_status.get(&500), Some(&10));
        assert_eq!((r.item_unit, r.items), (Some("messages"), 20));
    }
}

#[tokio::test]
async fn a_batch_with_a_failed_entry_is_an_error_though_answered_200() {
    let url = start(cycling_sqs(Protocol::Json)).await;
    let options = Options {
        protocol: Protocol::Json,
        ..Options::default()
    };
    let r = bench(&url, "sqs-send-batch", options.clone(), 5)
        .await
        .unwrap();
    assert_eq!((r.ok, r.failed_checks, r.items), (0, 5, 0));
    assert!(r.first_error.unwrap().contains("1 of 10 entries failed"));
    let r = bench(&url, "sqs-send", options, 5).await.unwrap();
    assert_eq!((r.ok, r.errors, r.items), (5, 0, 5));
}

#[tokio::test]
async fn sqs_set_up_refuses_a_server_that_is_not_sqs() {
    let url = start(Arc::new(|_| (200, "ok\n".into()))).await;
    let err = bench(&url, "sqs-send", Options::default(), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, BenchError::SetupCheck { .. }), "{err}");
    let err = bench(&url, "sqs-long-poll-latency", Options::default(), 1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, BenchError::TooFewConnections { needs: 2, .. }),
        "{err}"
    );
}

/// A fake S3 bucket: HEAD bucket 404, create 200, PUT stores nothing; every other GET of an object
/// is one byte short; listings name `listed` keys.
fn fake_s3(listed: usize) -> Handler {
    let gets = Arc::new(AtomicU64::new(0));
    Arc::new(move |seen| {
        let auth = seen
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let hash = seen
            .headers
            .get("x-amz-content-sha256")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !auth.contains("/us-east-1/s3/aws4_request") || !auth.contains("x-amz-content-sha256") {
            return (403, "unsigned".into());
        }
        match (&seen.method, seen.uri.as_str()) {
            (&http::Method::HEAD, "/tessera-bench") => (404, String::new()),
            (&http::Method::PUT, "/tessera-bench") => (200, String::new()),
            (&http::Method::PUT, _) if hash == "UNSIGNED-PAYLOAD" || hash.len() == 64 => {
                (200, String::new())
            }
            (&http::Method::GET, "/tessera-bench?list-type=2&max-keys=1000&prefix=list%2F") => {
                let keys: String = (0..listed)
                    .map(|i| format!("<Contents><Key>list/{i:08}</Key></Contents>"))
                    .collect();
                (
                    200,
                    format!(
                        "<ListBucketResult><Name>tessera-bench</Name>{keys}</ListBucketResult>"
                    ),
                )
            }
            (&http::Method::GET, path) if path.starts_with("/tessera-bench/get/") => {
                let short = gets.fetch_add(1, Ordering::Relaxed) % 2 == 1;
                (200, "x".repeat(if short { 15 } else { 16 }))
            }
            _ => (400, format!("unexpected {} {}", seen.method, seen.uri)),
        }
    })
}

#[tokio::test]
async fn s3_short_objects_and_short_listings_are_errors() {
    let url = start(fake_s3(1000)).await;
    let sized = |keys| Options {
        size: 16,
        keys: Some(keys),
        ..Options::default()
    };
    let r = bench(&url, "s3-get", sized(3), 10).await.unwrap();
    assert_eq!((r.ok, r.failed_checks, r.items), (5, 5, 80));
    assert!(r.first_error.unwrap().contains("15 bytes, expected 16"));
    for unsigned_payload in [false, true] {
        let options = Options {
            unsigned_payload,
            ..sized(4)
        };
        let r = bench(&url, "s3-put", options, 8).await.unwrap();
        assert_eq!((r.ok, r.errors, r.items), (8, 0, 128), "{unsigned_payload}");
    }
    let r = bench(&url, "s3-list", sized(1000), 3).await.unwrap();
    assert_eq!(
        (r.ok, r.errors, r.items, r.item_unit),
        (3, 0, 3000, Some("keys"))
    );

    let short = start(fake_s3(999)).await;
    let r = bench(&short, "s3-list", sized(1000), 3).await.unwrap();
    assert_eq!((r.ok, r.failed_checks), (0, 3));
}

/// A fake of every service the `mixed` round calls; every third GET of an object is one byte
/// short.
fn fake_everything() -> Handler {
    let gets = Arc::new(AtomicU64::new(0));
    Arc::new(move |seen| {
        let auth = seen
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let session = seen.headers.contains_key("x-amz-security-token");
        let service = ["sts", "iam", "sqs", "s3"]
            .into_iter()
            .find(|s| auth.contains(&format!("/us-east-1/{s}/aws4_request")));
        let action = seen
            .body
            .strip_prefix("Action=")
            .and_then(|b| b.split('&').next())
            .unwrap_or("");
        let target = seen
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        match (service, action, target, &seen.method) {
            (Some("sts"), "GetCallerIdentity", _, _) => {
                let arn = if session {
                    "arn:aws:sts::123456789012:assumed-role/r/soak"
                } else {
                    "arn:aws:iam::123456789012:root"
                };
                (200, format!("<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>{arn}</Arn><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"))
            }
            (Some("sts"), "AssumeRole", _, _) if !session => (200, "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAFAKEFAKEFAKE1234</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>".into()),
            (Some("iam"), "CreateRole", _, _) => (200, "<CreateRoleResponse><CreateRoleResult><Role><Arn>arn:aws:iam::123456789012:role/r</Arn></Role></CreateRoleResult></CreateRoleResponse>".into()),
            (Some("iam"), "CreateAccessKey", _, _) => (200, "<CreateAccessKeyResponse><CreateAccessKeyResult><AccessKey><AccessKeyId>AKIAFAKEFAKEFAKE1234</AccessKeyId><SecretAccessKey>s</SecretAccessKey></AccessKey></CreateAccessKeyResult></CreateAccessKeyResponse>".into()),
            (Some("iam"), "CreateUser" | "PutUserPolicy" | "PutRolePolicy", _, _) if !session => (200, "<ok/>".into()),
            (Some("iam"), "GetUser", _, _) if session => (200, "<GetUserResponse/>".into()),
            (Some("sqs"), _, "AmazonSQS.CreateQueue", _) => (200, r#"{"QueueUrl":"http://fake/123456789012/q"}"#.into()),
            (Some("sqs"), _, "AmazonSQS.SendMessage" | "AmazonSQS.DeleteMessage", _) if session => (200, "{}".into()),
            (Some("sqs"), _, "AmazonSQS.ReceiveMessage", _) if session => (200, r#"{"Messages":[{"ReceiptHandle":"r1","Body":"a"}]}"#.into()),
            (Some("s3"), _, _, &http::Method::PUT) => (200, String::new()),
            (Some("s3"), _, _, &http::Method::DELETE) if session => (204, String::new()),
            (Some("s3"), _, _, &http::Method::GET) if session => {
                let short = gets.fetch_add(1, Ordering::Relaxed) % 3 == 2;
                (200, "x".repeat(if short { 15 } else { 16 }))
            }
            _ => (400, format!("unexpected {:?} {} {}", service, seen.method, seen.uri)),
        }
    })
}

#[tokio::test]
async fn mixed_rounds_count_every_call_and_errors_by_kind() {
    let url = start(fake_everything()).await;
    let options = Options {
        size: 16,
        ..Options::default()
    };
    // Six rounds of nine calls; the third and sixth end at their short GetObject.
    let r = bench(&url, "mixed", options, 6).await.unwrap();
    assert_eq!(
        (r.requests, r.ok, r.errors, r.failed_checks),
        (4 * 9 + 2 * 7, 4 * 9 + 2 * 6, 2, 2),
        "{r:?}"
    );
    assert_eq!(r.notes.get("error s3:GetObject"), Some(&2), "{r:?}");
    assert!(r
        .first_error
        .unwrap()
        .contains("GetObject returned 15 bytes"));
}
