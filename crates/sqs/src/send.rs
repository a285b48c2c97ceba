//! SendMessage and SendMessageBatch: the checks that depend on the queue (size, FIFO rules), the
//! message records (digests computed before the transaction so the writer stays short), and one
//! write transaction for the whole batch, with FIFO deduplication inside it. It must never wait
//! for anything but that transaction.

use std::sync::Arc;

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::db::{self, DedupRecord, QueueRecord};
use crate::md5;
use crate::message::MessageRecord;
use crate::request::SendEntry;
use crate::response::SendResult;
use crate::{wake, Inner, SqsCaller, SqsError};

/// The FIFO deduplication interval.
pub const DEDUP_WINDOW_MS: u64 = 5 * 60 * 1000;

/// A message ready to store.
struct Prepared {
    record: MessageRecord,
    /// The record as stored (serialized before the transaction).
    json: Vec<u8>,
    dedup_key: Option<String>,
}

/// Sends `entries` (an `Err` entry fails alone) and answers per entry.
pub async fn send(
    inner: &Arc<Inner>,
    caller: &SqsCaller,
    q: &Arc<QueueRecord>,
    entries: Vec<Result<SendEntry, SqsError>>,
) -> Result<Vec<Result<SendResult, SqsError>>, SqsError> {
    let now = inner.now_ms();
    let prepared: Vec<Result<Prepared, SqsError>> = entries
        .into_iter()
        .map(|e| e.and_then(|e| prepare(q, caller, e, now)))
        .collect();
    let qid = q.id.clone();
    let fifo = q.attributes.fifo;
    let inner2 = Arc::clone(inner);
    let outcome = inner
        .store
        .write(move |tx| {
            if tx.get(db::NS_QID, &qid)?.is_none() {
                return Err(SqsError::QueueDoesNotExist);
            }
            let n = prepared.iter().filter(|p| p.is_ok()).count() as u64;
            let mut seq = inner2.seq.take(tx, n)?;
            let mut results = Vec::with_capacity(prepared.len());
            let mut notify = false;
            for p in prepared {
                let p = match p {
                    Ok(p) => p,
                    Err(e) => {
                        results.push(Err(e));
                        continue;
                    }
                };
                let this_seq = seq;
                seq += 1;
                if let Some(key) = &p.dedup_key {
                    if let Some(d) = db::get::<DedupRecord>(tx, db::NS_DEDUP, key)? {
                        if d.expires_ms > now {
                            results.push(Ok(result(&p.record, Some(d.seq), Some(d.message_id))));
                            continue;
                        }
                    }
                    db::put(
                        tx,
                        db::NS_DEDUP,
                        key,
                        &DedupRecord {
                            expires_ms: now + DEDUP_WINDOW_MS,
                            message_id: p.record.id.clone(),
                            seq: this_seq,
                        },
                    )?;
                }
                db::put_new_message(tx, &qid, this_seq, &p.json, p.record.visible_at_ms)?;
                notify = true;
                results.push(Ok(result(&p.record, fifo.then_some(this_seq), None)));
            }
            if notify {
                tx.notify(wake::CHANNEL, &qid)?;
            }
            Ok(results)
        })
        .await;
    match outcome {
        Ok(results) => {
            inner.wake.ring(&q.id);
            Ok(results)
        }
        Err(e) => {
            if matches!(e, SqsError::Internal(_) | SqsError::Conflict(_)) {
                inner.seq.commit_failed();
            }
            if matches!(e, SqsError::QueueDoesNotExist) {
                inner.invalidate(&crate::QueueName {
                    account: tessera_core::AccountId::parse(&q.account)
                        .map_err(|_| SqsError::QueueDoesNotExist)?,
                    name: q.name.clone(),
                });
            }
            Err(e)
        }
    }
}

fn result(m: &MessageRecord, seq: Option<u64>, original_id: Option<String>) -> SendResult {
    SendResult {
        message_id: original_id.unwrap_or_else(|| m.id.clone()),
        md5_body: m.md5_body.clone(),
        md5_attributes: m.md5_attributes.clone(),
        md5_system: m.md5_system.clone(),
        sequence_number: seq.map(|s| format!("{s:020}")),
    }
}

fn prepare(
    q: &QueueRecord,
    caller: &SqsCaller,
    e: SendEntry,
    now: u64,
) -> Result<Prepared, SqsError> {
    let a = &q.attributes;
    if e.size > a.maximum_message_size as usize {
        return Err(SqsError::InvalidParameterValue(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {} bytes.",
            a.maximum_message_size
        )));
    }
    let not_for_type = |value: &str, name: &str| {
        SqsError::invalid_value(
            value,
            name,
            "The request include parameter that is not valid for this queue type.",
        )
    };
    let mut dedup_key = None;
    if a.fifo {
        let group = e
            .group_id
            .as_deref()
            .ok_or_else(|| SqsError::MissingParameter("MessageGroupId".into()))?;
        if let Some(d) = e.delay {
            return Err(not_for_type(&d.to_string(), "DelaySeconds"));
        }
        let dedup = match (&e.dedup_id, a.content_based_deduplication) {
            (Some(d), _) => d.clone(),
            (None, true) => hex::encode(Sha256::digest(e.body.as_bytes())),
            (None, false) => {
                return Err(SqsError::InvalidParameterValue(
                    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly".into(),
                ))
            }
        };
        let scope = if a.deduplication_scope == "messageGroup" {
            format!("g{}", hex::encode(group))
        } else {
            "q".to_owned()
        };
        dedup_key = Some(format!("{}/{scope}/{dedup}", q.id));
    } else if let Some(d) = &e.dedup_id {
        return Err(not_for_type(d, "MessageDeduplicationId"));
    }
    let delay = u64::from(e.delay.unwrap_or(a.delay_seconds));
    let md5_attributes = md5::attributes_md5(e.attributes.iter().map(|(k, v)| (k.as_str(), v)));
    let md5_system = e.trace_header.as_ref().and_then(|t| {
        let v = crate::message::AttributeValue {
            data_type: "String".into(),
            string_value: Some(t.clone()),
            binary_value: None,
        };
        md5::attributes_md5([("AWSTraceHeader", &v)])
    });
    let dedup_id = if a.fifo {
        dedup_key
            .as_deref()
            .and_then(|k| k.rsplit_once('/'))
            .map(|(_, d)| d.to_owned())
    } else {
        None
    };
    let record = MessageRecord {
        id: message_id(),
        md5_body: md5::hex_md5(e.body.as_bytes()),
        body: e.body,
        attributes: e.attributes,
        md5_attributes,
        trace_header: e.trace_header,
        md5_system,
        sender_id: caller.sender_id.clone(),
        sent_ms: now,
        visible_at_ms: now + delay * 1000,
        received: false,
        receive_count: 0,
        first_receive_ms: None,
        last_receive_ms: None,
        nonce: 0,
        group_id: e.group_id,
        dedup_id,
        dead_letter_source_arn: None,
    };
    let json = serde_json::to_vec(&record).map_err(|e| SqsError::Internal(e.to_string()))?;
    Ok(Prepared {
        record,
        json,
        dedup_key,
    })
}

/// A random UUID (version 4 layout), as SQS message ids look.
pub fn message_id() -> String {
    let mut b: [u8; 16] = rand::thread_rng().gen();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_look_like_uuids() {
        let id = message_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, message_id());
    }
}
