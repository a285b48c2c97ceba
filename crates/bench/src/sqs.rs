//! SQS as the workloads speak it: the few actions they call, encoded in either of SQS's protocols
//! (Query: a form POST with `Action=…&Version=2012-11-05`; JSON 1.0: `X-Amz-Target:
//! AmazonSQS.<Action>`), and their responses read back far enough to judge them.
//!
//! Pure: no I/O and no signing (the workloads sign what this builds). A response that cannot be
//! read is a [`Malformed`] error, which the workloads count; it never panics on any input.

use crate::query::{form_body, has_element, xml_elements, xml_text, FORM_CONTENT_TYPE};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

pub const VERSION: &str = "2012-11-05";
pub const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// SQS's own limit on entries in one batch call.
pub const MAX_BATCH: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Query,
    Json,
}

impl std::str::FromStr for Protocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "query" => Ok(Self::Query),
            "json" => Ok(Self::Json),
            _ => Err(format!("unknown SQS protocol {s:?}: use query or json")),
        }
    }
}

/// The calls the workloads make. Batch entries get the ids `0`, `1`, … in order.
#[derive(Debug)]
pub enum Call<'a> {
    CreateQueue {
        name: &'a str,
    },
    GetQueueDepth {
        queue_url: &'a str,
    },
    SendMessage {
        queue_url: &'a str,
        body: &'a str,
    },
    SendMessageBatch {
        queue_url: &'a str,
        bodies: &'a [&'a str],
    },
    ReceiveMessage {
        queue_url: &'a str,
        max: u8,
        wait_seconds: u8,
    },
    DeleteMessage {
        queue_url: &'a str,
        receipt_handle: &'a str,
    },
    DeleteMessageBatch {
        queue_url: &'a str,
        receipt_handles: &'a [&'a str],
    },
}

/// A call ready to sign and send as `POST /`.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub body: Bytes,
    pub content_type: &'static str,
    /// `X-Amz-Target` (JSON protocol only).
    pub target: Option<&'static str>,
}

