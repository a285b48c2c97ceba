//! Shared set-up for the crate's integration tests: a real SQLite store in a temporary
//! directory, a clock the test moves, and helpers that drive both wire protocols.

#![allow(dead_code)] // each test binary uses a different subset of the helpers

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use serde_json::Value;
use tessera_core::{AccountId, Clock};
use tessera_protocol::QueryParams;
use tessera_sqs::{Protocol, Sqs, SqsCaller, SqsConfig, Wire};
use tessera_store::Store;

pub const ACCOUNT: &str = "123456789012";
pub const BASE: &str = "http://127.0.0.1:4566";

/// A clock that moves only when the test says so.
pub struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    pub fn advance(&self, secs: u64) {
        *self.0.lock() += Duration::from_secs(secs);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock()
    }
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub sqs: Sqs,
    pub clock: Arc<ManualClock>,
    config: SqsConfig,
}

impl Env {
    pub fn new() -> Env {
        Env::with_config(SqsConfig::new("us-east-1"))
    }

    pub fn with_config(config: SqsConfig) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock(Mutex::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )));
        let sqs = open(&dir, &clock, &config);
        Env {
            dir,
            sqs,
            clock,
            config,
        }
    }

    /// Drops the service and its store and opens them again on the same directory.
    pub fn reopen(&mut self) {
        self.sqs = open(&self.dir, &self.clock, &self.config);
    }

    pub fn caller(&self) -> SqsCaller {
        SqsCaller {
            account: AccountId::parse(ACCOUNT).unwrap(),
            sender_id: "AIDAEXAMPLEUSER".into(),
            base_url: BASE.into(),
        }
    }

    /// A JSON-protocol call: Ok(body) or Err((__type, x-amzn-query-error, status)).
    pub async fn json(&self, action: &str, body: Value) -> Result<Value, (String, String, u16)> {
        let bytes = body.to_string().into_bytes();
        let account = AccountId::parse(ACCOUNT).unwrap();
        let outcome = match self.sqs.parse(
            Wire::Json {
                action,
                body: &bytes,
            },
            "/",
            &account,
        ) {
            Ok(req) => self.sqs.call(&self.caller(), req).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(resp) => {
                let (ct, body) = resp.encode("req-1");
                assert_eq!(ct, "application/x-amz-json-1.0");
                Ok(serde_json::from_slice(&body).unwrap())
            }
            Err(e) => {
                let (status, _, headers, body) = e.encode(Protocol::Json, "req-1");
                let v: Value = serde_json::from_slice(&body).unwrap();
                let header = headers
                    .iter()
                    .find(|(k, _)| *k == "x-amzn-query-error")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                Err((v["__type"].as_str().unwrap().to_owned(), header, status))
            }
        }
    }

    /// A Query-protocol call: Ok(xml) or Err(xml) of the ErrorResponse.
    pub async fn query(&self, form: &str) -> Result<String, String> {
        self.query_at(form, "/").await
    }

    pub async fn query_at(&self, form: &str, path: &str) -> Result<String, String> {
        let params = QueryParams::parse(form.as_bytes()).unwrap();
        let account = AccountId::parse(ACCOUNT).unwrap();
        let outcome = match self.sqs.parse(Wire::Query(&params), path, &account) {
            Ok(req) => self.sqs.call(&self.caller(), req).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(resp) => {
                let (ct, body) = resp.encode("req-1");
                assert_eq!(ct, "text/xml");
                Ok(String::from_utf8(body).unwrap())
            }
            Err(e) => {
                let (_, ct, _, body) = e.encode(Protocol::Query, "req-1");
                assert_eq!(ct, "text/xml");
                Err(String::from_utf8(body).unwrap())
            }
        }
    }

    pub async fn create(&self, name: &str, attributes: Value) -> String {
        let v = self
            .json(
                "CreateQueue",
                serde_json::json!({ "QueueName": name, "Attributes": attributes }),
            )
            .await
            .unwrap();
        v["QueueUrl"].as_str().unwrap().to_owned()
    }

    pub async fn receive(&self, url: &str, extra: Value) -> Vec<Value> {
        let mut body = serde_json::json!({ "QueueUrl": url, "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"] });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let v = self.json("ReceiveMessage", body).await.unwrap();
        v["Messages"].as_array().cloned().unwrap_or_default()
    }

    pub async fn attribute(&self, url: &str, name: &str) -> String {
        let v = self
            .json(
                "GetQueueAttributes",
                serde_json::json!({ "QueueUrl": url, "AttributeNames": [name] }),
            )
            .await
            .unwrap();
        v["Attributes"][name].as_str().unwrap_or("").to_owned()
    }
}

fn open(dir: &tempfile::TempDir, clock: &Arc<ManualClock>, config: &SqsConfig) -> Sqs {
    let store = Store::open_sqlite(dir.path()).unwrap();
    Sqs::with_config(store, Arc::clone(clock) as Arc<dyn Clock>, config.clone())
}

/// The text of the first `<tag>` element.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_owned())
}

pub fn form_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
