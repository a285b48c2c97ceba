//! ReceiveMessage: claiming visible messages in one write transaction (standard queues walk the
//! visibility index from its start and stop at the first future entry; FIFO queues walk messages
//! in sequence order, skipping groups with a message in flight), dead-letter moves on the way,
//! FIFO receive-attempt replays, the long-poll loop, and rendering of requested attributes.
//! It must never hold a lock across an await or return a message whose record says it is not
//! visible.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tessera_store::{TryGet, Tx};
use tokio::time::Instant;

use crate::attributes::RedrivePolicy;
use crate::db::{self, AttemptRecord, QueueRecord};
use crate::handles::Handle;
use crate::md5;
use crate::message::MessageRecord;
use crate::names::QueueName;
use crate::request::ReceiveParams;
use crate::response::ReceivedMessage;
use crate::{wake, Inner, SqsError};

/// System attribute names a receive may ask for (besides `All`).
pub const SYSTEM_ATTRIBUTES: [&str; 9] = [
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
];

const ATTEMPT_WINDOW_MS: u64 = 5 * 60 * 1000;
/// A waiting receive re-checks at least this often, for messages that become visible by time
/// (delays, expired visibility) rather than by a send.
const RECHECK: Duration = Duration::from_secs(1);

/// A claimed message.
pub struct Claim {
    pub seq: u64,
    pub record: MessageRecord,
}

/// What a claim transaction needs to know about the queue.
struct ClaimContext {
    qid: String,
    fifo: bool,
    visibility_ms: u64,
    retention_ms: u64,
    redrive: Option<RedrivePolicy>,
    source_arn: String,
    now: u64,
    max: usize,
    attempt: Option<String>,
}

pub async fn receive(
    inner: &Arc<Inner>,
    name: &QueueName,
    params: ReceiveParams,
) -> Result<Vec<ReceivedMessage>, SqsError> {
    let q = inner.queue(name).await?;
    let wait = params
        .wait
        .unwrap_or(q.attributes.receive_message_wait_time_seconds);
    let deadline = Instant::now() + Duration::from_secs(u64::from(wait));
    let mut first = true;
    loop {
        let q = inner.queue(name).await?;
        let listener = inner.wake.listener(&q.id);
        let notified = listener.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if first || q.attributes.fifo || peek(inner, &q).await? {
            count_inflight(inner, &q).await?;
            let mut room = inner
                .inflight
                .reserve(&q.id, params.max, inner.max_inflight);
            if room.allowed() == 0 {
                // At the in-flight quota: AWS fails a short poll on a standard queue; long
                // polls and FIFO queues just get nothing (after waiting, here).
                if wait == 0 && !q.attributes.fifo {
                    return Err(SqsError::OverLimit(OVER_LIMIT.into()));
                }
            } else {
                let (claims, newly) = claim(inner, &q, name, &params, room.allowed()).await?;
                room.claimed(newly);
                if !claims.is_empty() {
                    return Ok(render(&q, claims, &params));
                }
            }
        }
        first = false;
        let now = Instant::now();
        if now >= deadline {
            return Ok(Vec::new());
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep((deadline - now).min(RECHECK)) => {}
        }
    }
}

/// AWS's words when a short poll meets the in-flight quota.
const OVER_LIMIT: &str = "Too many messages have been received without being deleted. Please delete your received messages or let them timeout before receiving more.";

/// Counts the queue's in-flight slice of the visibility index when this node's count is stale
/// (see `inflight`).
async fn count_inflight(inner: &Arc<Inner>, q: &QueueRecord) -> Result<(), SqsError> {
    let now = inner.now_ms();
    if inner.inflight.needs_count(&q.id, now) {
        let qid = q.id.clone();
        let count = inner
            .store
            .read(move |tx| {
                Ok::<_, SqsError>(tx.count_range(
                    db::NS_VIS,
                    &db::vis_bound(&qid, true, now),
                    &db::vis_end(&qid, true),
                )?)
            })
            .await?;
        inner.inflight.counted(&q.id, count, now);
    }
    Ok(())
}

