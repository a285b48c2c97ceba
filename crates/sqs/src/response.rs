//! Encoding: a result becomes the awsQuery XML or awsJson1_0 body AWS would send. It owns element
//! and member names of every result; it must never compute results.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use tessera_protocol::XmlWriter;

use crate::error::XMLNS;
use crate::message::AttributeValue;
use crate::request::Action;
use crate::wire::Protocol;
use crate::SqsError;

/// The result of one send (single or batch entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    pub message_id: String,
    pub md5_body: String,
    pub md5_attributes: Option<String>,
    pub md5_system: Option<String>,
    pub sequence_number: Option<String>,
}

/// One received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub message_id: String,
    pub receipt_handle: String,
    pub md5_body: String,
    pub body: String,
    pub attributes: Vec<(&'static str, String)>,
    pub md5_attributes: Option<String>,
    pub message_attributes: BTreeMap<String, AttributeValue>,
}

/// A failed batch entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchFailure {
    pub id: String,
    pub error: SqsError,
}

/// One message move task as ListMessageMoveTasks shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskView {
    pub handle: Option<String>,
    pub status: String,
    pub source_arn: String,
    pub destination_arn: Option<String>,
    pub rate: Option<u32>,
    pub moved: u64,
    pub to_move: Option<u64>,
    pub failure: Option<String>,
    pub started_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body {
    Empty,
    QueueUrl(String),
    QueueUrls {
        urls: Vec<String>,
        next: Option<String>,
    },
    Attributes(Vec<(&'static str, String)>),
    Tags(BTreeMap<String, String>),
    Send(SendResult),
    SendBatch {
        ok: Vec<(String, SendResult)>,
        failed: Vec<BatchFailure>,
    },
    Receive(Vec<ReceivedMessage>),
    Batch {
        ok: Vec<String>,
        failed: Vec<BatchFailure>,
    },
    TaskHandle(String),
    Cancelled(u64),
    Tasks(Vec<TaskView>),
}

/// A successful answer, ready to encode in the request's protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsResponse {
    pub(crate) protocol: Protocol,
    pub(crate) action: Action,
    pub(crate) body: Body,
}

impl SqsResponse {
    /// (content type, body).
    pub fn encode(&self, request_id: &str) -> (&'static str, Vec<u8>) {
        match self.protocol {
            Protocol::Query => ("text/xml", self.xml(request_id).into_bytes()),
            Protocol::Json => ("application/x-amz-json-1.0", self.json().into_bytes()),
        }
    }

    /// The received messages (for callers and tests that inspect results directly).
    pub fn messages(&self) -> &[ReceivedMessage] {
        match &self.body {
            Body::Receive(m) => m,
            _ => &[],
        }
    }

    fn xml(&self, request_id: &str) -> String {
        let name = self.action.name();
        let mut w = XmlWriter::with_declaration();
        w.open_ns(&format!("{name}Response"), XMLNS);
        let result = format!("{name}Result");
        match &self.body {
            Body::Empty => {}
            body => {
                w.open(&result);
                xml_body(&mut w, self.action, body);
                w.close(&result);
            }
        }
        w.open("ResponseMetadata");
        w.leaf("RequestId", request_id);
        w.close("ResponseMetadata");
        w.close(&format!("{name}Response"));
        w.finish()
    }

    fn json(&self) -> String {
        let v = match &self.body {
            Body::Empty => json!({}),
            Body::QueueUrl(url) => json!({ "QueueUrl": url }),
            Body::QueueUrls { urls, next } => {
                let member = if self.action == Action::ListDeadLetterSourceQueues {
                    "queueUrls"
                } else {
                    "QueueUrls"
                };
                let mut m = Map::new();
                if !urls.is_empty() || self.action == Action::ListDeadLetterSourceQueues {
                    m.insert(member.into(), json!(urls));
                }
                if let Some(n) = next {
                    m.insert("NextToken".into(), json!(n));
                }
                Value::Object(m)
            }
            Body::Attributes(attrs) => {
                let map: Map<String, Value> = attrs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), json!(v)))
                    .collect();
                json!({ "Attributes": map })
            }
            Body::Tags(tags) => {
                if tags.is_empty() {
                    json!({})
                } else {
                    json!({ "Tags": tags })
                }
            }
            Body::Send(r) => send_json(r, None),
            Body::SendBatch { ok, failed } => json!({
                "Successful": ok.iter().map(|(id, r)| send_json(r, Some(id))).collect::<Vec<_>>(),
                "Failed": failed.iter().map(failure_json).collect::<Vec<_>>(),
            }),
            Body::Receive(msgs) => {
                if msgs.is_empty() {
                    json!({})
                } else {
                    json!({ "Messages": msgs.iter().map(message_json).collect::<Vec<_>>() })
                }
            }
            Body::Batch { ok, failed } => json!({
                "Successful": ok.iter().map(|id| json!({ "Id": id })).collect::<Vec<_>>(),
                "Failed": failed.iter().map(failure_json).collect::<Vec<_>>(),
            }),
            Body::TaskHandle(h) => json!({ "TaskHandle": h }),
            Body::Cancelled(n) => json!({ "ApproximateNumberOfMessagesMoved": n }),
            Body::Tasks(tasks) => json!({
                "Results": tasks.iter().map(task_json).collect::<Vec<_>>()
            }),
        };
        v.to_string()
    }
}

