//! Receipt handles and what they authorize: DeleteMessage(Batch) and
//! ChangeMessageVisibility(Batch). A handle names the queue id, the message's sequence number and
//! the nonce of the receive that produced it; only the latest receive's handle acts on a message.
//! It must never hand out handles (receive does) or look at messages it was not pointed to.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::db::{self, QueueRecord};
use crate::message::MessageRecord;
use crate::{wake, Inner, SqsError};

const VERSION: u8 = 1;

/// What a receipt handle points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handle {
    pub qid: u64,
    pub seq: u64,
    pub nonce: u64,
}

impl Handle {
    pub fn encode(&self) -> String {
        let mut b = Vec::with_capacity(25);
        b.push(VERSION);
        b.extend_from_slice(&self.qid.to_be_bytes());
        b.extend_from_slice(&self.seq.to_be_bytes());
        b.extend_from_slice(&self.nonce.to_be_bytes());
        STANDARD.encode(b)
    }

    pub fn decode(text: &str) -> Result<Handle, SqsError> {
        let invalid = || {
            SqsError::ReceiptHandleIsInvalid(format!(
                "The input receipt handle \"{text}\" is not a valid receipt handle."
            ))
        };
        let b = STANDARD.decode(text.trim()).map_err(|_| invalid())?;
        if b.len() != 25 || b[0] != VERSION {
            return Err(invalid());
        }
        let word = |i: usize| {
            b.get(i..i + 8)
                .and_then(|s| <[u8; 8]>::try_from(s).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(invalid)
        };
        Ok(Handle {
            qid: word(1)?,
            seq: word(9)?,
            nonce: word(17)?,
        })
    }

    pub fn for_message(qid: &str, seq: u64, nonce: u64) -> Handle {
        Handle {
            qid: u64::from_str_radix(qid, 16).unwrap_or(0),
            seq,
            nonce,
        }
    }
}

/// Decodes a handle and checks it belongs to this queue (a handle of a deleted, purged or other
/// queue is invalid here).
fn decode_for(q: &QueueRecord, text: &str) -> Result<Handle, SqsError> {
    let h = Handle::decode(text)?;
    if format!("{:016x}", h.qid) != q.id {
        return Err(SqsError::ReceiptHandleIsInvalid(format!(
            "The input receipt handle \"{text}\" is not a valid receipt handle."
        )));
    }
    Ok(h)
}

/// Deletes by handle, one transaction for all entries. A stale handle (the message was received
/// again since) succeeds without deleting, as AWS documents; so does an already deleted message.
pub async fn delete(
    inner: &Arc<Inner>,
    q: &Arc<QueueRecord>,
    entries: Vec<Result<String, SqsError>>,
) -> Result<Vec<Result<(), SqsError>>, SqsError> {
    let decoded: Vec<Result<Handle, SqsError>> = entries
        .into_iter()
        .map(|e| e.and_then(|t| decode_for(q, &t)))
        .collect();
    if decoded.iter().all(Result::is_err) {
        return Ok(decoded.into_iter().map(|r| r.map(|_| ())).collect());
    }
    let qid = q.id.clone();
    let now = inner.now_ms();
    let (results, released) = inner
        .store
        .write(move |tx| {
            let mut out = Vec::with_capacity(decoded.len());
            let mut released = 0;
            for h in decoded {
                let h = match h {
                    Ok(h) => h,
                    Err(e) => {
                        out.push(Err(e));
                        continue;
                    }
                };
                let key = db::msg_key(&qid, h.seq);
                if let Some(m) = db::get::<MessageRecord>(tx, db::NS_MSG, &key)? {
                    if m.received && m.nonce == h.nonce {
                        db::delete_message(tx, &qid, h.seq, &m)?;
                        if m.visible_at_ms > now {
                            released += 1;
                        }
                    }
                }
                out.push(Ok(()));
            }
            Ok::<_, SqsError>((out, released))
        })
        .await?;
    inner.inflight.release(&q.id, released);
    Ok(results)
}

/// How far past its latest receive a message's visibility may reach (AWS: 12 hours).
const MAX_VISIBILITY_MS: u64 = 43_200 * 1000;

/// Changes the visibility of in-flight messages, one transaction for all entries.
pub async fn change_visibility(
    inner: &Arc<Inner>,
    q: &Arc<QueueRecord>,
    entries: Vec<Result<(String, u32), SqsError>>,
) -> Result<Vec<Result<(), SqsError>>, SqsError> {
    let decoded: Vec<Result<(String, Handle, u32), SqsError>> = entries
        .into_iter()
        .map(|e| e.and_then(|(t, v)| Ok((t.clone(), decode_for(q, &t)?, v))))
        .collect();
    if decoded.iter().all(Result::is_err) {
        return Ok(decoded.into_iter().map(|r| r.map(|_| ())).collect());
    }
    let qid = q.id.clone();
    let now = inner.now_ms();
    let (results, released) = inner
        .store
        .write(move |tx| {
            let mut out = Vec::with_capacity(decoded.len());
            let mut released = 0;
            for d in decoded {
                let (text, h, timeout) = match d {
                    Ok(d) => d,
                    Err(e) => {
                        out.push(Err(e));
                        continue;
                    }
                };
                let key = db::msg_key(&qid, h.seq);
                let Some(mut m) = db::get::<MessageRecord>(tx, db::NS_MSG, &key)? else {
                    out.push(Err(SqsError::invalid_value(
                        &text,
                        "ReceiptHandle",
                        "Message does not exist or is not available for visibility timeout change.",
                    )));
                    continue;
                };
                if m.nonce != h.nonce || !m.received {
                    out.push(Err(SqsError::ReceiptHandleIsInvalid(format!(
                        "The input receipt handle \"{text}\" is not a valid receipt handle."
                    ))));
                    continue;
                }
                if m.visible_at_ms <= now {
                    out.push(Err(SqsError::MessageNotInflight));
                    continue;
                }
                let visible_at_ms = now + u64::from(timeout) * 1000;
                // Extending never resets the clock: the cap counts from the latest receive.
                if m
                    .last_receive_ms
                    .is_some_and(|at| visible_at_ms > at + MAX_VISIBILITY_MS)
                {
                    out.push(Err(SqsError::invalid_value(
                        &timeout.to_string(),
                        "VisibilityTimeout",
                        "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
                    )));
                    continue;
                }
                let old_key = db::vis_key(&qid, &m, h.seq);
                m.visible_at_ms = visible_at_ms;
                db::rewrite_message(tx, &qid, h.seq, &old_key, &m)?;
                if timeout == 0 {
                    if released == 0 {
                        tx.notify(wake::CHANNEL, &qid)?;
                    }
                    released += 1;
                }
                out.push(Ok(()));
            }
            Ok::<_, SqsError>((out, released))
        })
        .await?;
    if released > 0 {
        inner.inflight.release(&q.id, released);
        inner.wake.ring(&q.id);
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_round_trip_and_reject_garbage() {
        let h = Handle::for_message("00000000000000ff", 42, 7);
        assert_eq!(h.qid, 255);
        assert_eq!(Handle::decode(&h.encode()).unwrap(), h);
        for bad in ["", "!!!", "AAAA", &STANDARD.encode([2u8; 25])] {
            assert!(matches!(
                Handle::decode(bad),
                Err(SqsError::ReceiptHandleIsInvalid(_))
            ));
        }
    }
}