/// Whether a standard queue has a visible message, on a read snapshot (no writer round trip).
async fn peek(inner: &Arc<Inner>, q: &QueueRecord) -> Result<bool, SqsError> {
    let qid = q.id.clone();
    let now = inner.now_ms();
    inner
        .store
        .read_short(move |tx| {
            for received in [true, false] {
                let rows = tx.scan(db::NS_VIS, &db::vis_prefix(&qid, received), None, 1)?;
                if let Some((vis, _)) = rows.first().and_then(|(k, _)| db::parse_vis_key(k)) {
                    if vis <= now {
                        return Ok(true);
                    }
                }
            }
            Ok(false)
        })
        .await
}

/// Claims up to `max` messages; returns them and how many of them went in flight now (a
/// replayed FIFO receive attempt returns messages already in flight).
async fn claim(
    inner: &Arc<Inner>,
    q: &QueueRecord,
    name: &QueueName,
    params: &ReceiveParams,
    max: usize,
) -> Result<(Vec<Claim>, usize), SqsError> {
    let a = &q.attributes;
    let ctx = ClaimContext {
        qid: q.id.clone(),
        fifo: a.fifo,
        visibility_ms: u64::from(params.visibility.unwrap_or(a.visibility_timeout)) * 1000,
        retention_ms: u64::from(a.message_retention_period) * 1000,
        redrive: a.redrive_policy.clone(),
        source_arn: inner.arn(name),
        now: inner.now_ms(),
        max,
        attempt: params.attempt_id.clone().filter(|_| a.fifo),
    };
    let inner2 = Arc::clone(inner);
    let (claims, newly, dead_letter_queues) = inner
        .store
        .write(move |tx| {
            let mut dlqs = Vec::new();
            if let Some(replay) = replay_attempt(tx, &ctx)? {
                return Ok((replay, 0, dlqs));
            }
            let claims = if ctx.fifo {
                claim_fifo(tx, &ctx, &inner2, &mut dlqs)?
            } else {
                claim_standard(tx, &ctx, &inner2, &mut dlqs)?
            };
            if let Some(attempt) = &ctx.attempt {
                db::put(
                    tx,
                    db::NS_ATTEMPT,
                    &format!("{}/{attempt}", ctx.qid),
                    &AttemptRecord {
                        expires_ms: ctx.now + ATTEMPT_WINDOW_MS,
                        messages: claims.iter().map(|c| (c.seq, c.record.nonce)).collect(),
                    },
                )?;
            }
            let newly = claims.len();
            Ok::<_, SqsError>((claims, newly, dlqs))
        })
        .await
        .inspect_err(|e| {
            if matches!(e, SqsError::Internal(_) | SqsError::Conflict(_)) {
                inner.seq.commit_failed();
            }
        })?;
    for qid in dead_letter_queues {
        inner.wake.ring(&qid);
    }
    Ok((claims, newly))
}

/// A retried FIFO receive attempt gets the same messages while they are still in flight from it.
fn replay_attempt(tx: &mut dyn Tx, ctx: &ClaimContext) -> Result<Option<Vec<Claim>>, SqsError> {
    let Some(attempt) = &ctx.attempt else {
        return Ok(None);
    };
    let key = format!("{}/{attempt}", ctx.qid);
    let Some(record) = db::get::<AttemptRecord>(tx, db::NS_ATTEMPT, &key)? else {
        return Ok(None);
    };
    if record.expires_ms <= ctx.now {
        tx.delete(db::NS_ATTEMPT, &key)?;
        return Ok(None);
    }
    let mut claims = Vec::with_capacity(record.messages.len());
    for (seq, nonce) in record.messages {
        match db::get::<MessageRecord>(tx, db::NS_MSG, &db::msg_key(&ctx.qid, seq))? {
            Some(m) if m.nonce == nonce && m.visible_at_ms > ctx.now => {
                claims.push(Claim { seq, record: m });
            }
            _ => return Ok(None),
        }
    }
    Ok(Some(claims))
}

