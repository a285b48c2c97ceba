//! Queue attributes: their defaults, AWS's validation of every settable attribute, and their
//! rendering for GetQueueAttributes. It owns the attribute names and ranges; it must never read
//! the store (checks that need other queues, such as a dead-letter target's existence, are the
//! caller's).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::SqsError;

/// Every attribute name GetQueueAttributes knows, in the order AWS lists them.
pub const ALL_NAMES: [&str; 21] = [
    "Policy",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    "ApproximateNumberOfMessagesDelayed",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedriveAllowPolicy",
    "SqsManagedSseEnabled",
];

const FIFO_ONLY: [&str; 4] = [
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// `RedrivePolicy`, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedrivePolicy {
    pub dead_letter_target_arn: String,
    pub max_receive_count: u32,
}

impl RedrivePolicy {
    /// The JSON text AWS returns (maxReceiveCount as a number).
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "deadLetterTargetArn": self.dead_letter_target_arn,
            "maxReceiveCount": self.max_receive_count,
        })
        .to_string()
    }

    fn parse(text: &str) -> Result<RedrivePolicy, SqsError> {
        let bad = |reason: &str| SqsError::invalid_value(text, "RedrivePolicy", reason);
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|_| bad("Redrive policy is not a valid JSON map."))?;
        let obj = v
            .as_object()
            .ok_or_else(|| bad("Redrive policy is not a valid JSON map."))?;
        let arn = obj
            .get("deadLetterTargetArn")
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
            })?;
        let count = match obj.get("maxReceiveCount") {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.parse::<u64>().ok(),
            None => {
                return Err(bad(
                    "Redrive policy does not contain mandatory attribute: maxReceiveCount.",
                ))
            }
            _ => None,
        };
        let count = count
            .filter(|c| (1..=1000).contains(c))
            .and_then(|c| u32::try_from(c).ok())
            .ok_or_else(|| {
                bad("Invalid value for maxReceiveCount: must be an integer from 1 to 1000.")
            })?;
        if let Some(extra) = obj
            .keys()
            .find(|k| *k != "deadLetterTargetArn" && *k != "maxReceiveCount")
        {
            return Err(bad(&format!("Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount]; got {extra}.")));
        }
        Ok(RedrivePolicy {
            dead_letter_target_arn: arn.to_owned(),
            max_receive_count: count,
        })
    }
}

/// `RedriveAllowPolicy`, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedriveAllowPolicy {
    /// `allowAll`, `denyAll` or `byQueue`.
    pub permission: String,
    pub source_queue_arns: Vec<String>,
}

impl RedriveAllowPolicy {
    pub fn to_json(&self) -> String {
        let mut v = serde_json::json!({ "redrivePermission": self.permission });
        if self.permission == "byQueue" {
            v["sourceQueueArns"] = serde_json::json!(self.source_queue_arns);
        }
        v.to_string()
    }

    /// Whether a queue with ARN `source` may use this queue as its dead-letter queue.
    pub fn allows(&self, source: &str) -> bool {
        match self.permission.as_str() {
            "allowAll" => true,
            "byQueue" => self.source_queue_arns.iter().any(|a| a == source),
            _ => false,
        }
    }

    fn parse(text: &str) -> Result<RedriveAllowPolicy, SqsError> {
        let bad = |reason: &str| SqsError::invalid_value(text, "RedriveAllowPolicy", reason);
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|_| bad("Redrive allow policy is not a valid JSON map."))?;
        let permission = v
            .get("redrivePermission")
            .and_then(|p| p.as_str())
            .filter(|p| ["allowAll", "denyAll", "byQueue"].contains(p))
            .ok_or_else(|| bad("Invalid value for redrivePermission."))?;
        let arns: Vec<String> = match v.get("sourceQueueArns") {
            None => Vec::new(),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|a| a.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("sourceQueueArns must be a list of strings."))?,
            Some(_) => return Err(bad("sourceQueueArns must be a list of strings.")),
        };
        match (permission, arns.len()) {
            ("byQueue", 1..=10) => {}
            ("byQueue", _) => {
                return Err(bad(
                    "sourceQueueArns must contain 1 to 10 ARNs when redrivePermission is byQueue.",
                ))
            }
            (_, 0) => {}
            _ => {
                return Err(bad(
                    "sourceQueueArns is allowed only when redrivePermission is byQueue.",
                ))
            }
        }
        Ok(RedriveAllowPolicy {
            permission: permission.to_owned(),
            source_queue_arns: arns,
        })
    }
}

