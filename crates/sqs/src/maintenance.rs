//! Background upkeep, in small transactions so that it never stalls senders: removal of deleted
//! and purged queues' messages, retention expiry, expiry of FIFO deduplication and receive-attempt
//! windows and of QueueDeletedRecently markers, and message move tasks. It must never change a
//! live message's visibility.

use std::sync::Arc;
use std::time::Duration;

use crate::db::{self, DedupRecord, QueueRecord};
use crate::message::MessageRecord;
use crate::{movetasks, Inner, SqsError};

const BATCH: usize = 500;
/// Upper bound of batches per queue and pass, so one huge queue cannot starve the others.
const MAX_BATCHES: usize = 50;

/// Where the window-expiry scans left off, so that every entry is visited over time.
#[derive(Default)]
pub struct Cursors {
    dedup: Option<String>,
    attempt: Option<String>,
}

pub async fn run(inner: Arc<Inner>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut cursors = Cursors::default();
    loop {
        tick.tick().await;
        if let Err(e) = pass(&inner, &mut cursors).await {
            tracing::warn!(error = %e, "sqs maintenance pass failed");
        }
    }
}

pub async fn pass(inner: &Arc<Inner>, cursors: &mut Cursors) -> Result<(), SqsError> {
    collect_garbage(inner).await?;
    expire_retention(inner).await?;
    cursors.dedup =
        expire_window::<DedupRecord>(inner, db::NS_DEDUP, cursors.dedup.take(), |d| d.expires_ms)
            .await?;
    cursors.attempt =
        expire_window::<db::AttemptRecord>(inner, db::NS_ATTEMPT, cursors.attempt.take(), |a| {
            a.expires_ms
        })
        .await?;
    expire_deleted_markers(inner).await?;
    movetasks::step(inner).await
}

/// Deletes everything stored under the ids of deleted or purged queues.
async fn collect_garbage(inner: &Arc<Inner>) -> Result<(), SqsError> {
    let ids = inner
        .store
        .read(|tx| Ok::<_, SqsError>(tx.scan(db::NS_GC, "", None, 64)?))
        .await?;
    for (qid, _) in ids {
        for _ in 0..MAX_BATCHES {
            let qid = qid.clone();
            let done = inner
                .store
                .write(move |tx| {
                    let prefix = format!("{qid}/");
                    let mut removed = 0;
                    for ns in [db::NS_MSG, db::NS_VIS, db::NS_DEDUP, db::NS_ATTEMPT] {
                        for (key, _) in tx.scan(ns, &prefix, None, BATCH)? {
                            tx.delete(ns, &key)?;
                            removed += 1;
                        }
                    }
                    if removed == 0 {
                        tx.delete(db::NS_GC, &qid)?;
                    }
                    Ok::<_, SqsError>(removed == 0)
                })
                .await?;
            if done {
                break;
            }
        }
    }
    Ok(())
}