fn claim_standard(
    tx: &mut dyn Tx,
    ctx: &ClaimContext,
    inner: &Inner,
    dlqs: &mut Vec<String>,
) -> Result<Vec<Claim>, SqsError> {
    let mut out = Vec::new();
    for received in [true, false] {
        let prefix = db::vis_prefix(&ctx.qid, received);
        let mut cursor: Option<String> = None;
        'scan: while out.len() < ctx.max {
            let rows = tx.scan(db::NS_VIS, &prefix, cursor.as_deref(), 32)?;
            let Some((last, _)) = rows.last() else { break };
            cursor = Some(last.clone());
            for (key, _) in rows {
                let Some((vis, seq)) = db::parse_vis_key(&key) else {
                    continue;
                };
                if vis > ctx.now {
                    break 'scan;
                }
                // Another node claiming this very message right now: skip it rather than wait
                // (waiting behind each other's batches is how two nodes deadlock).
                let record = match tx.get_unless_locked(db::NS_MSG, &db::msg_key(&ctx.qid, seq))? {
                    TryGet::Locked => continue,
                    TryGet::Missing => None,
                    TryGet::Found(bytes) => Some(db::decode::<MessageRecord>(&bytes)?),
                };
                // The record is the authority: drop index entries that no longer match it.
                let Some(record) = record.filter(|m| db::vis_key(&ctx.qid, m, seq) == key) else {
                    tx.delete(db::NS_VIS, &key)?;
                    continue;
                };
                if record.visible_at_ms > ctx.now {
                    continue;
                }
                if let Some(c) = consider(tx, ctx, inner, seq, record, dlqs)? {
                    out.push(c);
                    if out.len() == ctx.max {
                        break 'scan;
                    }
                }
            }
        }
    }
    Ok(out)
}

