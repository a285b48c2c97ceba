//! `sqs-long-poll-latency`: how long a parked long poll takes to return once a message it waits
//! for has been acknowledged to its sender.
//!
//! The connections split in two roles: even lanes receive (`WaitTimeSeconds=20`, up to 10
//! messages), odd lanes send. A sender sends one numbered message, records when the
//! acknowledgement arrived, waits until a receiver has it (and has deleted it), pauses so that a
//! receiver is parked again, and repeats. The latency recorded is receive-return − send-ack. When a
//! receive returns before the sender has seen its acknowledgement, the latency is recorded as zero
//! and counted in the note `receive_before_ack`. A message not received within 30 s is an error.
//! Set-up creates a queue of its own for each run, so no stale message can be taken for a new one.

use super::sqs::{delete_call, filler, judge_delete, Prepared, SqsClient};
use super::{not_set_up, unique_suffix, BoxFuture, Options, Target, Workload};
use crate::error::BenchError;
use crate::runner::Lane;
use crate::sqs::{self, Call, Protocol};
use crate::stats::Outcome;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};

/// SQS's longest long poll.
const WAIT_SECONDS: u8 = 20;
/// A message not received within this long after its acknowledgement is counted lost.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause of a sender between a delivery and its next send, so a receiver is parked again and the
/// figure measures a wake-up, not a receive that happened to be in flight.
const SENDER_PAUSE: Duration = Duration::from_millis(20);
/// Pause of a receiver after a failed receive, so a server without SQS is not hammered by it.
const RECEIVER_ERROR_PAUSE: Duration = Duration::from_millis(10);

pub struct LongPoll {
    protocol: Protocol,
    size: usize,
    state: Option<State>,
}

struct State {
    client: SqsClient,
    queue_url: String,
    receive: Prepared,
    next_seq: AtomicU64,
    /// Messages sent and not yet matched with their receive, by sequence number.
    pending: Mutex<HashMap<u64, Pending>>,
    senders_done: AtomicUsize,
    /// Turns true when the last sender stops; receivers then abandon their polls.
    stop: watch::Sender<bool>,
}

struct Pending {
    acked: Option<Instant>,
    received: Option<Instant>,
    delivered: Arc<Notify>,
}

impl LongPoll {
    pub fn new(options: &Options) -> Self {
        Self {
            protocol: options.protocol,
            size: options.size,
            state: None,
        }
    }
}

impl Workload for LongPoll {
    fn name(&self) -> &'static str {
        "sqs-long-poll-latency"
    }

    fn min_connections(&self) -> usize {
        2
    }

    fn setup<'a>(&'a mut self, target: &'a Target) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let client = SqsClient::new(
                target,
                target.credentials(self.name())?.clone(),
                self.protocol,
            );
            let name = format!("tessera-bench-long-poll-{}", unique_suffix());
            let queue_url = client.create_queue(target, &name).await?;
            let receive = client.prepare(&Call::ReceiveMessage {
                queue_url: &queue_url,
                max: sqs::MAX_BATCH as u8,
                wait_seconds: WAIT_SECONDS,
            });
            self.state = Some(State {
                client,
                queue_url,
                receive,
                next_seq: AtomicU64::new(0),
                pending: Mutex::new(HashMap::new()),
                senders_done: AtomicUsize::new(0),
                stop: watch::channel(false).0,
            });
            Ok(())
        })
    }

    fn drive<'a>(&'a self, lane: &'a mut Lane) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let st = self.state.as_ref().ok_or(not_set_up(self.name()))?;
            if lane.index % 2 == 1 {
                let outcome = sender(st, lane, self.size).await;
                if st.senders_done.fetch_add(1, Ordering::AcqRel) + 1 == lane.lanes / 2 {
                    st.stop.send_replace(true);
                }
                outcome
            } else {
                receiver(st, lane).await
            }
        })
    }
}

/// The body of message `seq`: `seq:` then filler up to `size` bytes.
fn message_body(seq: u64, size: usize) -> String {
    let mut body = format!("{seq}:");
    body.push_str(&filler(size.saturating_sub(body.len())));
    body
}

fn message_seq(body: &str) -> Option<u64> {
    body.split_once(':')?.0.parse().ok()
}

async fn sender(st: &State, lane: &mut Lane, size: usize) -> Result<(), BenchError> {
    let delivered = Arc::new(Notify::new());
    while lane.next_iteration() {
        let seq = st.next_seq.fetch_add(1, Ordering::Relaxed);
        let body = message_body(seq, size);
        st.pending.lock().insert(
            seq,
            Pending {
                acked: None,
                received: None,
                delivered: delivered.clone(),
            },
        );
        let req = st.client.call(&Call::SendMessage {
            queue_url: &st.queue_url,
            body: &body,
        })?;
        let answer = lane.send(req).await;
        let acked = Instant::now();
        match answer {
            Some((status, _)) if status.is_success() => {}
            other => {
                st.pending.lock().remove(&seq);
                if let Some((status, body)) = &other {
                    lane.record(Outcome::Status(*status, body), Duration::ZERO);
                }
                tokio::time::sleep(SENDER_PAUSE).await;
                continue;
            }
        }
        let received_first = {
            let mut pending = st.pending.lock();
            match pending.get_mut(&seq) {
                Some(p) if p.received.is_some() => {
                    pending.remove(&seq);
                    true
                }
                Some(p) => {
                    p.acked = Some(acked);
                    false
                }
                None => false,
            }
        };
        if received_first {
            lane.note("receive_before_ack");
            lane.record(Outcome::Ok { items: 1 }, Duration::ZERO);
        }
        wait_for_delivery(st, lane, seq, acked, &delivered).await;
        tokio::time::sleep(SENDER_PAUSE).await;
    }
    Ok(())
}

