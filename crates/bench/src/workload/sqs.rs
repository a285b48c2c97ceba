//! SQS throughput workloads: `sqs-send`, `sqs-send-batch` (10 messages a call) and
//! `sqs-receive-delete` (receive up to `--max-messages`, then delete what came back), in the Query
//! or the JSON protocol, signed for service `sqs`. Also the client the long-poll workload shares.
//!
//! Set-up creates the queue (`CreateQueue` answers with the existing queue's URL when it exists)
//! and, for receive-delete, tops it up to `--prefill` waiting messages so receives find work.
//! A batch answered 200 with failed entries, or a receive whose body cannot be read, is an error.

use super::{
    not_set_up, request_loop, setup_fan_out, setup_send, signed_request, BoxFuture, Options,
    SignedCall, Target, Workload,
};
use crate::conn::RequestBody;
use crate::error::BenchError;
use crate::runner::Lane;
use crate::sigv4::{payload_hash, Credentials, Signer};
use crate::sqs::{self, Call, Encoded, Protocol, MAX_BATCH};
use crate::stats::Outcome;
use std::time::Instant;

/// Queues shared by repeated runs against one server: sends pile up in one, receives drain the
/// other (whose backlog the next run's set-up only tops up).
const SEND_QUEUE: &str = "tessera-bench-send";
const RECEIVE_QUEUE: &str = "tessera-bench-receive";
/// Connections set-up uses to fill a queue.
const SETUP_PARALLEL: usize = 8;

/// Signs SQS calls in one protocol for one target (`POST /`, the queue named in the body).
pub(super) struct SqsClient {
    pub protocol: Protocol,
    signer: Signer,
    authority: String,
}

/// A fixed call, encoded and hashed once and re-signed for every send.
pub(super) struct Prepared {
    encoded: Encoded,
    payload_hash: String,
}

impl SqsClient {
    pub fn new(target: &Target, credentials: Credentials, protocol: Protocol) -> Self {
        Self {
            protocol,
            signer: Signer::new(credentials, &target.region, "sqs"),
            authority: target.endpoint.authority.clone(),
        }
    }

    pub fn prepare(&self, call: &Call<'_>) -> Prepared {
        let encoded = call.encode(self.protocol);
        Prepared {
            payload_hash: payload_hash(&encoded.body),
            encoded,
        }
    }

    /// A freshly signed request for a prepared call.
    pub fn request(&self, p: &Prepared) -> Result<http::Request<RequestBody>, BenchError> {
        let e = &p.encoded;
        let with_target;
        let headers: &[(&str, &str)] = match e.target {
            Some(t) => {
                with_target = [("content-type", e.content_type), ("x-amz-target", t)];
                &with_target
            }
            None => &[("content-type", e.content_type)][..],
        };
        signed_request(
            &self.signer,
            &self.authority,
            SignedCall {
                method: http::Method::POST,
                path: "/",
                query: "",
                uri: "/",
                headers,
                body: e.body.clone(),
                payload_hash: &p.payload_hash,
            },
        )
    }

    /// A freshly signed request for a call made once (a delete of what a receive returned).
    pub fn call(&self, call: &Call<'_>) -> Result<http::Request<RequestBody>, BenchError> {
        self.request(&self.prepare(call))
    }

    /// `CreateQueue`, then the queue's URL from the answer.
    pub async fn create_queue(&self, target: &Target, name: &str) -> Result<String, BenchError> {
        let call = Call::CreateQueue { name };
        let body = setup_send(target, call.action(), self.call(&call)?).await?;
        sqs::queue_url(self.protocol, &body).map_err(|e| BenchError::SetupCheck {
            action: call.action().into(),
            why: e.to_string(),
        })
    }
}

/// A message body of `size` bytes that needs no escaping in either protocol.
pub(super) fn filler(size: usize) -> String {
    "x".repeat(size)
}

/// `sqs-send` (one message a call) and `sqs-send-batch` (ten).
pub struct Send {
    batch: bool,
    protocol: Protocol,
    size: usize,
    state: Option<(SqsClient, Prepared)>,
}

impl Send {
    pub fn single(options: &Options) -> Self {
        Self {
            batch: false,
            protocol: options.protocol,
            size: options.size,
            state: None,
        }
    }

    pub fn batch(options: &Options) -> Self {
        Self {
            batch: true,
            ..Self::single(options)
        }
    }
}

