//! Message move tasks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask): moving
//! messages out of a dead-letter queue back to their source (or to a chosen destination), in
//! small batches driven by the maintenance loop. It owns the task records; it must never move a
//! message that is in flight.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tessera_store::Tx;

use crate::db::{self, QueueRecord};
use crate::message::MessageRecord;
use crate::names::QueueName;
use crate::response::TaskView;
use crate::{queues, wake, Inner, SqsError};

const RUNNING: &str = "RUNNING";
const MAX_PER_STEP: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TaskRecord {
    source_arn: String,
    destination_arn: Option<String>,
    rate: Option<u32>,
    status: String,
    moved: u64,
    to_move: u64,
    started_ms: u64,
    failure: Option<String>,
}

fn task_key(source_arn: &str, started_ms: u64, id: &str) -> String {
    format!("{source_arn}/{started_ms:013}/{id}")
}

fn not_found() -> SqsError {
    SqsError::ResourceNotFound("Task does not exist.".into())
}

/// The source queue a task handle belongs to (for authorization).
pub fn handle_queue(handle: &str) -> Result<QueueName, SqsError> {
    let key = decode_handle(handle)?;
    key.split_once('/')
        .and_then(|(arn, _)| QueueName::from_arn(arn))
        .ok_or_else(not_found)
}

fn decode_handle(handle: &str) -> Result<String, SqsError> {
    URL_SAFE_NO_PAD
        .decode(handle)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(not_found)
}

pub async fn start(
    inner: &Arc<Inner>,
    source: &QueueName,
    source_arn: String,
    destination_arn: Option<String>,
    rate: Option<u32>,
) -> Result<String, SqsError> {
    let missing = |what: &str| {
        SqsError::ResourceNotFound(format!(
            "The resource that you specified for the {what} parameter doesn't exist."
        ))
    };
    let q = match inner.queue(source).await {
        Ok(q) => q,
        Err(SqsError::QueueDoesNotExist) => return Err(missing("SourceArn")),
        Err(e) => return Err(e),
    };
    if let Some(dest) = &destination_arn {
        let name = QueueName::from_arn(dest).ok_or_else(|| missing("DestinationArn"))?;
        match inner.queue(&name).await {
            Ok(_) => {}
            Err(SqsError::QueueDoesNotExist) => return Err(missing("DestinationArn")),
            Err(e) => return Err(e),
        }
    }
    let now = inner.now_ms();
    let id = queues::new_queue_id();
    let key = task_key(&source_arn, now, &id);
    let prefix = format!("{source_arn}/");
    let qid = q.id.clone();
    let task_key = key.clone();
    inner
        .store
        .write(move |tx| {
            for (_, value) in tx.scan(db::NS_TASK, &prefix, None, 10_000)? {
                let t: TaskRecord = decode(&value)?;
                if t.status == RUNNING {
                    return Err(SqsError::UnsupportedOperation(
                        "There is already a task running. Only one active task is allowed for each source queue arn at a given time.".into(),
                    ));
                }
            }
            let counts = queues::count_messages(tx, &qid, now)?;
            let record = TaskRecord {
                source_arn,
                destination_arn,
                rate,
                status: RUNNING.into(),
                moved: 0,
                to_move: counts.visible + counts.in_flight + counts.delayed,
                started_ms: now,
                failure: None,
            };
            db::put(tx, db::NS_TASK, &task_key, &record)
        })
        .await?;
    Ok(URL_SAFE_NO_PAD.encode(key))
}

fn decode(value: &[u8]) -> Result<TaskRecord, SqsError> {
    serde_json::from_slice(value).map_err(|e| SqsError::Internal(format!("corrupt task: {e}")))
}

pub async fn list(
    inner: &Arc<Inner>,
    source: &QueueName,
    max: usize,
) -> Result<Vec<TaskView>, SqsError> {
    if let Err(SqsError::QueueDoesNotExist) = inner.queue(source).await {
        return Err(SqsError::ResourceNotFound(
            "The resource that you specified for the SourceArn parameter doesn't exist.".into(),
        ));
    }
    let prefix = format!("{}/", inner.arn(source));
    let rows = inner
        .store
        .read(move |tx| Ok::<_, SqsError>(tx.scan(db::NS_TASK, &prefix, None, 10_000)?))
        .await?;
    let mut out = Vec::new();
    for (key, value) in rows.iter().rev().take(max) {
        let t = decode(value)?;
        out.push(TaskView {
            handle: (t.status == RUNNING).then(|| URL_SAFE_NO_PAD.encode(key)),
            status: t.status,
            source_arn: t.source_arn,
            destination_arn: t.destination_arn,
            rate: t.rate,
            moved: t.moved,
            to_move: Some(t.to_move),
            failure: t.failure,
            started_ms: t.started_ms,
        });
    }
    Ok(out)
}