/// Deletes messages older than their queue's retention period, oldest first.
async fn expire_retention(inner: &Arc<Inner>) -> Result<(), SqsError> {
    let mut cursor: Option<String> = None;
    loop {
        let after = cursor.clone();
        let queues = inner
            .store
            .read(move |tx| Ok::<_, SqsError>(tx.scan(db::NS_QUEUE, "", after.as_deref(), 256)?))
            .await?;
        let Some((last, _)) = queues.last() else {
            return Ok(());
        };
        cursor = Some(last.clone());
        for (_, value) in queues {
            let q: QueueRecord = serde_json::from_slice(&value)
                .map_err(|e| SqsError::Internal(format!("corrupt queue: {e}")))?;
            let retention_ms = u64::from(q.attributes.message_retention_period) * 1000;
            // Look on a read snapshot first: most passes find nothing to expire and must not
            // occupy the writer.
            let (qid, now) = (q.id.clone(), inner.now_ms());
            let oldest = inner
                .store
                .read(move |tx| {
                    let rows = tx.scan(db::NS_MSG, &db::msg_prefix(&qid), None, 1)?;
                    Ok::<_, SqsError>(rows.into_iter().next())
                })
                .await?;
            let expired = oldest.is_some_and(|(_, v)| {
                serde_json::from_slice::<MessageRecord>(&v)
                    .is_ok_and(|m| m.sent_ms + retention_ms <= now)
            });
            if !expired {
                continue;
            }
            for _ in 0..MAX_BATCHES {
                let qid = q.id.clone();
                let now = inner.now_ms();
                let finished = inner
                    .store
                    .write(move |tx| {
                        let rows = tx.scan(db::NS_MSG, &db::msg_prefix(&qid), None, BATCH)?;
                        let full = rows.len() == BATCH;
                        for (key, value) in rows {
                            let m: MessageRecord = serde_json::from_slice(&value)
                                .map_err(|e| SqsError::Internal(format!("corrupt message: {e}")))?;
                            if m.sent_ms + retention_ms > now {
                                return Ok::<_, SqsError>(true);
                            }
                            let seq = key
                                .rsplit('/')
                                .next()
                                .and_then(|s| s.parse::<u64>().ok())
                                .unwrap_or(0);
                            db::delete_message(tx, &qid, seq, &m)?;
                        }
                        Ok(!full)
                    })
                    .await?;
                if finished {
                    break;
                }
            }
        }
    }
}

/// Deletes expired entries of a window namespace, examining at most `10 × BATCH` entries after
/// `after`; returns where to continue next time (`None`: start over).
async fn expire_window<T: serde::de::DeserializeOwned + 'static>(
    inner: &Arc<Inner>,
    ns: tessera_store::Namespace,
    after: Option<String>,
    expires: fn(&T) -> u64,
) -> Result<Option<String>, SqsError> {
    let now = inner.now_ms();
    let (expired, next) = inner
        .store
        .read(move |tx| {
            let rows = tx.scan(ns, "", after.as_deref(), 10 * BATCH)?;
            let next = (rows.len() == 10 * BATCH)
                .then(|| rows.last().map(|(k, _)| k.clone()))
                .flatten();
            let expired: Vec<String> = rows
                .into_iter()
                .filter(|(_, v)| {
                    serde_json::from_slice::<T>(v).map_or(true, |r| expires(&r) <= now)
                })
                .map(|(k, _)| k)
                .collect();
            Ok::<_, SqsError>((expired, next))
        })
        .await?;
    if !expired.is_empty() {
        inner
            .store
            .write(move |tx| {
                // Re-checked inside the write: a key may have been renewed since the snapshot.
                for key in expired {
                    let still = db::get::<T>(tx, ns, &key)?.is_none_or(|r| expires(&r) <= now);
                    if still {
                        tx.delete(ns, &key)?;
                    }
                }
                Ok::<_, SqsError>(())
            })
            .await?;
    }
    Ok(next)
}

/// Drops QueueDeletedRecently markers older than the 60-second block.
async fn expire_deleted_markers(inner: &Arc<Inner>) -> Result<(), SqsError> {
    let now = inner.now_ms();
    let old: Vec<String> = inner
        .store
        .read(move |tx| {
            let rows = tx.scan(db::NS_DELETED, "", None, 10 * BATCH)?;
            Ok::<_, SqsError>(
                rows.into_iter()
                    .filter(|(_, v)| {
                        String::from_utf8_lossy(v).parse::<u64>().unwrap_or(0) + 60_000 <= now
                    })
                    .map(|(k, _)| k)
                    .collect(),
            )
        })
        .await?;
    if old.is_empty() {
        return Ok(());
    }
    inner
        .store
        .write(move |tx| {
            for key in old {
                let at = tx
                    .get(db::NS_DELETED, &key)?
                    .map(|v| String::from_utf8_lossy(&v).parse::<u64>().unwrap_or(0));
                if at.is_some_and(|at| at + 60_000 <= now) {
                    tx.delete(db::NS_DELETED, &key)?;
                }
            }
            Ok::<_, SqsError>(())
        })
        .await
}