fn xml_body(w: &mut XmlWriter, action: Action, body: &Body) {
    match body {
        Body::Empty => {}
        Body::QueueUrl(url) => w.leaf("QueueUrl", url),
        Body::QueueUrls { urls, next } => {
            for u in urls {
                w.leaf("QueueUrl", u);
            }
            w.leaf_opt("NextToken", next.as_deref());
        }
        Body::Attributes(attrs) => {
            for (k, v) in attrs {
                w.open("Attribute");
                w.leaf("Name", k);
                w.leaf("Value", v);
                w.close("Attribute");
            }
        }
        Body::Tags(tags) => {
            for (k, v) in tags {
                w.open("Tag");
                w.leaf("Key", k);
                w.leaf("Value", v);
                w.close("Tag");
            }
        }
        Body::Send(r) => send_xml(w, r, None),
        Body::SendBatch { ok, failed } => {
            for (id, r) in ok {
                w.open("SendMessageBatchResultEntry");
                send_xml(w, r, Some(id));
                w.close("SendMessageBatchResultEntry");
            }
            failures_xml(w, failed);
        }
        Body::Receive(msgs) => {
            for m in msgs {
                message_xml(w, m);
            }
        }
        Body::Batch { ok, failed } => {
            let tag = format!("{}ResultEntry", action.name());
            for id in ok {
                w.open(&tag);
                w.leaf("Id", id);
                w.close(&tag);
            }
            failures_xml(w, failed);
        }
        Body::TaskHandle(h) => w.leaf("TaskHandle", h),
        Body::Cancelled(n) => w.leaf("ApproximateNumberOfMessagesMoved", &n.to_string()),
        Body::Tasks(tasks) => {
            for t in tasks {
                w.open("ListMessageMoveTasksResultEntry");
                w.leaf_opt("TaskHandle", t.handle.as_deref());
                w.leaf("Status", &t.status);
                w.leaf("SourceArn", &t.source_arn);
                w.leaf_opt("DestinationArn", t.destination_arn.as_deref());
                if let Some(r) = t.rate {
                    w.leaf("MaxNumberOfMessagesPerSecond", &r.to_string());
                }
                w.leaf("ApproximateNumberOfMessagesMoved", &t.moved.to_string());
                if let Some(n) = t.to_move {
                    w.leaf("ApproximateNumberOfMessagesToMove", &n.to_string());
                }
                w.leaf_opt("FailureReason", t.failure.as_deref());
                w.leaf("StartedTimestamp", &t.started_ms.to_string());
                w.close("ListMessageMoveTasksResultEntry");
            }
        }
    }
}