fn claim_fifo(
    tx: &mut dyn Tx,
    ctx: &ClaimContext,
    inner: &Inner,
    dlqs: &mut Vec<String>,
) -> Result<Vec<Claim>, SqsError> {
    let mut out = Vec::new();
    let mut blocked: HashSet<String> = HashSet::new();
    let prefix = db::msg_prefix(&ctx.qid);
    let mut cursor: Option<String> = None;
    'scan: loop {
        let rows = tx.scan(db::NS_MSG, &prefix, cursor.as_deref(), 64)?;
        let Some((last, _)) = rows.last() else { break };
        cursor = Some(last.clone());
        for (key, value) in rows {
            let Some(seq) = key.rsplit('/').next().and_then(|s| s.parse::<u64>().ok()) else {
                continue;
            };
            let record: MessageRecord = serde_json::from_slice(&value)
                .map_err(|e| SqsError::Internal(format!("corrupt message {key}: {e}")))?;
            let group = record.group_id.clone().unwrap_or_default();
            if blocked.contains(&group) {
                continue;
            }
            if record.visible_at_ms > ctx.now {
                // In flight or delayed: later messages of its group must wait.
                blocked.insert(group);
                continue;
            }
            if out.len() == ctx.max {
                break 'scan;
            }
            // The scan read without locks: re-read the record locked. If another node is
            // claiming it right now, its group is taken (order within a group must hold).
            let record = match tx.get_unless_locked(db::NS_MSG, &key)? {
                TryGet::Missing => continue,
                TryGet::Locked => {
                    blocked.insert(group);
                    continue;
                }
                TryGet::Found(bytes) => db::decode::<MessageRecord>(&bytes)?,
            };
            if record.visible_at_ms > ctx.now {
                blocked.insert(group);
                continue;
            }
            if let Some(c) = consider(tx, ctx, inner, seq, record, dlqs)? {
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// Claims one visible message, unless it has expired (deleted) or exceeded its receive count
/// (moved to the dead-letter queue).
fn consider(
    tx: &mut dyn Tx,
    ctx: &ClaimContext,
    inner: &Inner,
    seq: u64,
    mut m: MessageRecord,
    dlqs: &mut Vec<String>,
) -> Result<Option<Claim>, SqsError> {
    if m.sent_ms + ctx.retention_ms <= ctx.now {
        db::delete_message(tx, &ctx.qid, seq, &m)?;
        return Ok(None);
    }
    if let Some(redrive) = &ctx.redrive {
        if m.receive_count >= redrive.max_receive_count {
            if let Some(dlq) = move_to_dead_letter(tx, ctx, inner, seq, &m, redrive)? {
                dlqs.push(dlq);
                return Ok(None);
            }
        }
    }
    let old_key = db::vis_key(&ctx.qid, &m, seq);
    m.received = true;
    m.receive_count += 1;
    m.first_receive_ms.get_or_insert(ctx.now);
    m.last_receive_ms = Some(ctx.now);
    m.visible_at_ms = ctx.now + ctx.visibility_ms;
    m.nonce = rand::thread_rng().gen::<u64>() | 1;
    db::rewrite_message(tx, &ctx.qid, seq, &old_key, &m)?;
    Ok(Some(Claim { seq, record: m }))
}

/// Moves a message to the dead-letter queue; `None` if that queue no longer exists (the message
/// then stays, as on AWS).
fn move_to_dead_letter(
    tx: &mut dyn Tx,
    ctx: &ClaimContext,
    inner: &Inner,
    seq: u64,
    m: &MessageRecord,
    redrive: &RedrivePolicy,
) -> Result<Option<String>, SqsError> {
    let Some(target) = QueueName::from_arn(&redrive.dead_letter_target_arn) else {
        return Ok(None);
    };
    let Some(dlq) = db::get::<QueueRecord>(tx, db::NS_QUEUE, &db::queue_key(&target))? else {
        return Ok(None);
    };
    db::delete_message(tx, &ctx.qid, seq, m)?;
    let mut moved = m.clone();
    moved.received = false;
    moved.receive_count = 0;
    moved.first_receive_ms = None;
    moved.last_receive_ms = None;
    moved.visible_at_ms = ctx.now;
    moved.nonce = 0;
    moved.dead_letter_source_arn = Some(ctx.source_arn.clone());
    let new_seq = inner.seq.take(tx, 1)?;
    db::put_message(tx, &dlq.id, new_seq, &moved)?;
    tx.notify(wake::CHANNEL, &dlq.id)?;
    Ok(Some(dlq.id))
}

fn render(q: &QueueRecord, claims: Vec<Claim>, p: &ReceiveParams) -> Vec<ReceivedMessage> {
    let all_system = p.system_attributes.iter().any(|a| a == "All");
    let want = |name: &str| all_system || p.system_attributes.iter().any(|a| a == name);
    let all_user = p.message_attributes.iter().any(|a| a == "All" || a == ".*");
    claims
        .into_iter()
        .map(|Claim { seq, record: m }| {
            let mut attributes = Vec::new();
            let mut add = |name: &'static str, value: Option<String>| {
                if let Some(v) = value.filter(|_| want(name)) {
                    attributes.push((name, v));
                }
            };
            add("SenderId", Some(m.sender_id.clone()));
            add("SentTimestamp", Some(m.sent_ms.to_string()));
            add("ApproximateReceiveCount", Some(m.receive_count.to_string()));
            add(
                "ApproximateFirstReceiveTimestamp",
                m.first_receive_ms.map(|t| t.to_string()),
            );
            add(
                "SequenceNumber",
                q.attributes.fifo.then(|| format!("{seq:020}")),
            );
            add("MessageDeduplicationId", m.dedup_id.clone());
            add("MessageGroupId", m.group_id.clone());
            add("AWSTraceHeader", m.trace_header.clone());
            add("DeadLetterQueueSourceArn", m.dead_letter_source_arn.clone());
            let selected: std::collections::BTreeMap<_, _> = m
                .attributes
                .iter()
                .filter(|(name, _)| all_user || wanted_attribute(&p.message_attributes, name))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let md5_attributes = if selected.len() == m.attributes.len() {
                m.md5_attributes.clone()
            } else {
                md5::attributes_md5(selected.iter().map(|(k, v)| (k.as_str(), v)))
            };
            ReceivedMessage {
                message_id: m.id,
                receipt_handle: Handle::for_message(&q.id, seq, m.nonce).encode(),
                md5_body: m.md5_body,
                body: m.body,
                attributes,
                md5_attributes,
                message_attributes: selected,
            }
        })
        .collect()
}

/// `name` exactly, or a `prefix.*` pattern.
fn wanted_attribute(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| match p.strip_suffix(".*") {
        Some(prefix) => name
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.')),
        None => p == name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_name_patterns() {
        let p = vec!["exact".to_owned(), "bar.*".to_owned()];
        assert!(wanted_attribute(&p, "exact"));
        assert!(wanted_attribute(&p, "bar.baz"));
        assert!(!wanted_attribute(&p, "barbaz"));
        assert!(!wanted_attribute(&p, "exactly"));
    }
}
