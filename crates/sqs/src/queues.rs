//! Queue lifecycle and metadata: CreateQueue (idempotent with equal attributes), DeleteQueue
//! (the name is blocked for 60 s, messages are removed later in batches), ListQueues, Get/Set
//! attributes (with the Approximate* counts from the visibility index), PurgeQueue (a new internal
//! id, so the purge is one small transaction), tags and ListDeadLetterSourceQueues. It must never
//! touch individual messages.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::Rng;

use crate::attributes::{self, QueueAttributes};
use crate::db::{self, QueueRecord};
use crate::names::QueueName;
use crate::{permissions, Inner, SqsCaller, SqsError};

const DELETED_BLOCK_MS: u64 = 60_000;
const PURGE_BLOCK_MS: u64 = 60_000;

/// A fresh internal queue id (16 hex digits).
pub fn new_queue_id() -> String {
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

pub async fn create(
    inner: &Arc<Inner>,
    caller: &SqsCaller,
    name: &QueueName,
    requested: BTreeMap<String, String>,
    tags: BTreeMap<String, String>,
) -> Result<String, SqsError> {
    let wants_fifo = requested
        .get("FifoQueue")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if wants_fifo != name.is_fifo() {
        return Err(SqsError::InvalidParameterValue(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.".into(),
        ));
    }
    let mut attrs = QueueAttributes::defaults(wants_fifo);
    attrs.apply(&requested, true)?;
    check_references(inner, name, &attrs).await?;
    check_tags(&tags, 0)?;
    let now_ms = inner.now_ms();
    let key = db::queue_key(name);
    let record = QueueRecord {
        id: new_queue_id(),
        account: name.account.to_string(),
        name: name.name.clone(),
        created_s: now_ms / 1000,
        modified_s: now_ms / 1000,
        attributes: attrs,
        tags,
        last_purge_ms: None,
    };
    let queue_name = name.name.clone();
    inner
        .store
        .write(move |tx| {
            if let Some(existing) = db::get::<QueueRecord>(tx, db::NS_QUEUE, &key)? {
                for attr in requested.keys() {
                    if existing.attributes.render(attr) != record.attributes.render(attr) {
                        return Err(SqsError::QueueAlreadyExists(format!(
                            "A queue already exists with the same name and a different value for attribute {attr}"
                        )));
                    }
                }
                return Ok(());
            }
            if let Some(deleted) = tx.get(db::NS_DELETED, &key)? {
                let at = String::from_utf8_lossy(&deleted).parse::<u64>().unwrap_or(0);
                if at + DELETED_BLOCK_MS > now_ms {
                    return Err(SqsError::QueueDeletedRecently(format!(
                        "You must wait 60 seconds after deleting a queue before you can create another with the same name. Queue: {queue_name}"
                    )));
                }
                tx.delete(db::NS_DELETED, &key)?;
            }
            db::put(tx, db::NS_QUEUE, &key, &record)?;
            tx.put(db::NS_QID, &record.id, key.as_bytes())?;
            Ok(())
        })
        .await?;
    inner.invalidate(name);
    Ok(name.url(&caller.base_url))
}

/// Checks what attributes refer to: the policy document, the dead-letter target.
async fn check_references(
    inner: &Arc<Inner>,
    name: &QueueName,
    attrs: &QueueAttributes,
) -> Result<(), SqsError> {
    if let Some(policy) = &attrs.policy {
        permissions::validate(policy)?;
    }
    if let Some(redrive) = &attrs.redrive_policy {
        let bad =
            |reason: &str| SqsError::invalid_value(&redrive.to_json(), "RedrivePolicy", reason);
        let target = QueueName::from_arn(&redrive.dead_letter_target_arn)
            .ok_or_else(|| bad("Dead letter target does not exist."))?;
        let dlq = match inner.queue(&target).await {
            Ok(q) => q,
            Err(SqsError::QueueDoesNotExist) => {
                return Err(bad("Dead letter target does not exist."))
            }
            Err(e) => return Err(e),
        };
        if dlq.attributes.fifo != attrs.fifo {
            return Err(bad(
                "Dead-letter queue must be same type of queue as the source.",
            ));
        }
        if target.account != name.account {
            return Err(bad(
                "Dead-letter queue must be in the same account as the source.",
            ));
        }
        if let Some(allow) = &dlq.attributes.redrive_allow_policy {
            if !allow.allows(&inner.arn(name)) {
                return Err(bad(
                    "Queue is not allowed to use the dead-letter target by its RedriveAllowPolicy.",
                ));
            }
        }
    }
    Ok(())
}

pub async fn delete(inner: &Arc<Inner>, name: &QueueName) -> Result<(), SqsError> {
    let key = db::queue_key(name);
    let now_ms = inner.now_ms();
    let qid = inner
        .store
        .write(move |tx| {
            let record: QueueRecord =
                db::get(tx, db::NS_QUEUE, &key)?.ok_or(SqsError::QueueDoesNotExist)?;
            tx.delete(db::NS_QUEUE, &key)?;
            tx.delete(db::NS_QID, &record.id)?;
            tx.put(db::NS_DELETED, &key, now_ms.to_string().as_bytes())?;
            tx.put(db::NS_GC, &record.id, b"")?;
            Ok::<_, SqsError>(record.id)
        })
        .await?;
    inner.invalidate(name);
    inner.wake.forget(&qid);
    inner.inflight.forget(&qid);
    Ok(())
}

pub async fn purge(inner: &Arc<Inner>, name: &QueueName) -> Result<(), SqsError> {
    let key = db::queue_key(name);
    let now_ms = inner.now_ms();
    let queue_name = name.name.clone();
    let old = inner
        .store
        .write(move |tx| {
            let mut record: QueueRecord =
                db::get(tx, db::NS_QUEUE, &key)?.ok_or(SqsError::QueueDoesNotExist)?;
            if record
                .last_purge_ms
                .is_some_and(|at| at + PURGE_BLOCK_MS > now_ms)
            {
                return Err(SqsError::PurgeQueueInProgress(format!(
                    "Only one PurgeQueue operation on {queue_name} is allowed every 60 seconds."
                )));
            }
            let old = std::mem::replace(&mut record.id, new_queue_id());
            record.last_purge_ms = Some(now_ms);
            tx.delete(db::NS_QID, &old)?;
            tx.put(db::NS_GC, &old, b"")?;
            tx.put(db::NS_QID, &record.id, key.as_bytes())?;
            db::put(tx, db::NS_QUEUE, &key, &record)?;
            Ok(old)
        })
        .await?;
    inner.invalidate(name);
    inner.wake.forget(&old);
    inner.inflight.forget(&old);
    Ok(())
}

/// Applies `change` to the stored record in one write transaction and drops the cached copy.
pub async fn update<F>(inner: &Arc<Inner>, name: &QueueName, change: F) -> Result<(), SqsError>
where
    F: FnOnce(&mut QueueRecord) -> Result<(), SqsError> + Send + 'static,
{
    let key = db::queue_key(name);
    let now_s = inner.now_ms() / 1000;
    let result = inner
        .store
        .write(move |tx| {
            let mut record: QueueRecord =
                db::get(tx, db::NS_QUEUE, &key)?.ok_or(SqsError::QueueDoesNotExist)?;
            change(&mut record)?;
            record.modified_s = now_s;
            db::put(tx, db::NS_QUEUE, &key, &record)
        })
        .await;
    inner.invalidate(name);
    result
}

pub async fn set_attributes(
    inner: &Arc<Inner>,
    name: &QueueName,
    requested: BTreeMap<String, String>,
) -> Result<(), SqsError> {
    let current = inner.queue(name).await?;
    let mut attrs = current.attributes.clone();
    attrs.apply(&requested, false)?;
    check_references(inner, name, &attrs).await?;
    update(inner, name, move |r| {
        r.attributes = attrs;
        Ok(())
    })
    .await
}

pub async fn get_attributes(
    inner: &Arc<Inner>,
    name: &QueueName,
    requested: &[String],
) -> Result<Vec<(&'static str, String)>, SqsError> {
    let names = attributes::requested_names(requested)?;
    let q = inner.queue(name).await?;
    let counts = if names.iter().any(|n| n.starts_with("Approximate")) {
        let qid = q.id.clone();
        let now = inner.now_ms();
        Some(
            inner
                .store
                .read(move |tx| count_messages(tx, &qid, now))
                .await?,
        )
    } else {
        None
    };
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let value = match (n, counts) {
            ("ApproximateNumberOfMessages", Some(c)) => Some(c.visible.to_string()),
            ("ApproximateNumberOfMessagesNotVisible", Some(c)) => Some(c.in_flight.to_string()),
            ("ApproximateNumberOfMessagesDelayed", Some(c)) => Some(c.delayed.to_string()),
            ("CreatedTimestamp", _) => Some(q.created_s.to_string()),
            ("LastModifiedTimestamp", _) => Some(q.modified_s.to_string()),
            ("QueueArn", _) => Some(inner.arn(name)),
            (other, _) => q.attributes.render(other),
        };
        if let Some(v) = value {
            out.push((n, v));
        }
    }
    Ok(out)
}