impl Workload for Send {
    fn name(&self) -> &'static str {
        if self.batch {
            "sqs-send-batch"
        } else {
            "sqs-send"
        }
    }

    fn item_unit(&self) -> Option<&'static str> {
        Some("messages")
    }

    fn setup<'a>(&'a mut self, target: &'a Target) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let client = SqsClient::new(
                target,
                target.credentials(self.name())?.clone(),
                self.protocol,
            );
            let queue_url = client.create_queue(target, SEND_QUEUE).await?;
            let body = filler(self.size);
            let bodies = [body.as_str(); MAX_BATCH];
            let call = if self.batch {
                Call::SendMessageBatch {
                    queue_url: &queue_url,
                    bodies: &bodies,
                }
            } else {
                Call::SendMessage {
                    queue_url: &queue_url,
                    body: &body,
                }
            };
            let prepared = client.prepare(&call);
            self.state = Some((client, prepared));
            Ok(())
        })
    }

    fn drive<'a>(&'a self, lane: &'a mut Lane) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let (client, prepared) = self.state.as_ref().ok_or(not_set_up(self.name()))?;
            let batch = self.batch;
            request_loop(
                lane,
                || client.request(prepared),
                |status, body| judge_send(client.protocol, batch, status, body),
            )
            .await
        })
    }
}

/// A send must be 2xx; a batch must also have all ten entries answered and none failed.
fn judge_send(
    protocol: Protocol,
    batch: bool,
    status: http::StatusCode,
    body: &[u8],
) -> Outcome<'_> {
    if !status.is_success() {
        return Outcome::Status(status, body);
    }
    if !batch {
        return Outcome::Ok { items: 1 };
    }
    match sqs::batch_outcome(protocol, "SendMessageBatch", body, MAX_BATCH) {
        Ok(()) => Outcome::Ok {
            items: MAX_BATCH as u64,
        },
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// `sqs-receive-delete`: one iteration is a `ReceiveMessage` and the delete (single or batch) of
/// everything it returned; its latency covers both. Empty receives are counted apart.
pub struct ReceiveDelete {
    protocol: Protocol,
    size: usize,
    max_messages: u8,
    prefill: u64,
    state: Option<ReceiveState>,
}

struct ReceiveState {
    client: SqsClient,
    queue_url: String,
    receive: Prepared,
}

impl ReceiveDelete {
    pub fn new(options: &Options) -> Self {
        Self {
            protocol: options.protocol,
            size: options.size,
            max_messages: options.max_messages,
            prefill: options.prefill,
            state: None,
        }
    }
}

impl Workload for ReceiveDelete {
    fn name(&self) -> &'static str {
        "sqs-receive-delete"
    }

    fn item_unit(&self) -> Option<&'static str> {
        Some("messages")
    }

    fn setup<'a>(&'a mut self, target: &'a Target) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let client = SqsClient::new(
                target,
                target.credentials(self.name())?.clone(),
                self.protocol,
            );
            let queue_url = client.create_queue(target, RECEIVE_QUEUE).await?;
            prefill(target, &client, &queue_url, self.prefill, self.size).await?;
            let receive = client.prepare(&Call::ReceiveMessage {
                queue_url: &queue_url,
                max: self.max_messages,
                wait_seconds: 0,
            });
            self.state = Some(ReceiveState {
                client,
                queue_url,
                receive,
            });
            Ok(())
        })
    }

    fn drive<'a>(&'a self, lane: &'a mut Lane) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let st = self.state.as_ref().ok_or(not_set_up(self.name()))?;
            while lane.next_iteration() {
                let started = Instant::now();
                let Some((status, body)) = lane.send(st.client.request(&st.receive)?).await else {
                    continue;
                };
                if !status.is_success() {
                    lane.record(Outcome::Status(status, &body), started.elapsed());
                    continue;
                }
                let messages = match sqs::received(st.client.protocol, &body) {
                    Ok(m) if m.is_empty() => {
                        lane.record(Outcome::Empty, started.elapsed());
                        continue;
                    }
                    Ok(m) => m,
                    Err(e) => {
                        lane.record(Outcome::Failed(e.to_string()), started.elapsed());
                        continue;
                    }
                };
                let handles: Vec<&str> =
                    messages.iter().map(|m| m.receipt_handle.as_str()).collect();
                let req = st.client.call(&delete_call(&st.queue_url, &handles))?;
                let Some((status, body)) = lane.send(req).await else {
                    continue;
                };
                let outcome = judge_delete(st.client.protocol, handles.len(), status, &body);
                lane.record(outcome, started.elapsed());
            }
            Ok(())
        })
    }
}