/// The settable attributes of one queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueAttributes {
    pub visibility_timeout: u32,
    pub delay_seconds: u32,
    pub maximum_message_size: u32,
    pub message_retention_period: u32,
    pub receive_message_wait_time_seconds: u32,
    pub policy: Option<String>,
    pub redrive_policy: Option<RedrivePolicy>,
    pub redrive_allow_policy: Option<RedriveAllowPolicy>,
    pub fifo: bool,
    pub content_based_deduplication: bool,
    /// `queue` or `messageGroup`.
    pub deduplication_scope: String,
    /// `perQueue` or `perMessageGroupId`.
    pub fifo_throughput_limit: String,
    pub kms_master_key_id: Option<String>,
    pub kms_data_key_reuse_period_seconds: u32,
    pub sqs_managed_sse_enabled: bool,
}

impl QueueAttributes {
    /// AWS's defaults for a new queue.
    pub fn defaults(fifo: bool) -> Self {
        QueueAttributes {
            visibility_timeout: 30,
            delay_seconds: 0,
            maximum_message_size: 1_048_576,
            message_retention_period: 345_600,
            receive_message_wait_time_seconds: 0,
            policy: None,
            redrive_policy: None,
            redrive_allow_policy: None,
            fifo,
            content_based_deduplication: false,
            deduplication_scope: "queue".into(),
            fifo_throughput_limit: "perQueue".into(),
            kms_master_key_id: None,
            kms_data_key_reuse_period_seconds: 300,
            sqs_managed_sse_enabled: true,
        }
    }

    /// Applies `requested` (CreateQueue or SetQueueAttributes). `creating` allows `FifoQueue`.
    /// Policy documents are checked by the caller (see `permissions`).
    pub fn apply(
        &mut self,
        requested: &BTreeMap<String, String>,
        creating: bool,
    ) -> Result<(), SqsError> {
        for (name, value) in requested {
            self.apply_one(name, value, creating)?;
        }
        if self.fifo_throughput_limit == "perMessageGroupId"
            && self.deduplication_scope != "messageGroup"
        {
            return Err(SqsError::InvalidAttributeValue(
                "Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId is allowed only with DeduplicationScope messageGroup.".into(),
            ));
        }
        Ok(())
    }