fn send_xml(w: &mut XmlWriter, r: &SendResult, id: Option<&str>) {
    w.leaf_opt("Id", id);
    w.leaf("MessageId", &r.message_id);
    w.leaf("MD5OfMessageBody", &r.md5_body);
    w.leaf_opt("MD5OfMessageAttributes", r.md5_attributes.as_deref());
    w.leaf_opt("MD5OfMessageSystemAttributes", r.md5_system.as_deref());
    w.leaf_opt("SequenceNumber", r.sequence_number.as_deref());
}

fn send_json(r: &SendResult, id: Option<&str>) -> Value {
    let mut m = Map::new();
    if let Some(id) = id {
        m.insert("Id".into(), json!(id));
    }
    m.insert("MessageId".into(), json!(r.message_id));
    m.insert("MD5OfMessageBody".into(), json!(r.md5_body));
    if let Some(v) = &r.md5_attributes {
        m.insert("MD5OfMessageAttributes".into(), json!(v));
    }
    if let Some(v) = &r.md5_system {
        m.insert("MD5OfMessageSystemAttributes".into(), json!(v));
    }
    if let Some(v) = &r.sequence_number {
        m.insert("SequenceNumber".into(), json!(v));
    }
    Value::Object(m)
}

fn failures_xml(w: &mut XmlWriter, failed: &[BatchFailure]) {
    for f in failed {
        w.open("BatchResultErrorEntry");
        w.leaf("Id", &f.id);
        w.leaf(
            "SenderFault",
            if f.error.sender_fault() {
                "true"
            } else {
                "false"
            },
        );
        w.leaf("Code", f.error.query_code());
        w.leaf("Message", &f.error.to_string());
        w.close("BatchResultErrorEntry");
    }
}

fn failure_json(f: &BatchFailure) -> Value {
    json!({
        "Id": f.id,
        "SenderFault": f.error.sender_fault(),
        "Code": f.error.query_code(),
        "Message": f.error.to_string(),
    })
}

fn message_xml(w: &mut XmlWriter, m: &ReceivedMessage) {
    w.open("Message");
    w.leaf("MessageId", &m.message_id);
    w.leaf("ReceiptHandle", &m.receipt_handle);
    w.leaf("MD5OfBody", &m.md5_body);
    w.leaf("Body", &m.body);
    for (k, v) in &m.attributes {
        w.open("Attribute");
        w.leaf("Name", k);
        w.leaf("Value", v);
        w.close("Attribute");
    }
    w.leaf_opt("MD5OfMessageAttributes", m.md5_attributes.as_deref());
    for (name, v) in &m.message_attributes {
        w.open("MessageAttribute");
        w.leaf("Name", name);
        w.open("Value");
        match &v.binary_value {
            Some(b) => w.leaf("BinaryValue", &STANDARD.encode(b)),
            None => w.leaf("StringValue", v.string_value.as_deref().unwrap_or("")),
        }
        w.leaf("DataType", &v.data_type);
        w.close("Value");
        w.close("MessageAttribute");
    }
    w.close("Message");
}

fn message_json(m: &ReceivedMessage) -> Value {
    let mut o = Map::new();
    o.insert("MessageId".into(), json!(m.message_id));
    o.insert("ReceiptHandle".into(), json!(m.receipt_handle));
    o.insert("MD5OfBody".into(), json!(m.md5_body));
    o.insert("Body".into(), json!(m.body));
    if !m.attributes.is_empty() {
        let attrs: Map<String, Value> = m
            .attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        o.insert("Attributes".into(), Value::Object(attrs));
    }
    if let Some(md5) = &m.md5_attributes {
        o.insert("MD5OfMessageAttributes".into(), json!(md5));
    }
    if !m.message_attributes.is_empty() {
        let attrs: Map<String, Value> = m
            .message_attributes
            .iter()
            .map(|(k, v)| {
                let value = match &v.binary_value {
                    Some(b) => {
                        json!({ "BinaryValue": STANDARD.encode(b), "DataType": v.data_type })
                    }
                    None => json!({ "StringValue": v.string_value, "DataType": v.data_type }),
                };
                (k.clone(), value)
            })
            .collect();
        o.insert("MessageAttributes".into(), Value::Object(attrs));
    }
    Value::Object(o)
}

