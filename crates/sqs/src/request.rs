//! Decoding: a wire request becomes a typed [`SqsRequest`] whose queue is known before
//! authorization. It owns the member names of every action and the checks that need no state
//! (ranges, batch shape, message contents); it must never read the store.

use std::collections::{BTreeMap, HashSet};

use tessera_core::AccountId;

use crate::message::{self, AttributeValue};
use crate::names::{self, QueueName};
use crate::wire::{Input, Protocol};
use crate::SqsError;

macro_rules! actions {
    ($($name:ident => $iam:literal),* $(,)?) => {
        /// Every SQS action.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($name),* }

        impl Action {
            pub fn name(&self) -> &'static str {
                match self { $(Action::$name => stringify!($name)),* }
            }
            /// The IAM action authorizing it (batches authorize as their single action).
            pub fn iam_action(&self) -> &'static str {
                match self { $(Action::$name => $iam),* }
            }
            pub fn from_name(name: &str) -> Option<Action> {
                match name { $(stringify!($name) => Some(Action::$name),)* _ => None }
            }
        }
    };
}

actions! {
    CreateQueue => "sqs:CreateQueue",
    DeleteQueue => "sqs:DeleteQueue",
    GetQueueUrl => "sqs:GetQueueUrl",
    ListQueues => "sqs:ListQueues",
    GetQueueAttributes => "sqs:GetQueueAttributes",
    SetQueueAttributes => "sqs:SetQueueAttributes",
    PurgeQueue => "sqs:PurgeQueue",
    SendMessage => "sqs:SendMessage",
    SendMessageBatch => "sqs:SendMessage",
    ReceiveMessage => "sqs:ReceiveMessage",
    DeleteMessage => "sqs:DeleteMessage",
    DeleteMessageBatch => "sqs:DeleteMessage",
    ChangeMessageVisibility => "sqs:ChangeMessageVisibility",
    ChangeMessageVisibilityBatch => "sqs:ChangeMessageVisibility",
    TagQueue => "sqs:TagQueue",
    UntagQueue => "sqs:UntagQueue",
    ListQueueTags => "sqs:ListQueueTags",
    AddPermission => "sqs:AddPermission",
    RemovePermission => "sqs:RemovePermission",
    ListDeadLetterSourceQueues => "sqs:ListDeadLetterSourceQueues",
    StartMessageMoveTask => "sqs:StartMessageMoveTask",
    ListMessageMoveTasks => "sqs:ListMessageMoveTasks",
    CancelMessageMoveTask => "sqs:CancelMessageMoveTask",
}

/// A decoded request.
#[derive(Debug, Clone)]
pub struct SqsRequest {
    pub(crate) protocol: Protocol,
    pub(crate) action: Action,
    pub(crate) queue: Option<QueueName>,
    pub(crate) op: Op,
}

impl SqsRequest {
    pub fn action(&self) -> Action {
        self.action
    }
    /// The queue the request acts on (for authorization: its ARN is the resource).
    pub fn queue(&self) -> Option<&QueueName> {
        self.queue.as_ref()
    }
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }
}