/// Message counts of one queue at `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub visible: u64,
    pub in_flight: u64,
    pub delayed: u64,
}

pub fn count_messages(
    tx: &mut dyn tessera_store::Tx,
    qid: &str,
    now_ms: u64,
) -> Result<Counts, SqsError> {
    let mut c = Counts {
        visible: 0,
        in_flight: 0,
        delayed: 0,
    };
    for received in [false, true] {
        let bound = db::vis_bound(qid, received, now_ms);
        let visible = tx.count_range(db::NS_VIS, &db::vis_prefix(qid, received), &bound)?;
        let later = tx.count_range(db::NS_VIS, &bound, &db::vis_end(qid, received))?;
        c.visible += visible;
        if received {
            c.in_flight += later;
        } else {
            c.delayed += later;
        }
    }
    Ok(c)
}

pub async fn list(
    inner: &Arc<Inner>,
    caller: &SqsCaller,
    prefix: &str,
    max: Option<usize>,
    next: Option<String>,
) -> Result<(Vec<String>, Option<String>), SqsError> {
    let scan_prefix = format!("{}/{prefix}", caller.account);
    let after = decode_token(next.as_deref(), &scan_prefix)?;
    let limit = max.unwrap_or(1000);
    let mut keys = inner
        .store
        .read(move |tx| {
            let rows = tx.scan(db::NS_QUEUE, &scan_prefix, after.as_deref(), limit + 1)?;
            Ok::<_, SqsError>(rows.into_iter().map(|(k, _)| k).collect::<Vec<_>>())
        })
        .await?;
    let more = keys.len() > limit;
    keys.truncate(limit);
    let token = (more && max.is_some())
        .then(|| keys.last().map(|k| URL_SAFE_NO_PAD.encode(k)))
        .flatten();
    let urls = keys
        .iter()
        .map(|k| format!("{}/{k}", caller.base_url.trim_end_matches('/')))
        .collect();
    Ok((urls, token))
}