    fn apply_one(&mut self, name: &str, value: &str, creating: bool) -> Result<(), SqsError> {
        let invalid =
            || SqsError::InvalidAttributeValue(format!("Invalid value for the parameter {name}."));
        let int = |lo: u32, hi: u32| -> Result<u32, SqsError> {
            value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|v| (lo..=hi).contains(v))
                .ok_or_else(invalid)
        };
        let boolean = || -> Result<bool, SqsError> {
            if value.eq_ignore_ascii_case("true") {
                Ok(true)
            } else if value.eq_ignore_ascii_case("false") {
                Ok(false)
            } else {
                Err(invalid())
            }
        };
        if FIFO_ONLY.contains(&name) && !self.fifo && !(name == "FifoQueue" && creating) {
            return Err(unknown(name));
        }
        match name {
            "VisibilityTimeout" => self.visibility_timeout = int(0, 43_200)?,
            "DelaySeconds" => self.delay_seconds = int(0, 900)?,
            "MaximumMessageSize" => self.maximum_message_size = int(1_024, 1_048_576)?,
            "MessageRetentionPeriod" => self.message_retention_period = int(60, 1_209_600)?,
            "ReceiveMessageWaitTimeSeconds" => {
                self.receive_message_wait_time_seconds = int(0, 20)?;
            }
            "KmsDataKeyReusePeriodSeconds" => {
                self.kms_data_key_reuse_period_seconds = int(60, 86_400)?;
            }
            "Policy" => self.policy = (!value.is_empty()).then(|| value.to_owned()),
            "RedrivePolicy" => {
                self.redrive_policy = if value.is_empty() {
                    None
                } else {
                    Some(RedrivePolicy::parse(value)?)
                };
            }
            "RedriveAllowPolicy" => {
                self.redrive_allow_policy = if value.is_empty() {
                    None
                } else {
                    Some(RedriveAllowPolicy::parse(value)?)
                };
            }
            "FifoQueue" => {
                if !creating {
                    return Err(SqsError::InvalidAttributeValue(
                        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.".into(),
                    ));
                }
                if boolean()? != self.fifo {
                    return Err(invalid());
                }
            }
            "ContentBasedDeduplication" => self.content_based_deduplication = boolean()?,
            "DeduplicationScope" => {
                if value != "queue" && value != "messageGroup" {
                    return Err(invalid());
                }
                value.clone_into(&mut self.deduplication_scope);
            }
            "FifoThroughputLimit" => {
                if value != "perQueue" && value != "perMessageGroupId" {
                    return Err(invalid());
                }
                value.clone_into(&mut self.fifo_throughput_limit);
            }
            "KmsMasterKeyId" => {
                self.kms_master_key_id = (!value.is_empty()).then(|| value.to_owned());
                if self.kms_master_key_id.is_some() {
                    self.sqs_managed_sse_enabled = false;
                }
            }
            "SqsManagedSseEnabled" => {
                self.sqs_managed_sse_enabled = boolean()?;
                if self.sqs_managed_sse_enabled {
                    self.kms_master_key_id = None;
                }
            }
            _ => return Err(unknown(name)),
        }
        Ok(())
    }

    /// The stored (settable) attributes as GetQueueAttributes shows them; absent optional ones
    /// are omitted.
    pub fn render(&self, name: &str) -> Option<String> {
        let n = |v: u32| Some(v.to_string());
        match name {
            "VisibilityTimeout" => n(self.visibility_timeout),
            "DelaySeconds" => n(self.delay_seconds),
            "MaximumMessageSize" => n(self.maximum_message_size),
            "MessageRetentionPeriod" => n(self.message_retention_period),
            "ReceiveMessageWaitTimeSeconds" => n(self.receive_message_wait_time_seconds),
            "Policy" => self.policy.clone(),
            "RedrivePolicy" => self.redrive_policy.as_ref().map(RedrivePolicy::to_json),
            "RedriveAllowPolicy" => self
                .redrive_allow_policy
                .as_ref()
                .map(RedriveAllowPolicy::to_json),
            "FifoQueue" => self.fifo.then(|| "true".to_owned()),
            "ContentBasedDeduplication" => self
                .fifo
                .then(|| self.content_based_deduplication.to_string()),
            "DeduplicationScope" => self.fifo.then(|| self.deduplication_scope.clone()),
            "FifoThroughputLimit" => self.fifo.then(|| self.fifo_throughput_limit.clone()),
            "KmsMasterKeyId" => self.kms_master_key_id.clone(),
            "KmsDataKeyReusePeriodSeconds" => self
                .kms_master_key_id
                .as_ref()
                .map(|_| self.kms_data_key_reuse_period_seconds.to_string()),
            "SqsManagedSseEnabled" => Some(self.sqs_managed_sse_enabled.to_string()),
            _ => None,
        }
    }
}

/// Resolves the requested names (with `All`) into the ordered list to return, rejecting unknown
/// names as AWS does.
pub fn requested_names(requested: &[String]) -> Result<Vec<&'static str>, SqsError> {
    let mut out = Vec::new();
    for name in requested {
        if name == "All" {
            return Ok(ALL_NAMES.to_vec());
        }
        match ALL_NAMES.iter().find(|n| **n == name) {
            Some(n) if !out.contains(n) => out.push(*n),
            Some(_) => {}
            None => return Err(unknown(name)),
        }
    }
    out.sort_by_key(|n| ALL_NAMES.iter().position(|a| a == n));
    Ok(out)
}