/// One message to send, checked as far as possible without the queue.
#[derive(Debug, Clone)]
pub(crate) struct SendEntry {
    pub body: String,
    pub delay: Option<u32>,
    pub attributes: BTreeMap<String, AttributeValue>,
    /// Body plus attributes, as AWS counts the message size.
    pub size: usize,
    pub trace_header: Option<String>,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct ReceiveParams {
    pub max: usize,
    pub visibility: Option<u32>,
    pub wait: Option<u32>,
    pub system_attributes: Vec<String>,
    pub message_attributes: Vec<String>,
    pub attempt_id: Option<String>,
}

/// Batch entries keep their id; an entry that failed decoding fails alone.
pub(crate) type Entries<T> = Vec<(String, Result<T, SqsError>)>;

#[derive(Debug, Clone)]
pub(crate) enum Op {
    CreateQueue {
        attributes: BTreeMap<String, String>,
        tags: BTreeMap<String, String>,
    },
    DeleteQueue,
    GetQueueUrl,
    ListQueues {
        prefix: String,
        max: Option<usize>,
        next: Option<String>,
    },
    GetQueueAttributes {
        names: Vec<String>,
    },
    SetQueueAttributes {
        attributes: BTreeMap<String, String>,
    },
    PurgeQueue,
    SendMessage(Box<SendEntry>),
    SendMessageBatch(Entries<SendEntry>),
    ReceiveMessage(ReceiveParams),
    DeleteMessage {
        handle: String,
    },
    DeleteMessageBatch(Entries<String>),
    ChangeMessageVisibility {
        handle: String,
        timeout: u32,
    },
    ChangeMessageVisibilityBatch(Entries<(String, u32)>),
    TagQueue {
        tags: BTreeMap<String, String>,
    },
    UntagQueue {
        keys: Vec<String>,
    },
    ListQueueTags,
    AddPermission {
        label: String,
        accounts: Vec<String>,
        actions: Vec<String>,
    },
    RemovePermission {
        label: String,
    },
    ListDeadLetterSourceQueues {
        max: Option<usize>,
        next: Option<String>,
    },
    StartMessageMoveTask {
        source_arn: String,
        destination_arn: Option<String>,
        rate: Option<u32>,
    },
    ListMessageMoveTasks {
        max: usize,
    },
    CancelMessageMoveTask {
        handle: String,
    },
}

/// Decodes `input` as `action`. `path_queue` is the queue named by the HTTP path (Query only).
pub(crate) fn parse(
    action_name: &str,
    input: &Input<'_>,
    path_queue: Option<QueueName>,
    caller: &AccountId,
) -> Result<SqsRequest, SqsError> {
    let action = Action::from_name(action_name)
        .ok_or_else(|| SqsError::InvalidAction(action_name.to_owned()))?;
    let queue_url = || -> Result<QueueName, SqsError> {
        match input.string("QueueUrl") {
            Some(url) => QueueName::from_url(&url),
            None => path_queue
                .clone()
                .ok_or_else(|| SqsError::MissingParameter("QueueUrl".into())),
        }
    };
    let mut queue = None;
    let op = match action {
        Action::CreateQueue => {
            let name = input.required("QueueName")?;
            if !names::valid_name(&name) {
                return Err(SqsError::InvalidParameterValue(
                    "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length".into(),
                ));
            }
            queue = Some(QueueName {
                account: caller.clone(),
                name,
            });
            Op::CreateQueue {
                attributes: input.string_map("Attributes", "Attribute", "Name", "Value"),
                tags: input.string_map("tags", "Tag", "Key", "Value"),
            }
        }
        Action::GetQueueUrl => {
            let name = input.required("QueueName")?;
            let account = match input.string("QueueOwnerAWSAccountId") {
                Some(a) => AccountId::parse(&a).map_err(|_| SqsError::QueueDoesNotExist)?,
                None => caller.clone(),
            };
            queue = Some(QueueName { account, name });
            Op::GetQueueUrl
        }
        Action::ListQueues => Op::ListQueues {
            prefix: input.string("QueueNamePrefix").unwrap_or_default(),
            max: bounded(input, "MaxResults", 1, 1000)?,
            next: input.string("NextToken"),
        },
        Action::ListDeadLetterSourceQueues => {
            queue = Some(queue_url()?);
            Op::ListDeadLetterSourceQueues {
                max: bounded(input, "MaxResults", 1, 1000)?,
                next: input.string("NextToken"),
            }
        }
        Action::StartMessageMoveTask => {
            let source_arn = input.required("SourceArn")?;
            queue = Some(arn_queue(&source_arn)?);
            Op::StartMessageMoveTask {
                source_arn,
                destination_arn: input.string("DestinationArn"),
                rate: bounded(input, "MaxNumberOfMessagesPerSecond", 1, 500)?
                    .and_then(|r| u32::try_from(r).ok()),
            }
        }
        Action::ListMessageMoveTasks => {
            let source_arn = input.required("SourceArn")?;
            queue = Some(arn_queue(&source_arn)?);
            Op::ListMessageMoveTasks {
                max: bounded(input, "MaxResults", 1, 10)?.unwrap_or(1),
            }
        }
        Action::CancelMessageMoveTask => {
            let handle = input.required("TaskHandle")?;
            queue = Some(crate::movetasks::handle_queue(&handle)?);
            Op::CancelMessageMoveTask { handle }
        }
        _ => {
            queue = Some(queue_url()?);
            parse_queue_op(action, input)?
        }
    };
    Ok(SqsRequest {
        protocol: input.protocol(),
        action,
        queue,
        op,
    })
}

fn arn_queue(arn: &str) -> Result<QueueName, SqsError> {
    QueueName::from_arn(arn).ok_or_else(|| {
        SqsError::InvalidParameterValue(format!(
            "Value {arn} for parameter SourceArn is invalid. Reason: not a valid queue ARN."
        ))
    })
}

fn parse_queue_op(action: Action, input: &Input<'_>) -> Result<Op, SqsError> {
    Ok(match action {
        Action::DeleteQueue => Op::DeleteQueue,
        Action::PurgeQueue => Op::PurgeQueue,
        Action::ListQueueTags => Op::ListQueueTags,
        Action::GetQueueAttributes => Op::GetQueueAttributes {
            names: input.strings("AttributeNames", "AttributeName"),
        },
        Action::SetQueueAttributes => Op::SetQueueAttributes {
            attributes: input.string_map("Attributes", "Attribute", "Name", "Value"),
        },
        Action::SendMessage => Op::SendMessage(Box::new(send_entry(input)?)),
        Action::SendMessageBatch => {
            let entries = batch(input, "SendMessageBatchRequestEntry")?;
            let total: usize = entries
                .iter()
                .map(|(_, e)| e.string("MessageBody").map_or(0, |b| b.len()))
                .sum();
            let parsed: Entries<SendEntry> = entries
                .into_iter()
                .map(|(id, e)| (id, send_entry(&e)))
                .collect();
            let total = total.max(
                parsed
                    .iter()
                    .filter_map(|(_, e)| e.as_ref().ok().map(|e| e.size))
                    .sum(),
            );
            if total > 1_048_576 {
                return Err(SqsError::BatchRequestTooLong(format!(
                    "Batch requests cannot be longer than 1048576 bytes. You have sent {total} bytes."
                )));
            }
            Op::SendMessageBatch(parsed)
        }
        Action::ReceiveMessage => Op::ReceiveMessage(receive_params(input)?),
        Action::DeleteMessage => Op::DeleteMessage {
            handle: input.required("ReceiptHandle")?,
        },
        Action::DeleteMessageBatch => Op::DeleteMessageBatch(
            batch(input, "DeleteMessageBatchRequestEntry")?
                .into_iter()
                .map(|(id, e)| (id, e.required("ReceiptHandle")))
                .collect(),
        ),
        Action::ChangeMessageVisibility => Op::ChangeMessageVisibility {
            handle: input.required("ReceiptHandle")?,
            timeout: visibility_timeout(input, true)?.unwrap_or(0),
        },
        Action::ChangeMessageVisibilityBatch => Op::ChangeMessageVisibilityBatch(
            batch(input, "ChangeMessageVisibilityBatchRequestEntry")?
                .into_iter()
                .map(|(id, e)| {
                    let parsed = e
                        .required("ReceiptHandle")
                        .and_then(|h| Ok((h, visibility_timeout(&e, false)?.unwrap_or(0))));
                    (id, parsed)
                })
                .collect(),
        ),
        Action::TagQueue => Op::TagQueue {
            tags: input.string_map("Tags", "Tag", "Key", "Value"),
        },
        Action::UntagQueue => Op::UntagQueue {
            keys: input.strings("TagKeys", "TagKey"),
        },
        Action::AddPermission => Op::AddPermission {
            label: input.required("Label")?,
            accounts: input.strings("AWSAccountIds", "AWSAccountId"),
            actions: input.strings("Actions", "ActionName"),
        },
        Action::RemovePermission => Op::RemovePermission {
            label: input.required("Label")?,
        },
        // Actions without a queue URL are decoded by `parse`.
        other => return Err(SqsError::InvalidAction(other.name().to_owned())),
    })
}

fn bounded(input: &Input<'_>, name: &str, lo: i64, hi: i64) -> Result<Option<usize>, SqsError> {
    match input.int(name)? {
        None => Ok(None),
        Some(v) if (lo..=hi).contains(&v) => Ok(usize::try_from(v).ok()),
        Some(v) => Err(SqsError::invalid_value(
            &v.to_string(),
            name,
            &format!("Must be between {lo} and {hi}, if provided."),
        )),
    }
}

fn visibility_timeout(input: &Input<'_>, required: bool) -> Result<Option<u32>, SqsError> {
    match input.int("VisibilityTimeout")? {
        None if required => Err(SqsError::MissingParameter("VisibilityTimeout".into())),
        None => Ok(None),
        Some(v) if (0..=43_200).contains(&v) => Ok(u32::try_from(v).ok()),
        Some(v) => Err(SqsError::invalid_value(
            &v.to_string(),
            "VisibilityTimeout",
            "Must be between 0 and 43200, if provided.",
        )),
    }
}

/// The common shape rules of every batch: 1–10 entries, valid and distinct ids.
fn batch(input: &Input<'_>, query_name: &str) -> Result<Vec<(String, Input<'static>)>, SqsError> {
    let entries = input.entries("Entries", query_name);
    if entries.is_empty() {
        return Err(SqsError::EmptyBatchRequest(format!(
            "There should be at least one {query_name} in the request."
        )));
    }
    if entries.len() > 10 {
        return Err(SqsError::TooManyEntriesInBatchRequest(format!(
            "Maximum number of entries per request are 10. You have sent {}.",
            entries.len()
        )));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let id = e.string("Id").unwrap_or_default();
        let valid = !id.is_empty()
            && id.len() <= 80
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(SqsError::InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.".into(),
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(SqsError::BatchEntryIdsNotDistinct(format!(
                "Id {id} repeated."
            )));
        }
        out.push((id, e));
    }
    Ok(out)
}

fn send_entry(input: &Input<'_>) -> Result<SendEntry, SqsError> {
    let body = input.required("MessageBody")?;
    if body.is_empty() {
        return Err(SqsError::InvalidParameterValue(
            "The request must contain the parameter MessageBody.".into(),
        ));
    }
    message::check_characters(&body, "message body")?;
    let delay = match input.int("DelaySeconds")? {
        None => None,
        Some(d) if (0..=900).contains(&d) => u32::try_from(d).ok(),
        Some(d) => {
            return Err(SqsError::invalid_value(
                &d.to_string(),
                "DelaySeconds",
                "DelaySeconds must be >= 0 and <= 900.",
            ))
        }
    };
    let (attributes, attr_size) =
        message::check_attributes(input.attributes("MessageAttributes", "MessageAttribute")?)?;
    let trace_header = message::check_system_attributes(
        input.attributes("MessageSystemAttributes", "MessageSystemAttribute")?,
    )?;
    let fifo_id = |name: &str| -> Result<Option<String>, SqsError> {
        match input.string(name) {
            None => Ok(None),
            Some(v)
                if !v.is_empty()
                    && v.len() <= 128
                    && v.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                Ok(Some(v))
            }
            Some(v) => Err(SqsError::invalid_value(
                &v,
                name,
                &format!("{name} can only include alphanumeric and punctuation characters. 1 to 128 in length."),
            )),
        }
    };
    Ok(SendEntry {
        size: body.len() + attr_size,
        body,
        delay,
        attributes,
        trace_header,
        group_id: fifo_id("MessageGroupId")?,
        dedup_id: fifo_id("MessageDeduplicationId")?,
    })
}