fn task_json(t: &TaskView) -> Value {
    let mut o = Map::new();
    if let Some(h) = &t.handle {
        o.insert("TaskHandle".into(), json!(h));
    }
    o.insert("Status".into(), json!(t.status));
    o.insert("SourceArn".into(), json!(t.source_arn));
    if let Some(d) = &t.destination_arn {
        o.insert("DestinationArn".into(), json!(d));
    }
    if let Some(r) = t.rate {
        o.insert("MaxNumberOfMessagesPerSecond".into(), json!(r));
    }
    o.insert("ApproximateNumberOfMessagesMoved".into(), json!(t.moved));
    if let Some(n) = t.to_move {
        o.insert("ApproximateNumberOfMessagesToMove".into(), json!(n));
    }
    if let Some(f) = &t.failure {
        o.insert("FailureReason".into(), json!(f));
    }
    o.insert("StartedTimestamp".into(), json!(t.started_ms));
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ReceivedMessage {
        ReceivedMessage {
            message_id: "m1".into(),
            receipt_handle: "rh".into(),
            md5_body: "5d41402abc4b2a76b9719d911017c592".into(),
            body: "hello".into(),
            attributes: vec![("SentTimestamp", "1".into())],
            md5_attributes: Some("x".into()),
            message_attributes: BTreeMap::from([(
                "b".to_owned(),
                AttributeValue {
                    data_type: "Binary".into(),
                    string_value: None,
                    binary_value: Some(vec![0, 1]),
                },
            )]),
        }
    }

    #[test]
    fn receive_in_both_protocols() {
        let r = SqsResponse {
            protocol: Protocol::Query,
            action: Action::ReceiveMessage,
            body: Body::Receive(vec![sample()]),
        };
        let (ct, body) = r.encode("req");
        assert_eq!(ct, "text/xml");
        let xml = String::from_utf8(body).unwrap();
        assert!(xml.contains("<ReceiveMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><ReceiveMessageResult><Message><MessageId>m1</MessageId>"));
        assert!(xml.contains("<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>"));
        assert!(xml.contains("<MessageAttribute><Name>b</Name><Value><BinaryValue>AAE=</BinaryValue><DataType>Binary</DataType></Value></MessageAttribute>"));
        assert!(xml.ends_with("<ResponseMetadata><RequestId>req</RequestId></ResponseMetadata></ReceiveMessageResponse>"));
        let j = SqsResponse {
            protocol: Protocol::Json,
            ..r
        };
        let (ct, body) = j.encode("req");
        assert_eq!(ct, "application/x-amz-json-1.0");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v["Messages"][0]["MessageAttributes"]["b"]["BinaryValue"],
            "AAE="
        );
        assert_eq!(v["Messages"][0]["Attributes"]["SentTimestamp"], "1");
    }

    #[test]
    fn empty_results_and_batch_failures() {
        let r = SqsResponse {
            protocol: Protocol::Query,
            action: Action::DeleteQueue,
            body: Body::Empty,
        };
        let xml = String::from_utf8(r.encode("r").1).unwrap();
        assert!(xml.contains("<DeleteQueueResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><ResponseMetadata>"));
        let b = SqsResponse {
            protocol: Protocol::Query,
            action: Action::DeleteMessageBatch,
            body: Body::Batch {
                ok: vec!["a".into()],
                failed: vec![BatchFailure {
                    id: "b".into(),
                    error: SqsError::ReceiptHandleIsInvalid("bad".into()),
                }],
            },
        };
        let xml = String::from_utf8(b.encode("r").1).unwrap();
        assert!(xml.contains("<DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry><BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>ReceiptHandleIsInvalid</Code><Message>bad</Message></BatchResultErrorEntry>"));
        let j = SqsResponse {
            protocol: Protocol::Json,
            ..b
        };
        let v: Value = serde_json::from_slice(&j.encode("r").1).unwrap();
        assert_eq!(v["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
        assert_eq!(v["Successful"][0]["Id"], "a");
    }
}