impl Call<'_> {
    pub fn action(&self) -> &'static str {
        match self {
            Self::CreateQueue { .. } => "CreateQueue",
            Self::GetQueueDepth { .. } => "GetQueueAttributes",
            Self::SendMessage { .. } => "SendMessage",
            Self::SendMessageBatch { .. } => "SendMessageBatch",
            Self::ReceiveMessage { .. } => "ReceiveMessage",
            Self::DeleteMessage { .. } => "DeleteMessage",
            Self::DeleteMessageBatch { .. } => "DeleteMessageBatch",
        }
    }

    pub fn encode(&self, protocol: Protocol) -> Encoded {
        match protocol {
            Protocol::Query => Encoded {
                body: Bytes::from(self.query_body()),
                content_type: FORM_CONTENT_TYPE,
                target: None,
            },
            Protocol::Json => Encoded {
                body: Bytes::from(self.json_body().to_string()),
                content_type: JSON_CONTENT_TYPE,
                target: Some(self.json_target()),
            },
        }
    }

    fn json_target(&self) -> &'static str {
        match self {
            Self::CreateQueue { .. } => "AmazonSQS.CreateQueue",
            Self::GetQueueDepth { .. } => "AmazonSQS.GetQueueAttributes",
            Self::SendMessage { .. } => "AmazonSQS.SendMessage",
            Self::SendMessageBatch { .. } => "AmazonSQS.SendMessageBatch",
            Self::ReceiveMessage { .. } => "AmazonSQS.ReceiveMessage",
            Self::DeleteMessage { .. } => "AmazonSQS.DeleteMessage",
            Self::DeleteMessageBatch { .. } => "AmazonSQS.DeleteMessageBatch",
        }
    }

    fn query_body(&self) -> String {
        let mut owned: Vec<(String, String)> = Vec::new();
        let mut params: Vec<(&str, &str)> = vec![("Action", self.action())];
        match self {
            Self::CreateQueue { name } => params.push(("QueueName", name)),
            Self::GetQueueDepth { queue_url } => {
                params.push(("QueueUrl", queue_url));
                params.push(("AttributeName.1", "ApproximateNumberOfMessages"));
            }
            Self::SendMessage { queue_url, body } => {
                params.push(("QueueUrl", queue_url));
                params.push(("MessageBody", body));
            }
            Self::SendMessageBatch { queue_url, bodies } => {
                params.push(("QueueUrl", queue_url));
                for (i, body) in bodies.iter().enumerate() {
                    let n = i + 1;
                    owned.push((
                        format!("SendMessageBatchRequestEntry.{n}.Id"),
                        i.to_string(),
                    ));
                    owned.push((
                        format!("SendMessageBatchRequestEntry.{n}.MessageBody"),
                        (*body).to_owned(),
                    ));
                }
            }
            Self::ReceiveMessage {
                queue_url,
                max,
                wait_seconds,
            } => {
                params.push(("QueueUrl", queue_url));
                owned.push(("MaxNumberOfMessages".into(), max.to_string()));
                owned.push(("WaitTimeSeconds".into(), wait_seconds.to_string()));
            }
            Self::DeleteMessage {
                queue_url,
                receipt_handle,
            } => {
                params.push(("QueueUrl", queue_url));
                params.push(("ReceiptHandle", receipt_handle));
            }
            Self::DeleteMessageBatch {
                queue_url,
                receipt_handles,
            } => {
                params.push(("QueueUrl", queue_url));
                for (i, handle) in receipt_handles.iter().enumerate() {
                    let n = i + 1;
                    owned.push((
                        format!("DeleteMessageBatchRequestEntry.{n}.Id"),
                        i.to_string(),
                    ));
                    owned.push((
                        format!("DeleteMessageBatchRequestEntry.{n}.ReceiptHandle"),
                        (*handle).to_owned(),
                    ));
                }
            }
        }
        params.extend(owned.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        params.push(("Version", VERSION));
        form_body(&params)
    }

    fn json_body(&self) -> Value {
        match self {
            Self::CreateQueue { name } => json!({ "QueueName": name }),
            Self::GetQueueDepth { queue_url } => json!({
                "QueueUrl": queue_url,
                "AttributeNames": ["ApproximateNumberOfMessages"],
            }),
            Self::SendMessage { queue_url, body } => {
                json!({ "QueueUrl": queue_url, "MessageBody": body })
            }
            Self::SendMessageBatch { queue_url, bodies } => {
                let entries: Vec<Value> = bodies
                    .iter()
                    .enumerate()
                    .map(|(i, b)| json!({ "Id": i.to_string(), "MessageBody": b }))
                    .collect();
                json!({ "QueueUrl": queue_url, "Entries": entries })
            }
            Self::ReceiveMessage {
                queue_url,
                max,
                wait_seconds,
            } => json!({
                "QueueUrl": queue_url,
                "MaxNumberOfMessages": max,
                "WaitTimeSeconds": wait_seconds,
            }),
            Self::DeleteMessage {
                queue_url,
                receipt_handle,
            } => json!({ "QueueUrl": queue_url, "ReceiptHandle": receipt_handle }),
            Self::DeleteMessageBatch {
                queue_url,
                receipt_handles,
            } => {
                let entries: Vec<Value> = receipt_handles
                    .iter()
                    .enumerate()
                    .map(|(i, h)| json!({ "Id": i.to_string(), "ReceiptHandle": h }))
                    .collect();
                json!({ "QueueUrl": queue_url, "Entries": entries })
            }
        }
    }
}

/// Why a 2xx response could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("{action} response is not valid JSON: {detail}")]
    Json {
        action: &'static str,
        detail: String,
    },
    #[error("{action} response lacks {what}")]
    Missing {
        action: &'static str,
        what: &'static str,
    },
    #[error("{action}: {failed} of {sent} entries failed")]
    EntriesFailed {
        action: &'static str,
        failed: usize,
        sent: usize,
    },
    #[error("{action}: {answered} entries answered for {sent} sent")]
    EntryCount {
        action: &'static str,
        answered: usize,
        sent: usize,
    },
}