fn receive_params(input: &Input<'_>) -> Result<ReceiveParams, SqsError> {
    let max = bounded(input, "MaxNumberOfMessages", 1, 10)?.unwrap_or(1);
    let wait = match input.int("WaitTimeSeconds")? {
        None => None,
        Some(w) if (0..=20).contains(&w) => u32::try_from(w).ok(),
        Some(w) => {
            return Err(SqsError::invalid_value(
                &w.to_string(),
                "WaitTimeSeconds",
                "Must be >= 0 and <= 20, if provided.",
            ))
        }
    };
    let mut system_attributes = input.strings("AttributeNames", "AttributeName");
    system_attributes
        .extend(input.strings("MessageSystemAttributeNames", "MessageSystemAttributeName"));
    for name in &system_attributes {
        if !crate::receive::SYSTEM_ATTRIBUTES.contains(&name.as_str()) && name != "All" {
            return Err(SqsError::InvalidAttributeName(format!(
                "Unknown Attribute {name}."
            )));
        }
    }
    let attempt_id = input.string("ReceiveRequestAttemptId");
    if let Some(a) = &attempt_id {
        if a.is_empty() || a.len() > 128 || !a.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SqsError::invalid_value(
                a,
                "ReceiveRequestAttemptId",
                "ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.",
            ));
        }
    }
    Ok(ReceiveParams {
        max,
        visibility: visibility_timeout(input, false)?,
        wait,
        system_attributes,
        message_attributes: input.strings("MessageAttributeNames", "MessageAttributeName"),
        attempt_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use tessera_protocol::QueryParams;

    fn caller() -> AccountId {
        AccountId::parse("123456789012").unwrap()
    }

    fn query(body: &str) -> Result<SqsRequest, SqsError> {
        let q = QueryParams::parse(body.as_bytes()).unwrap();
        let action = q.action().unwrap_or("").to_owned();
        parse(&action, &Input::Query(Cow::Owned(q)), None, &caller())
    }

    #[test]
    fn iam_actions() {
        assert_eq!(Action::SendMessageBatch.iam_action(), "sqs:SendMessage");
        assert_eq!(
            Action::ChangeMessageVisibilityBatch.iam_action(),
            "sqs:ChangeMessageVisibility"
        );
        assert_eq!(Action::ListQueues.name(), "ListQueues");
        assert_eq!(Action::from_name("Nope"), None);
    }

    #[test]
    fn batch_shape_errors() {
        let url = "QueueUrl=http://h/123456789012/q";
        type Check = fn(&SqsError) -> bool;
        let cases: Vec<(String, Check)> = vec![
            (
                format!("Action=DeleteMessageBatch&{url}"),
                |e| matches!(e, SqsError::EmptyBatchRequest(_)),
            ),
            (
                format!(
                    "Action=DeleteMessageBatch&{url}{}",
                    (1..=11)
                        .map(|i| format!("&DeleteMessageBatchRequestEntry.{i}.Id=e{i}&DeleteMessageBatchRequestEntry.{i}.ReceiptHandle=h"))
                        .collect::<String>()
                ),
                |e| matches!(e, SqsError::TooManyEntriesInBatchRequest(_)),
            ),
            (
                format!("Action=DeleteMessageBatch&{url}&DeleteMessageBatchRequestEntry.1.Id=a.b&DeleteMessageBatchRequestEntry.1.ReceiptHandle=h"),
                |e| matches!(e, SqsError::InvalidBatchEntryId(_)),
            ),
            (
                format!("Action=DeleteMessageBatch&{url}&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=h&DeleteMessageBatchRequestEntry.2.Id=a&DeleteMessageBatchRequestEntry.2.ReceiptHandle=h"),
                |e| matches!(e, SqsError::BatchEntryIdsNotDistinct(_)),
            ),
            (
                format!("Action=ReceiveMessage&{url}&MaxNumberOfMessages=11"),
                |e| matches!(e, SqsError::InvalidParameterValue(_)),
            ),
            (
                format!("Action=ReceiveMessage&{url}&WaitTimeSeconds=21"),
                |e| matches!(e, SqsError::InvalidParameterValue(_)),
            ),
            (
                format!("Action=SendMessage&{url}&MessageBody=%01"),
                |e| matches!(e, SqsError::InvalidMessageContents(_)),
            ),
            (
                format!("Action=SendMessage&{url}&MessageBody=x&DelaySeconds=901"),
                |e| matches!(e, SqsError::InvalidParameterValue(_)),
            ),
            (
                "Action=SendMessage&MessageBody=x".to_owned(),
                |e| matches!(e, SqsError::MissingParameter(_)),
            ),
            (
                "Action=SendMessage&QueueUrl=bad&MessageBody=x".to_owned(),
                |e| matches!(e, SqsError::InvalidAddress(_)),
            ),
            (
                "Action=CreateQueue&QueueName=a.b".to_owned(),
                |e| matches!(e, SqsError::InvalidParameterValue(_)),
            ),
            ("Action=Frobnicate".to_owned(), |e| {
                matches!(e, SqsError::InvalidAction(_))
            }),
        ];
        for (body, check) in cases {
            let err = query(&body).unwrap_err();
            assert!(check(&err), "{body}: {err:?}");
        }
    }

    #[test]
    fn batch_too_long_and_per_entry_failures() {
        let big = "x".repeat(600_000);
        let body = format!(
            "Action=SendMessageBatch&QueueUrl=http://h/123456789012/q\
             &SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody={big}\
             &SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody={big}"
        );
        assert!(matches!(
            query(&body),
            Err(SqsError::BatchRequestTooLong(_))
        ));
        let body = "Action=SendMessageBatch&QueueUrl=http://h/123456789012/q\
             &SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=ok\
             &SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=%02";
        let req = query(body).unwrap();
        let Op::SendMessageBatch(entries) = req.op else {
            panic!("not a batch")
        };
        assert!(entries[0].1.is_ok());
        assert!(matches!(
            entries[1].1,
            Err(SqsError::InvalidMessageContents(_))
        ));
    }

    #[test]
    fn queue_from_path_when_url_absent() {
        let q = QueryParams::parse(b"Action=PurgeQueue").unwrap();
        let path_queue = QueueName::from_path("/123456789012/q");
        let req = parse(
            "PurgeQueue",
            &Input::Query(Cow::Owned(q)),
            path_queue,
            &caller(),
        )
        .unwrap();
        assert_eq!(req.queue().unwrap().name, "q");
    }
}