pub async fn cancel(inner: &Arc<Inner>, handle: &str) -> Result<u64, SqsError> {
    let key = decode_handle(handle)?;
    inner
        .store
        .write(move |tx| {
            let mut t: TaskRecord = db::get(tx, db::NS_TASK, &key)?.ok_or_else(not_found)?;
            if t.status != RUNNING {
                return Err(SqsError::ResourceNotFound(
                    "Only active tasks can be cancelled.".into(),
                ));
            }
            t.status = "CANCELLED".into();
            db::put(tx, db::NS_TASK, &key, &t)?;
            Ok(t.moved)
        })
        .await
}

/// Advances every running task by one batch.
pub async fn step(inner: &Arc<Inner>) -> Result<(), SqsError> {
    let rows = inner
        .store
        .read(|tx| Ok::<_, SqsError>(tx.scan(db::NS_TASK, "", None, 100_000)?))
        .await?;
    for (key, value) in rows {
        if decode(&value)?.status != RUNNING {
            continue;
        }
        let now = inner.now_ms();
        let inner2 = Arc::clone(inner);
        let woken = inner
            .store
            .write(move |tx| advance(tx, &inner2, &key, now))
            .await?;
        for qid in woken {
            inner.wake.ring(&qid);
        }
    }
    Ok(())
}

/// One batch of one task, inside a write transaction. Returns the queue ids that got messages.
fn advance(tx: &mut dyn Tx, inner: &Inner, key: &str, now: u64) -> Result<Vec<String>, SqsError> {
    let Some(mut t) = db::get::<TaskRecord>(tx, db::NS_TASK, key)? else {
        return Ok(Vec::new());
    };
    if t.status != RUNNING {
        return Ok(Vec::new());
    }
    let source = QueueName::from_arn(&t.source_arn)
        .map(|n| db::queue_key(&n))
        .map(|k| db::get::<QueueRecord>(tx, db::NS_QUEUE, &k))
        .transpose()?
        .flatten();
    let Some(source) = source else {
        t.status = "FAILED".into();
        t.failure = Some("AWS.SimpleQueueService.NonExistentQueue".into());
        db::put(tx, db::NS_TASK, key, &t)?;
        return Ok(Vec::new());
    };
    let limit = t
        .rate
        .map_or(MAX_PER_STEP, |r| r as usize)
        .min(MAX_PER_STEP);
    let rows = tx.scan(db::NS_MSG, &db::msg_prefix(&source.id), None, limit)?;
    let mut woken = Vec::new();
    for (msg_key, value) in &rows {
        let Some(seq) = msg_key
            .rsplit('/')
            .next()
            .and_then(|s| s.parse::<u64>().ok())
        else {
            continue;
        };
        let m: MessageRecord = serde_json::from_slice(value)
            .map_err(|e| SqsError::Internal(format!("corrupt message: {e}")))?;
        if m.visible_at_ms > now {
            continue;
        }
        let dest_arn = t
            .destination_arn
            .clone()
            .or_else(|| m.dead_letter_source_arn.clone());
        let dest = dest_arn
            .as_deref()
            .and_then(QueueName::from_arn)
            .map(|n| db::get::<QueueRecord>(tx, db::NS_QUEUE, &db::queue_key(&n)))
            .transpose()?
            .flatten();
        let Some(dest) = dest else { continue };
        db::delete_message(tx, &source.id, seq, &m)?;
        let mut moved = m;
        moved.received = false;
        moved.receive_count = 0;
        moved.first_receive_ms = None;
        moved.last_receive_ms = None;
        moved.visible_at_ms = now;
        moved.nonce = 0;
        moved.dead_letter_source_arn = None;
        let new_seq = inner.seq.take(tx, 1)?;
        db::put_message(tx, &dest.id, new_seq, &moved)?;
        t.moved += 1;
        if !woken.contains(&dest.id) {
            tx.notify(wake::CHANNEL, &dest.id)?;
            woken.push(dest.id);
        }
    }
    if rows.len() < limit && woken.is_empty() || t.moved >= t.to_move {
        t.status = "COMPLETED".into();
    }
    db::put(tx, db::NS_TASK, key, &t)?;
    Ok(woken)
}
