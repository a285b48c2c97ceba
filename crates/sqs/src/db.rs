//! The storage layout of SQS in tessera's key-value store, and typed access to it.
//!
//! Namespaces and keys (`qid` is a queue's internal id, never reused, so a queue deleted and
//! created again never sees old messages):
//! - `sqs.queue`  `{account}/{name}` → [`QueueRecord`] (JSON)
//! - `sqs.qid`    `{qid}` → `{account}/{name}`: the id is live (sends check it in their tx)
//! - `sqs.deleted` `{account}/{name}` → deletion time in ms (QueueDeletedRecently)
//! - `sqs.gc`     `{qid}` → "": ids whose messages the maintenance task removes in batches
//! - `sqs.msg`    `{qid}/{seq:020}` → [`MessageRecord`] (JSON)
//! - `sqs.vis`    `{qid}/{n|i}/{visible_at_ms:013}/{seq:020}` → "": the visibility index; `n`
//!   for never-received messages (delayed while in the future), `i` for received ones (in flight
//!   while in the future). Counting a slice gives the Approximate* attributes.
//! - `sqs.dedup`  `{qid}/{scope}/{dedup id}` → [`DedupRecord`]: FIFO deduplication window
//! - `sqs.attempt` `{qid}/{attempt id}` → [`AttemptRecord`]: FIFO ReceiveRequestAttemptId
//! - `sqs.task`   `{task handle}` → move task record
//! - `sqs.meta`   `seq_ceiling` → the sequence numbers reserved so far
//!
//! It owns keys and record formats; it must never decide AWS semantics.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tessera_store::{Namespace, Tx};

use crate::attributes::QueueAttributes;
use crate::message::MessageRecord;
use crate::names::QueueName;
use crate::SqsError;

pub const NS_QUEUE: Namespace = "sqs.queue";
pub const NS_QID: Namespace = "sqs.qid";
pub const NS_DELETED: Namespace = "sqs.deleted";
pub const NS_GC: Namespace = "sqs.gc";
pub const NS_MSG: Namespace = "sqs.msg";
pub const NS_VIS: Namespace = "sqs.vis";
pub const NS_DEDUP: Namespace = "sqs.dedup";
pub const NS_ATTEMPT: Namespace = "sqs.attempt";
pub const NS_TASK: Namespace = "sqs.task";
pub const NS_META: Namespace = "sqs.meta";

/// One queue's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRecord {
    pub id: String,
    pub account: String,
    pub name: String,
    pub created_s: u64,
    pub modified_s: u64,
    pub attributes: QueueAttributes,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub last_purge_ms: Option<u64>,
}

/// A FIFO deduplication entry: a repeated send inside the window answers with the original.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DedupRecord {
    pub expires_ms: u64,
    pub message_id: String,
    pub seq: u64,
}

/// A FIFO receive attempt: retrying it inside the window returns the same messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRecord {
    pub expires_ms: u64,
    /// (seq, nonce) of the messages the attempt received.
    pub messages: Vec<(u64, u64)>,
}

pub fn queue_key(q: &QueueName) -> String {
    format!("{}/{}", q.account, q.name)
}

pub fn msg_key(qid: &str, seq: u64) -> String {
    format!("{qid}/{seq:020}")
}

pub fn msg_prefix(qid: &str) -> String {
    format!("{qid}/")
}

/// The visibility-index key of a message.
pub fn vis_key(qid: &str, m: &MessageRecord, seq: u64) -> String {
    vis_key_of(qid, m.received, m.visible_at_ms, seq)
}

fn vis_key_of(qid: &str, received: bool, visible_at_ms: u64, seq: u64) -> String {
    format!("{qid}/{}/{visible_at_ms:013}/{seq:020}", state(received))
}

pub fn vis_prefix(qid: &str, received: bool) -> String {
    format!("{qid}/{}/", state(received))
}