fn decode_token(token: Option<&str>, prefix: &str) -> Result<Option<String>, SqsError> {
    let Some(t) = token else { return Ok(None) };
    URL_SAFE_NO_PAD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|k| k.starts_with(prefix.split('/').next().unwrap_or("")))
        .map(Some)
        .ok_or_else(|| SqsError::invalid_value(t, "NextToken", "Invalid NextToken value."))
}

pub async fn dead_letter_sources(
    inner: &Arc<Inner>,
    caller: &SqsCaller,
    name: &QueueName,
    max: Option<usize>,
    next: Option<String>,
) -> Result<(Vec<String>, Option<String>), SqsError> {
    inner.queue(name).await?;
    let arn = inner.arn(name);
    let prefix = format!("{}/", name.account);
    let after = decode_token(next.as_deref(), &prefix)?;
    let limit = max.unwrap_or(1000);
    let (keys, more) = inner
        .store
        .read(move |tx| {
            let mut found = Vec::new();
            let mut cursor = after;
            loop {
                let rows = tx.scan(db::NS_QUEUE, &prefix, cursor.as_deref(), 256)?;
                let Some((last, _)) = rows.last() else {
                    return Ok::<_, SqsError>((found, false));
                };
                cursor = Some(last.clone());
                for (key, value) in rows {
                    let record: QueueRecord = serde_json::from_slice(&value)
                        .map_err(|e| SqsError::Internal(e.to_string()))?;
                    if record
                        .attributes
                        .redrive_policy
                        .as_ref()
                        .is_some_and(|r| r.dead_letter_target_arn == arn)
                    {
                        if found.len() == limit {
                            return Ok((found, true));
                        }
                        found.push(key);
                    }
                }
            }
        })
        .await?;
    let token = (more && max.is_some())
        .then(|| keys.last().map(|k| URL_SAFE_NO_PAD.encode(k)))
        .flatten();
    let urls = keys
        .iter()
        .map(|k| format!("{}/{k}", caller.base_url.trim_end_matches('/')))
        .collect();
    Ok((urls, token))
}

fn check_tags(tags: &BTreeMap<String, String>, existing: usize) -> Result<(), SqsError> {
    if tags.len() + existing > 50 {
        return Err(SqsError::InvalidParameterValue(
            "Too many tags added for queue. A queue can have at most 50 tags.".into(),
        ));
    }
    for (k, v) in tags {
        if k.is_empty() || k.len() > 128 || v.len() > 256 {
            return Err(SqsError::InvalidParameterValue(format!(
                "Tag key or value is invalid: {k}"
            )));
        }
    }
    Ok(())
}

pub async fn tag(
    inner: &Arc<Inner>,
    name: &QueueName,
    tags: BTreeMap<String, String>,
) -> Result<(), SqsError> {
    if tags.is_empty() {
        return Err(SqsError::MissingParameter("Tags".into()));
    }
    check_tags(&tags, 0)?;
    update(inner, name, move |r| {
        let new_keys = tags.keys().filter(|k| !r.tags.contains_key(*k)).count();
        if r.tags.len() + new_keys > 50 {
            return Err(SqsError::InvalidParameterValue(
                "Too many tags added for queue. A queue can have at most 50 tags.".into(),
            ));
        }
        r.tags.extend(tags);
        Ok(())
    })
    .await
}

pub async fn untag(
    inner: &Arc<Inner>,
    name: &QueueName,
    keys: Vec<String>,
) -> Result<(), SqsError> {
    if keys.is_empty() {
        return Err(SqsError::MissingParameter("TagKeys".into()));
    }
    update(inner, name, move |r| {
        for k in &keys {
            r.tags.remove(k);
        }
        Ok(())
    })
    .await
}