fn unknown(name: &str) -> SqsError {
    SqsError::InvalidAttributeName(format!("Unknown Attribute {name}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn ranges_are_enforced() {
        let cases = [
            ("VisibilityTimeout", "43200", true),
            ("VisibilityTimeout", "43201", false),
            ("DelaySeconds", "900", true),
            ("DelaySeconds", "-1", false),
            ("MaximumMessageSize", "1023", false),
            ("MaximumMessageSize", "1048576", true),
            ("MaximumMessageSize", "1048577", false),
            ("MessageRetentionPeriod", "59", false),
            ("MessageRetentionPeriod", "1209600", true),
            ("ReceiveMessageWaitTimeSeconds", "21", false),
            ("SqsManagedSseEnabled", "maybe", false),
        ];
        for (name, value, ok) in cases {
            let mut a = QueueAttributes::defaults(false);
            let got = a.apply(&map(&[(name, value)]), true);
            assert_eq!(got.is_ok(), ok, "{name}={value}: {got:?}");
            if !ok {
                assert!(matches!(got, Err(SqsError::InvalidAttributeValue(_))));
            }
        }
    }

    #[test]
    fn fifo_attributes_only_on_fifo_queues() {
        let mut std = QueueAttributes::defaults(false);
        assert!(matches!(
            std.apply(&map(&[("ContentBasedDeduplication", "true")]), true),
            Err(SqsError::InvalidAttributeName(_))
        ));
        assert!(std.apply(&map(&[("Bogus", "1")]), true).is_err());
        let mut fifo = QueueAttributes::defaults(true);
        fifo.apply(
            &map(&[
                ("FifoQueue", "true"),
                ("DeduplicationScope", "messageGroup"),
                ("FifoThroughputLimit", "perMessageGroupId"),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(
            fifo.render("FifoThroughputLimit").unwrap(),
            "perMessageGroupId"
        );
        let mut bad = QueueAttributes::defaults(true);
        assert!(bad
            .apply(&map(&[("FifoThroughputLimit", "perMessageGroupId")]), true)
            .is_err());
    }

    #[test]
    fn redrive_policies() {
        let mut a = QueueAttributes::defaults(false);
        a.apply(
            &map(&[(
                "RedrivePolicy",
                r#"{"deadLetterTargetArn":"arn:aws:sqs:r:123456789012:dlq","maxReceiveCount":"3"}"#,
            )]),
            false,
        )
        .unwrap();
        assert_eq!(
            a.render("RedrivePolicy").unwrap(),
            r#"{"deadLetterTargetArn":"arn:aws:sqs:r:123456789012:dlq","maxReceiveCount":3}"#
        );
        for bad in [
            "x",
            r#"{"maxReceiveCount":3}"#,
            r#"{"deadLetterTargetArn":"a","maxReceiveCount":0}"#,
            r#"{"deadLetterTargetArn":"a","maxReceiveCount":1001}"#,
        ] {
            assert!(matches!(
                a.apply(&map(&[("RedrivePolicy", bad)]), false),
                Err(SqsError::InvalidParameterValue(_))
            ));
        }
        a.apply(&map(&[("RedrivePolicy", "")]), false).unwrap();
        assert_eq!(a.render("RedrivePolicy"), None);
        let allow = RedriveAllowPolicy::parse(
            r#"{"redrivePermission":"byQueue","sourceQueueArns":["arn:a"]}"#,
        )
        .unwrap();
        assert!(allow.allows("arn:a") && !allow.allows("arn:b"));
        assert!(RedriveAllowPolicy::parse(r#"{"redrivePermission":"byQueue"}"#).is_err());
    }

    #[test]
    fn requested_names_order_and_unknowns() {
        let names = requested_names(&["QueueArn".into(), "VisibilityTimeout".into()]).unwrap();
        assert_eq!(names, vec!["VisibilityTimeout", "QueueArn"]);
        assert_eq!(requested_names(&["All".into()]).unwrap().len(), 21);
        assert!(matches!(
            requested_names(&["Nope".into()]),
            Err(SqsError::InvalidAttributeName(_))
        ));
    }
}