/// The first key after every `vis_prefix(qid, received)` key ('0' follows '/').
pub fn vis_end(qid: &str, received: bool) -> String {
    format!("{qid}/{}0", state(received))
}

/// The first index key whose time is after `now_ms`.
pub fn vis_bound(qid: &str, received: bool, now_ms: u64) -> String {
    format!("{qid}/{}/{:013}", state(received), now_ms + 1)
}

fn state(received: bool) -> char {
    if received {
        'i'
    } else {
        'n'
    }
}

/// (visible_at_ms, seq) of a visibility-index key.
pub fn parse_vis_key(key: &str) -> Option<(u64, u64)> {
    let mut parts = key.rsplitn(3, '/');
    let seq = parts.next()?.parse().ok()?;
    let vis = parts.next()?.parse().ok()?;
    Some((vis, seq))
}

pub fn get<T: DeserializeOwned>(
    tx: &mut dyn Tx,
    ns: Namespace,
    key: &str,
) -> Result<Option<T>, SqsError> {
    match tx.get(ns, key)? {
        Some(bytes) => decode(&bytes).map(Some),
        None => Ok(None),
    }
}

/// A stored record.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SqsError> {
    serde_json::from_slice(bytes).map_err(|e| SqsError::Internal(format!("corrupt record: {e}")))
}

pub fn put<T: Serialize>(
    tx: &mut dyn Tx,
    ns: Namespace,
    key: &str,
    value: &T,
) -> Result<(), SqsError> {
    let bytes = serde_json::to_vec(value).map_err(|e| SqsError::Internal(e.to_string()))?;
    tx.put(ns, key, &bytes)?;
    Ok(())
}

/// Writes a message record and its index entry.
pub fn put_message(
    tx: &mut dyn Tx,
    qid: &str,
    seq: u64,
    m: &MessageRecord,
) -> Result<(), SqsError> {
    put(tx, NS_MSG, &msg_key(qid, seq), m)?;
    tx.put(NS_VIS, &vis_key(qid, m, seq), b"")?;
    Ok(())
}

/// Writes a new (never received) message whose record was serialized outside the transaction,
/// so that the store's writer only copies bytes.
pub fn put_new_message(
    tx: &mut dyn Tx,
    qid: &str,
    seq: u64,
    record_json: &[u8],
    visible_at_ms: u64,
) -> Result<(), SqsError> {
    tx.put(NS_MSG, &msg_key(qid, seq), record_json)?;
    tx.put(
        NS_VIS,
        &format!("{qid}/n/{visible_at_ms:013}/{seq:020}"),
        b"",
    )?;
    Ok(())
}

/// Removes a message record and its index entry.
pub fn delete_message(
    tx: &mut dyn Tx,
    qid: &str,
    seq: u64,
    m: &MessageRecord,
) -> Result<(), SqsError> {
    tx.delete(NS_MSG, &msg_key(qid, seq))?;
    tx.delete(NS_VIS, &vis_key(qid, m, seq))?;
    Ok(())
}

/// Stores a changed message record; `old_vis_key` is its index key before the change, moved if
/// its visibility or state changed.
pub fn rewrite_message(
    tx: &mut dyn Tx,
    qid: &str,
    seq: u64,
    old_vis_key: &str,
    m: &MessageRecord,
) -> Result<(), SqsError> {
    let new_key = vis_key(qid, m, seq);
    if old_vis_key != new_key {
        tx.delete(NS_VIS, old_vis_key)?;
        tx.put(NS_VIS, &new_key, b"")?;
    }
    put(tx, NS_MSG, &msg_key(qid, seq), m)
}

/// Sequence numbers, unique and increasing without a write per message: numbers are handed out
/// from memory inside write transactions (which a node's store writer runs one at a time, in
/// commit order) from a block reserved in the store. Reserving reads the stored ceiling and writes
/// a higher one in the same transaction, so every committed number lies below a committed ceiling
/// and two nodes sharing a database never reserve the same block.
pub struct SeqAllocator {
    next: AtomicU64,
    ceiling: AtomicU64,
}