/// `DeleteMessage` for one handle, `DeleteMessageBatch` for more.
pub(super) fn delete_call<'a>(queue_url: &'a str, handles: &'a [&'a str]) -> Call<'a> {
    match handles {
        [one] => Call::DeleteMessage {
            queue_url,
            receipt_handle: one,
        },
        _ => Call::DeleteMessageBatch {
            queue_url,
            receipt_handles: handles,
        },
    }
}

/// A delete of `n` messages: 2xx, and for a batch every entry answered and none failed.
pub(super) fn judge_delete(
    protocol: Protocol,
    n: usize,
    status: http::StatusCode,
    body: &[u8],
) -> Outcome<'_> {
    if !status.is_success() {
        return Outcome::Status(status, body);
    }
    if n > 1 {
        if let Err(e) = sqs::batch_outcome(protocol, "DeleteMessageBatch", body, n) {
            return Outcome::Failed(e.to_string());
        }
    }
    Outcome::Ok { items: n as u64 }
}

/// Sends batches until about `want` messages wait in the queue, counting those already there
/// (when the server reports `ApproximateNumberOfMessages`; otherwise it sends all of them).
async fn prefill(
    target: &Target,
    client: &SqsClient,
    queue_url: &str,
    want: u64,
    size: usize,
) -> Result<(), BenchError> {
    let depth_call = Call::GetQueueDepth { queue_url };
    let waiting = match setup_send(target, depth_call.action(), client.call(&depth_call)?).await {
        Ok(body) => sqs::queue_depth(client.protocol, &body).unwrap_or(0),
        Err(BenchError::SetupCall { .. }) => 0,
        Err(e) => return Err(e),
    };
    let missing = usize::try_from(want.saturating_sub(waiting)).unwrap_or(usize::MAX);
    let batches = missing.div_ceil(MAX_BATCH);
    if batches == 0 {
        return Ok(());
    }
    let body = filler(size);
    let bodies = [body.as_str(); MAX_BATCH];
    let batch = client.prepare(&Call::SendMessageBatch {
        queue_url,
        bodies: &bodies,
    });
    let protocol = client.protocol;
    setup_fan_out(
        target,
        "SendMessageBatch",
        batches,
        SETUP_PARALLEL,
        |_| client.request(&batch),
        |body| {
            sqs::batch_outcome(protocol, "SendMessageBatch", body, MAX_BATCH)
                .map_err(|e| e.to_string())
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn sends_and_deletes_are_judged_by_status_and_entries() {
        let ten_ok: String = format!(
            r#"{{"Successful":[{}],"Failed":[]}}"#,
            [r#"{"Id":"0"}"#; 10].join(",")
        );
        let one_failed = r#"{"Successful":[{"Id":"0"}],"Failed":[{"Id":"1"}]}"#;
        let j = Protocol::Json;
        let cases: [(Outcome<'_>, &str); 7] = [
            (
                judge_send(j, false, StatusCode::OK, b"{}"),
                "Ok { items: 1 }",
            ),
            (
                judge_send(j, true, StatusCode::OK, ten_ok.as_bytes()),
                "Ok { items: 10 }",
            ),
            (
                judge_send(j, true, StatusCode::OK, one_failed.as_bytes()),
                "Failed(\"SendMessageBatch: 1 of 10 entries failed\")",
            ),
            (
                judge_send(j, false, StatusCode::BAD_REQUEST, b"e"),
                "Status(400, [101])",
            ),
            (judge_delete(j, 1, StatusCode::OK, b""), "Ok { items: 1 }"),
            (
                judge_delete(j, 2, StatusCode::OK, one_failed.as_bytes()),
                "Failed(\"DeleteMessageBatch: 1 of 2 entries failed\")",
            ),
            (
                judge_delete(Protocol::Query, 3, StatusCode::OK, b"ok\n"),
                "Failed(\"DeleteMessageBatch response lacks its result element\")",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(format!("{got:?}"), want);
        }
    }

    #[test]
    fn one_handle_is_deleted_singly_more_in_a_batch() {
        assert_eq!(delete_call("u", &["h"]).action(), "DeleteMessage");
        assert_eq!(delete_call("u", &["h", "i"]).action(), "DeleteMessageBatch");
    }
}