/// One received message: what a delete needs and what the workload checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub receipt_handle: String,
    pub body: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JsonQueueUrl {
    queue_url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JsonReceive {
    #[serde(default)]
    messages: Vec<JsonMessage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JsonMessage {
    receipt_handle: String,
    body: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JsonBatch {
    #[serde(default)]
    successful: Vec<Value>,
    #[serde(default)]
    failed: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JsonAttributes {
    #[serde(default)]
    attributes: std::collections::HashMap<String, String>,
}

fn json<'de, T: Deserialize<'de>>(action: &'static str, body: &'de [u8]) -> Result<T, Malformed> {
    serde_json::from_slice(body).map_err(|e| Malformed::Json {
        action,
        detail: e.to_string(),
    })
}

fn utf8<'b>(action: &'static str, body: &'b [u8]) -> Result<&'b str, Malformed> {
    std::str::from_utf8(body).map_err(|_| Malformed::Missing {
        action,
        what: "UTF-8 text",
    })
}

/// The queue URL in a `CreateQueue` response.
pub fn queue_url(protocol: Protocol, body: &[u8]) -> Result<String, Malformed> {
    let action = "CreateQueue";
    match protocol {
        Protocol::Json => Ok(json::<JsonQueueUrl>(action, body)?.queue_url),
        Protocol::Query => xml_text(utf8(action, body)?, "QueueUrl").ok_or(Malformed::Missing {
            action,
            what: "<QueueUrl>",
        }),
    }
}

/// `ApproximateNumberOfMessages` from a `GetQueueAttributes` response.
pub fn queue_depth(protocol: Protocol, body: &[u8]) -> Result<u64, Malformed> {
    let action = "GetQueueAttributes";
    let missing = Malformed::Missing {
        action,
        what: "ApproximateNumberOfMessages",
    };
    let value = match protocol {
        Protocol::Json => json::<JsonAttributes>(action, body)?
            .attributes
            .remove("ApproximateNumberOfMessages"),
        Protocol::Query => xml_elements(utf8(action, body)?, "Attribute")
            .find(|a| xml_text(a, "Name").as_deref() == Some("ApproximateNumberOfMessages"))
            .and_then(|a| xml_text(a, "Value")),
    };
    value.and_then(|v| v.parse().ok()).ok_or(missing)
}

/// The messages of a `ReceiveMessage` response (none: an empty receive). A response without its
/// result element, or a message without a receipt handle or body, is malformed.
pub fn received(protocol: Protocol, body: &[u8]) -> Result<Vec<Received>, Malformed> {
    let action = "ReceiveMessage";
    match protocol {
        Protocol::Json => Ok(json::<JsonReceive>(action, body)?
            .messages
            .into_iter()
            .map(|m| Received {
                receipt_handle: m.receipt_handle,
                body: m.body,
            })
            .collect()),
        Protocol::Query => {
            let xml = utf8(action, body)?;
            if !has_element(xml, "ReceiveMessageResult") {
                return Err(Malformed::Missing {
                    action,
                    what: "<ReceiveMessageResult>",
                });
            }
            xml_elements(xml, "Message")
                .map(|m| {
                    Ok(Received {
                        receipt_handle: xml_text(m, "ReceiptHandle").ok_or(Malformed::Missing {
                            action,
                            what: "<ReceiptHandle> in a <Message>",
                        })?,
                        body: xml_text(m, "Body").ok_or(Malformed::Missing {
                            action,
                            what: "<Body> in a <Message>",
                        })?,
                    })
                })
                .collect()
        }
    }
}

/// Checks a `SendMessageBatch` or `DeleteMessageBatch` response for `sent` entries: every entry
/// must be answered, and none may have failed (a batch call answers 200 even then).
pub fn batch_outcome(
    protocol: Protocol,
    action: &'static str,
    body: &[u8],
    sent: usize,
) -> Result<(), Malformed> {
    let (ok, failed) = match protocol {
        Protocol::Json => {
            let b = json::<JsonBatch>(action, body)?;
            (b.successful.len(), b.failed.len())
        }
        Protocol::Query => {
            let xml = utf8(action, body)?;
            let (result, entry) = if action == "SendMessageBatch" {
                ("SendMessageBatchResult", "SendMessageBatchResultEntry")
            } else {
                ("DeleteMessageBatchResult", "DeleteMessageBatchResultEntry")
            };
            if !has_element(xml, result) {
                return Err(Malformed::Missing {
                    action,
                    what: "its result element",
                });
            }
            (
                xml_elements(xml, entry).count(),
                xml_elements(xml, "BatchResultErrorEntry").count(),
            )
        }
    };
    if failed > 0 {
        return Err(Malformed::EntriesFailed {
            action,
            failed,
            sent,
        });
    }
    if ok != sent {
        return Err(Malformed::EntryCount {
            action,
            answered: ok,
            sent,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(e: &Encoded) -> &str {
        std::str::from_utf8(&e.body).unwrap_or("")
    }

    #[test]
    fn query_bodies_carry_action_entries_and_version() {
        let url = "http://localhost:4566/123456789012/q";
        let cases: [(Call, &str); 4] = [
            (
                Call::SendMessage {
                    queue_url: url,
                    body: "a b&c",
                },
                "Action=SendMessage&QueueUrl=http%3A%2F%2Flocalhost%3A4566%2F123456789012%2Fq&MessageBody=a%20b%26c&Version=2012-11-05",
            ),
            (
                Call::SendMessageBatch {
                    queue_url: "u",
                    bodies: &["x", "y"],
                },
                "Action=SendMessageBatch&QueueUrl=u&SendMessageBatchRequestEntry.1.Id=0&SendMessageBatchRequestEntry.1.MessageBody=x&SendMessageBatchRequestEntry.2.Id=1&SendMessageBatchRequestEntry.2.MessageBody=y&Version=2012-11-05",
            ),
            (
                Call::ReceiveMessage {
                    queue_url: "u",
                    max: 10,
                    wait_seconds: 20,
                },
                "Action=ReceiveMessage&QueueUrl=u&MaxNumberOfMessages=10&WaitTimeSeconds=20&Version=2012-11-05",
            ),
            (
                Call::DeleteMessageBatch {
                    queue_url: "u",
                    receipt_handles: &["h+1", "h/2"],
                },
                "Action=DeleteMessageBatch&QueueUrl=u&DeleteMessageBatchRequestEntry.1.Id=0&DeleteMessageBatchRequestEntry.1.ReceiptHandle=h%2B1&DeleteMessageBatchRequestEntry.2.Id=1&DeleteMessageBatchRequestEntry.2.ReceiptHandle=h%2F2&Version=2012-11-05",
            ),
        ];
        for (call, want) in cases {
            let e = call.encode(Protocol::Query);
            assert_eq!(text(&e), want, "{}", call.action());
            assert_eq!(e.content_type, FORM_CONTENT_TYPE);
            assert_eq!(e.target, None);
        }
    }

    #[test]
    fn json_bodies_name_the_action_in_the_target_header() {
        let cases: [(Call, &str, Value); 3] = [
            (
                Call::SendMessage {
                    queue_url: "u",
                    body: "m\"1",
                },
                "AmazonSQS.SendMessage",
                json!({"QueueUrl": "u", "MessageBody": "m\"1"}),
            ),
            (
                Call::SendMessageBatch {
                    queue_url: "u",
                    bodies: &["a", "b"],
                },
                "AmazonSQS.SendMessageBatch",
                json!({"QueueUrl": "u", "Entries": [{"Id": "0", "MessageBody": "a"}, {"Id": "1", "MessageBody": "b"}]}),
            ),
            (
                Call::DeleteMessage {
                    queue_url: "u",
                    receipt_handle: "h",
                },
                "AmazonSQS.DeleteMessage",
                json!({"QueueUrl": "u", "ReceiptHandle": "h"}),
            ),
        ];
        for (call, target, want) in cases {
            let e = call.encode(Protocol::Json);
            assert_eq!(e.target, Some(target));
            assert_eq!(e.content_type, JSON_CONTENT_TYPE);
            let got: Value = serde_json::from_slice(&e.body).unwrap_or(Value::Null);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn receive_responses_in_both_protocols() {
        let xml = br#"<?xml version="1.0"?><ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><ReceiveMessageResult><Message><MessageId>1</MessageId><ReceiptHandle>r1&amp;x</ReceiptHandle><MD5OfBody>m</MD5OfBody><Body>hello &lt;1&gt;</Body></Message><Message><MessageId>2</MessageId><ReceiptHandle>r2</ReceiptHandle><Body></Body></Message></ReceiveMessageResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></ReceiveMessageResponse>"#;
        let got = received(Protocol::Query, xml).unwrap_or_default();
        assert_eq!(
            got,
            vec![
                Received {
                    receipt_handle: "r1&x".into(),
                    body: "hello <1>".into()
                },
                Received {
                    receipt_handle: "r2".into(),
                    body: String::new()
                },
            ]
        );
        let json =
            br#"{"Messages":[{"MessageId":"1","ReceiptHandle":"r1","MD5OfBody":"m","Body":"b"}]}"#;
        assert_eq!(
            received(Protocol::Json, json).unwrap_or_default(),
            vec![Received {
                receipt_handle: "r1".into(),
                body: "b".into()
            }]
        );
    }

    #[test]
    fn empty_and_malformed_receives() {
        let empty_xml = b"<ReceiveMessageResponse><ReceiveMessageResult/><ResponseMetadata/></ReceiveMessageResponse>";
        assert_eq!(received(Protocol::Query, empty_xml), Ok(vec![]));
        assert_eq!(received(Protocol::Json, b"{}"), Ok(vec![]));
        let bad: [(Protocol, &[u8]); 6] = [
            (Protocol::Query, b"ok\n"),
            (
                Protocol::Query,
                b"<ReceiveMessageResult><Message><Body>b</Body></Message></ReceiveMessageResult>",
            ),
            (Protocol::Query, b"\xff\xfe"),
            (Protocol::Json, b"ok\n"),
            (Protocol::Json, br#"{"Messages":[{"Body":"b"}]}"#),
            (Protocol::Json, br#"{"Messages":"#),
        ];
        for (protocol, body) in bad {
            assert!(
                received(protocol, body).is_err(),
                "{protocol:?} {}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn batch_results_count_failed_and_missing_entries() {
        let ok_xml = b"<SendMessageBatchResponse><SendMessageBatchResult><SendMessageBatchResultEntry><Id>0</Id></SendMessageBatchResultEntry><SendMessageBatchResultEntry><Id>1</Id></SendMessageBatchResultEntry></SendMessageBatchResult></SendMessageBatchResponse>";
        let failed_xml = b"<DeleteMessageBatchResponse><DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>0</Id></DeleteMessageBatchResultEntry><BatchResultErrorEntry><Id>1</Id><Code>ReceiptHandleIsInvalid</Code></BatchResultErrorEntry></DeleteMessageBatchResult></DeleteMessageBatchResponse>";
        type Case<'a> = (Protocol, &'a str, &'a [u8], usize, Option<Malformed>);
        let cases: [Case; 6] = [
            (Protocol::Query, "SendMessageBatch", ok_xml, 2, None),
            (
                Protocol::Query,
                "SendMessageBatch",
                ok_xml,
                3,
                Some(Malformed::EntryCount { action: "SendMessageBatch", answered: 2, sent: 3 }),
            ),
            (
                Protocol::Query,
                "DeleteMessageBatch",
                failed_xml,
                2,
                Some(Malformed::EntriesFailed { action: "DeleteMessageBatch", failed: 1, sent: 2 }),
            ),
            (
                Protocol::Query,
                "DeleteMessageBatch",
                ok_xml,
                2,
                Some(Malformed::Missing { action: "DeleteMessageBatch", what: "its result element" }),
            ),
            (
                Protocol::Json,
                "SendMessageBatch",
                br#"{"Successful":[{"Id":"0"},{"Id":"1"}],"Failed":[]}"#,
                2,
                None,
            ),
            (
                Protocol::Json,
                "DeleteMessageBatch",
                br#"{"Successful":[{"Id":"0"}],"Failed":[{"Id":"1","Code":"X","SenderFault":true}]}"#,
                2,
                Some(Malformed::EntriesFailed { action: "DeleteMessageBatch", failed: 1, sent: 2 }),
            ),
        ];
        for (protocol, action, body, sent, want) in cases {
            assert_eq!(
                batch_outcome(protocol, action, body, sent).err(),
                want,
                "{protocol:?} {action}"
            );
        }
    }

    #[test]
    fn queue_url_and_depth() {
        let xml = b"<CreateQueueResponse><CreateQueueResult><QueueUrl>http://h:1/123456789012/q</QueueUrl></CreateQueueResult></CreateQueueResponse>";
        assert_eq!(
            queue_url(Protocol::Query, xml).ok().as_deref(),
            Some("http://h:1/123456789012/q")
        );
        assert_eq!(
            queue_url(Protocol::Json, br#"{"QueueUrl":"http://h:1/1/q"}"#)
                .ok()
                .as_deref(),
            Some("http://h:1/1/q")
        );
        assert!(queue_url(Protocol::Json, b"{}").is_err());
        let depth_xml = b"<GetQueueAttributesResponse><GetQueueAttributesResult><Attribute><Name>ApproximateNumberOfMessages</Name><Value>42</Value></Attribute></GetQueueAttributesResult></GetQueueAttributesResponse>";
        assert_eq!(queue_depth(Protocol::Query, depth_xml), Ok(42));
        assert_eq!(
            queue_depth(
                Protocol::Json,
                br#"{"Attributes":{"ApproximateNumberOfMessages":"7"}}"#
            ),
            Ok(7)
        );
        assert!(queue_depth(Protocol::Json, br#"{"Attributes":{}}"#).is_err());
    }
}
