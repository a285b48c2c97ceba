//! Shared by the SQS targets (included with `#[path]`): one `Sqs` over a SQLite store opened once
//! in a temporary directory, and the invariants every decoded request or refusal must hold.
//! `Sqs::parse` never reads the store; the store exists only because `Sqs` needs one.

use std::sync::{Arc, OnceLock};

use tessera_core::{AccountId, SystemClock};
use tessera_sqs::{Action, Protocol, QueueName, Sqs, SqsError, SqsRequest};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// The service under test. The directory is left for the OS to clean (`TMPDIR`).
pub fn sqs() -> &'static Sqs {
    static SQS: OnceLock<Sqs> = OnceLock::new();
    SQS.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("tessera-fuzz-sqs-")
            .tempdir()
            .map(tempfile::TempDir::keep)
            .unwrap_or_else(|e| panic!("temporary directory: {e}"));
        let store = tessera_store::Store::open_sqlite(&dir)
            .unwrap_or_else(|e| panic!("open store in {}: {e}", dir.display()));
        Sqs::new(store, Arc::new(SystemClock), REGION)
    })
}

pub fn account() -> AccountId {
    AccountId::parse(ACCOUNT).unwrap_or_else(|_| panic!("{ACCOUNT} is an account id"))
}

/// What must hold for any outcome of `Sqs::parse`.
pub fn check(result: &Result<SqsRequest, SqsError>, protocol: Protocol) {
    match result {
        Ok(req) => {
            assert_eq!(req.protocol(), protocol, "answered in another protocol");
            assert_eq!(Action::from_name(req.action().name()), Some(req.action()));
            assert!(req.action().iam_action().starts_with("sqs:"));
            // GetQueueUrl only looks a name up (any unknown name is QueueDoesNotExist, as in
            // AWS); every other queue comes from a checked name, URL, path or ARN.
            if let Some(q) = req.queue().filter(|_| req.action() != Action::GetQueueUrl) {
                check_queue(q);
            }
        }
        Err(e) => {
            // Decoding reads no store: every refusal is the caller's fault, with an AWS code.
            let aws = e.to_aws(protocol);
            assert!(
                (400..500).contains(&aws.status),
                "decoding failed with status {}: {e:?}",
                aws.status
            );
            assert!(e.sender_fault());
            assert!(!aws.code.is_empty() && aws.code.bytes().all(|b| b.is_ascii_graphic()));
            let (status, _, _, body) = e.encode(protocol, "fuzz-request-id");
            assert_eq!(status, aws.status);
            match protocol {
                Protocol::Json => {
                    let v: serde_json::Value = serde_json::from_slice(&body)
                        .unwrap_or_else(|err| panic!("error body is not JSON ({err}): {body:?}"));
                    assert!(v.get("__type").is_some(), "no __type in {v}");
                }
                Protocol::Query => {
                    let text = String::from_utf8(body).unwrap_or_else(|_| panic!("not UTF-8"));
                    assert!(
                        text.contains(&format!("<Code>{}</Code>", aws.code)),
                        "{text}"
                    );
                }
            }
        }
    }
}

/// A queue a request names is a valid name (the URL and ARN readers check it) and survives its
/// URL and ARN forms unchanged.
fn check_queue(q: &QueueName) {
    let url = q.url("http://127.0.0.1:4566");
    let back = QueueName::from_url(&url).unwrap_or_else(|e| panic!("{url}: {e:?}"));
    assert_eq!(&back, q);
    let arn = q.arn(REGION);
    assert_eq!(QueueName::from_arn(&arn).as_ref(), Some(q), "{arn}");
}