/// Waits until a receiver took message `seq` (or it is lost, or the run ends).
async fn wait_for_delivery(
    st: &State,
    lane: &mut Lane,
    seq: u64,
    acked: Instant,
    delivered: &Notify,
) {
    let give_up = acked + DELIVERY_TIMEOUT;
    let until = lane
        .deadline()
        .map_or(give_up, |d| d.min(give_up).max(acked));
    loop {
        if !st.pending.lock().contains_key(&seq) {
            // Matched: by a receiver (which wakes this sender after its delete), or by this sender
            // when the receive came first (a wake-up from that delete may then be left over; it
            // only makes a later wait look once more).
            return;
        }
        let woke = tokio::time::timeout_at(until.into(), delivered.notified()).await;
        if woke.is_err() {
            if st.pending.lock().remove(&seq).is_some() {
                if Instant::now() >= give_up {
                    lane.record(
                        Outcome::Failed(format!(
                            "message {seq} not received within {}s of its acknowledgement",
                            DELIVERY_TIMEOUT.as_secs()
                        )),
                        Duration::ZERO,
                    );
                } else {
                    lane.note("undelivered_at_end");
                }
            }
            return;
        }
    }
}

async fn receiver(st: &State, lane: &mut Lane) -> Result<(), BenchError> {
    let mut stop = st.stop.subscribe();
    loop {
        if *stop.borrow_and_update() {
            return Ok(());
        }
        let req = st.client.request(&st.receive)?;
        let polled = Instant::now();
        let answer = tokio::select! {
            answer = lane.send(req) => Some(answer),
            _ = stop.changed() => None,
        };
        let Some(answer) = answer else {
            lane.drop_connection();
            return Ok(());
        };
        let returned = Instant::now();
        let Some((status, body)) = answer else {
            continue;
        };
        if !status.is_success() {
            lane.record(Outcome::Status(status, &body), returned - polled);
            tokio::time::sleep(RECEIVER_ERROR_PAUSE).await;
            continue;
        }
        let messages = match sqs::received(st.client.protocol, &body) {
            Ok(m) if m.is_empty() => {
                lane.record(Outcome::Empty, returned - polled);
                continue;
            }
            Ok(m) => m,
            Err(e) => {
                lane.record(Outcome::Failed(e.to_string()), returned - polled);
                tokio::time::sleep(RECEIVER_ERROR_PAUSE).await;
                continue;
            }
        };
        let mut wake = Vec::with_capacity(messages.len());
        for m in &messages {
            let Some(seq) = message_seq(&m.body) else {
                let shown: String = m.body.chars().take(40).collect();
                lane.record(
                    Outcome::Failed(format!("unexpected message body {shown:?}")),
                    Duration::ZERO,
                );
                continue;
            };
            let mut pending = st.pending.lock();
            match pending.get_mut(&seq) {
                None => lane.note("late_or_repeated_deliveries"),
                Some(p) => match p.acked {
                    Some(acked) => {
                        wake.push(p.delivered.clone());
                        pending.remove(&seq);
                        lane.record(
                            Outcome::Ok { items: 1 },
                            returned.saturating_duration_since(acked),
                        );
                    }
                    None => {
                        p.received = Some(returned);
                        wake.push(p.delivered.clone());
                    }
                },
            }
        }
        let handles: Vec<&str> = messages.iter().map(|m| m.receipt_handle.as_str()).collect();
        let req = st.client.call(&delete_call(&st.queue_url, &handles))?;
        if let Some((status, body)) = lane.send(req).await {
            if let outcome @ (Outcome::Status(..) | Outcome::Failed(_)) =
                judge_delete(st.client.protocol, handles.len(), status, &body)
            {
                lane.record(outcome, Duration::ZERO);
            }
        }
        for w in wake {
            w.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_bodies_carry_their_number_and_size() {
        let cases = [(0u64, 10usize), (12345, 3), (7, 1024)];
        for (seq, size) in cases {
            let body = message_body(seq, size);
            assert_eq!(message_seq(&body), Some(seq));
            assert_eq!(body.len(), size.max(format!("{seq}:").len()));
        }
        assert_eq!(message_seq("xxxx"), None);
        assert_eq!(message_seq("-1:x"), None);
    }
}