const SEQ_BLOCK: u64 = 100_000;
const CEILING_KEY: &str = "seq_ceiling";

impl SeqAllocator {
    pub fn new() -> Self {
        SeqAllocator {
            next: AtomicU64::new(1),
            ceiling: AtomicU64::new(0),
        }
    }

    /// Reserves `n` consecutive numbers inside `tx`; returns the first.
    pub fn take(&self, tx: &mut dyn Tx, n: u64) -> Result<u64, SqsError> {
        let first = self.next.load(Ordering::Acquire);
        if first + n <= self.ceiling.load(Ordering::Acquire) {
            self.next.store(first + n, Ordering::Release);
            return Ok(first);
        }
        let stored = tx
            .get(NS_META, CEILING_KEY)?
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0);
        let base = first.max(stored + 1);
        let ceiling = base + n + SEQ_BLOCK;
        tx.put(NS_META, CEILING_KEY, ceiling.to_string().as_bytes())?;
        self.next.store(base + n, Ordering::Release);
        self.ceiling.store(ceiling, Ordering::Release);
        Ok(base)
    }

    /// After a failed commit the stored ceiling may be lower than memory believes: make the next
    /// transaction reserve again.
    pub fn commit_failed(&self) {
        self.ceiling.store(0, Ordering::Release);
    }
}

impl Default for SeqAllocator {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vis_keys_sort_and_parse() {
        let mut m = MessageRecord {
            id: "m".into(),
            body: "b".into(),
            md5_body: String::new(),
            attributes: BTreeMap::new(),
            md5_attributes: None,
            trace_header: None,
            md5_system: None,
            sender_id: "s".into(),
            sent_ms: 1,
            visible_at_ms: 1_700_000_000_000,
            received: false,
            receive_count: 0,
            first_receive_ms: None,
            last_receive_ms: None,
            nonce: 0,
            group_id: None,
            dedup_id: None,
            dead_letter_source_arn: None,
        };
        let k = vis_key("q1", &m, 7);
        assert_eq!(k, "q1/n/1700000000000/00000000000000000007");
        assert_eq!(parse_vis_key(&k), Some((1_700_000_000_000, 7)));
        assert!(k.starts_with(&vis_prefix("q1", false)));
        assert!(k.as_str() < vis_end("q1", false).as_str());
        assert!(k.as_str() < vis_bound("q1", false, 1_700_000_000_000).as_str());
        assert!(k.as_str() >= vis_bound("q1", false, 1_699_999_999_999).as_str());
        m.received = true;
        assert!(vis_key("q1", &m, 7).starts_with("q1/i/"));
    }

    /// Two allocators on one store (two nodes, or a restart) never hand out the same number, and
    /// numbers keep increasing across a restart.
    #[test]
    fn sequence_blocks_are_disjoint_across_allocators() {
        let dir = tempfile::tempdir().unwrap();
        let store = tessera_store::Store::open_sqlite(dir.path()).unwrap();
        let (a, b) = (
            std::sync::Arc::new(SeqAllocator::new()),
            std::sync::Arc::new(SeqAllocator::new()),
        );
        let mut seen = std::collections::BTreeSet::new();
        for round in 0..4u64 {
            for alloc in [&a, &b] {
                let alloc = std::sync::Arc::clone(alloc);
                let n = 10 + round * SEQ_BLOCK / 2;
                let first = store.write_blocking(move |tx| alloc.take(tx, n)).unwrap();
                for s in first..first + n {
                    assert!(seen.insert(s), "{s} handed out twice");
                }
            }
        }
        let restarted = std::sync::Arc::new(SeqAllocator::new());
        let r = std::sync::Arc::clone(&restarted);
        let after = store.write_blocking(move |tx| r.take(tx, 1)).unwrap();
        assert!(seen.last().is_some_and(|last| after > *last));
    }
}
