//! Amazon SQS (API 2012-11-05) over tessera's store, for the awsQuery and awsJson1_0 protocols.
//!
//! The server decodes HTTP, authenticates and authorizes; this crate decodes the operation
//! ([`Sqs::parse`]), executes it ([`Sqs::call`]) and encodes the answer ([`SqsResponse::encode`],
//! [`SqsError::to_aws`]). Layout:
//! - `wire`: the two request encodings behind one reader; `request`: typed requests;
//!   `response`: XML/JSON bodies; `error`: AWS codes per protocol.
//! - `names`: queue names, URLs, ARNs; `attributes`: queue attributes; `message`: message
//!   validation and the stored record; `md5`: the digests the SDKs verify.
//! - `db`: keys and records in the store; `queues`: queue lifecycle, attributes, tags;
//!   `permissions`: AddPermission/RemovePermission and policy checks; `send`, `receive`,
//!   `handles` (delete and visibility by receipt handle); `movetasks`; `maintenance` (retention,
//!   deferred deletion, move tasks); `wake`: long-poll wake-ups.
//! - `config`: tunable quotas; `inflight`: the in-flight quota's estimate; `throttle`: FIFO
//!   request quotas (token buckets, per node).
//!
//! Invariants: every acknowledged send/delete/receive went through one `Store::write` (durable
//! when answered); a message record is the authority on its visibility (indexes are re-checked);
//! no lock is held across an await; messages are never held in memory beyond one request.
//! Must never: see HTTP types, read configuration, or authorize (the server does).

mod attributes;
mod config;
mod db;
mod error;
mod handles;
mod inflight;
mod maintenance;
mod md5;
mod message;
mod movetasks;
mod names;
mod permissions;
mod queues;
mod receive;
mod request;
mod response;
mod send;
mod throttle;
mod wake;
mod wire;

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use tessera_core::{AccountId, Clock};
use tessera_store::Store;

pub use config::{FifoQuotas, SqsConfig, AWS_MAX_INFLIGHT};
pub use error::{SqsError, JSON_TYPE_PREFIX, XMLNS};
pub use md5::{attributes_md5, hex_md5};
pub use message::AttributeValue;
pub use names::QueueName;
pub use request::{Action, SqsRequest};
pub use response::{ReceivedMessage, SqsResponse};
pub use wire::{Protocol, Wire};

use db::QueueRecord;
use request::Op;
use response::Body;

/// Who is calling, as the server authenticated them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsCaller {
    pub account: AccountId,
    /// `SenderId` of sent messages: `AIDA…` for users, `AROA…:session` for roles, the account id
    /// for root.
    pub sender_id: String,
    /// Scheme and authority queue URLs are built from, e.g. `http://127.0.0.1:4566`.
    pub base_url: String,
}

/// How long a queue's record (attributes, policy) is served from memory: what another node changed
/// applies here within this time.
const QUEUE_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// How often a request runs when its transaction keeps losing deadlocks to other nodes.
const CONFLICT_ATTEMPTS: usize = 3;

/// The SQS service. Cheap to clone.
#[derive(Clone)]
pub struct Sqs {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub region: String,
    pub max_inflight: u64,
    pub fifo_quotas: Option<FifoQuotas>,
    /// Queue records by name, with when they were read: served for at most [`QUEUE_CACHE_TTL`],
    /// because another node may change or delete the queue; every write on this node that
    /// changes a queue record invalidates it at once.
    cache: RwLock<HashMap<QueueName, (std::time::Instant, Arc<QueueRecord>)>>,
    pub wake: wake::Wake,
    pub seq: db::SeqAllocator,
    pub inflight: inflight::InflightGauge,
    throttle: throttle::Throttle,
}

impl Inner {
    pub fn now_ms(&self) -> u64 {
        self.clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    /// The queue's record (cached), or QueueDoesNotExist.
    pub async fn queue(&self, name: &QueueName) -> Result<Arc<QueueRecord>, SqsError> {
        if let Some((at, q)) = self.cache.read().get(name) {
            if at.elapsed() < QUEUE_CACHE_TTL {
                return Ok(Arc::clone(q));
            }
        }
        let key = db::queue_key(name);
        let record: Option<QueueRecord> = self
            .store
            .read(move |tx| db::get(tx, db::NS_QUEUE, &key))
            .await?;
        let record = Arc::new(record.ok_or(SqsError::QueueDoesNotExist)?);
        self.cache.write().insert(
            name.clone(),
            (std::time::Instant::now(), Arc::clone(&record)),
        );
        Ok(record)
    }

    pub fn invalidate(&self, name: &QueueName) {
        self.cache.write().remove(name);
    }

    pub fn arn(&self, name: &QueueName) -> String {
        name.arn(&self.region)
    }
}

impl Sqs {
    /// The service with AWS's quotas ([`SqsConfig::new`]).
    pub fn new(store: Store, clock: Arc<dyn Clock>, region: &str) -> Self {
        Self::with_config(store, clock, SqsConfig::new(region))
    }

    pub fn with_config(store: Store, clock: Arc<dyn Clock>, config: SqsConfig) -> Self {
        Sqs {
            inner: Arc::new(Inner {
                store,
                clock,
                region: config.region,
                max_inflight: config.max_inflight,
                fifo_quotas: config.fifo_quotas,
                cache: RwLock::new(HashMap::new()),
                wake: wake::Wake::default(),
                seq: db::SeqAllocator::new(),
                inflight: inflight::InflightGauge::default(),
                throttle: throttle::Throttle::default(),
            }),
        }
    }

    /// Background work: maintenance (retention, deferred deletion, move tasks) and the relay of
    /// store notifications into long-poll wake-ups (other nodes' sends). Call once, inside the
    /// tokio runtime.
    pub fn spawn_maintenance(&self) -> tokio::task::JoinHandle<()> {
        let inner = Arc::clone(&self.inner);
        let notifications = inner.store.subscribe(wake::CHANNEL);
        tokio::spawn(async move {
            tokio::join!(
                maintenance::run(Arc::clone(&inner)),
                inner.wake.relay(notifications)
            );
        })
    }

    /// Runs one maintenance pass now (tests and tools; the spawned task does this periodically).
    pub async fn maintain_once(&self) -> Result<(), SqsError> {
        maintenance::pass(&self.inner, &mut maintenance::Cursors::default()).await
    }

    /// Decodes one request. `path` is the HTTP path: a Query request POSTed to `/ACCOUNT/QUEUE`
    /// names its queue there when `QueueUrl` is absent.
    pub fn parse(
        &self,
        wire: Wire<'_>,
        path: &str,
        caller_account: &AccountId,
    ) -> Result<SqsRequest, SqsError> {
        match wire {
            Wire::Query(params) => {
                let action = params
                    .action()
                    .ok_or_else(|| SqsError::MissingParameter("Action".into()))?;
                let input = wire::Input::Query(std::borrow::Cow::Borrowed(params));
                request::parse(action, &input, QueueName::from_path(path), caller_account)
            }
            Wire::Json { action, body } => {
                let input = wire::Input::json(body)?;
                request::parse(action, &input, None, caller_account)
            }
        }
    }

    /// The queue's Policy attribute, for the server's authorization.
    pub async fn queue_policy(&self, queue: &QueueName) -> Result<Option<String>, SqsError> {
        match self.inner.queue(queue).await {
            Ok(q) => Ok(q.attributes.policy.clone()),
            Err(SqsError::QueueDoesNotExist) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Executes an authorized request. ReceiveMessage waits up to its wait time (long poll).
    pub async fn call(&self, caller: &SqsCaller, req: SqsRequest) -> Result<SqsResponse, SqsError> {
        self.admit(&req).await?;
        // A transaction that lost a deadlock to another node wrote nothing: run it again.
        for _ in 1..CONFLICT_ATTEMPTS {
            match self.call_once(caller, req.clone()).await {
                Err(SqsError::Conflict(_)) => continue,
                other => return other,
            }
        }
        self.call_once(caller, req).await
    }

    /// Charges a FIFO queue's request quotas (see `throttle`): one call per API action and queue,
    /// and in high-throughput mode one per message group a send names. A request for a missing
    /// queue passes, to fail as the operation itself would.
    async fn admit(&self, req: &SqsRequest) -> Result<(), SqsError> {
        use throttle::{ActionFamily, BucketKey};
        let inner = &self.inner;
        let Some(quotas) = inner.fifo_quotas else {
            return Ok(());
        };
        let (action, groups): (_, Vec<&str>) = match &req.op {
            Op::SendMessage(e) => (
                ActionFamily::Send,
                e.group_id.iter().map(String::as_str).collect(),
            ),
            Op::SendMessageBatch(entries) => (
                ActionFamily::Send,
                entries
                    .iter()
                    .filter_map(|(_, e)| e.as_ref().ok()?.group_id.as_deref())
                    .collect(),
            ),
            Op::ReceiveMessage(_) => (ActionFamily::Receive, Vec::new()),
            Op::DeleteMessage { .. } | Op::DeleteMessageBatch(_) => {
                (ActionFamily::Delete, Vec::new())
            }
            _ => return Ok(()),
        };
        let Some(name) = &req.queue else {
            return Ok(());
        };
        let q = match inner.queue(name).await {
            Ok(q) => q,
            Err(SqsError::QueueDoesNotExist) => return Ok(()),
            Err(e) => return Err(e),
        };
        let a = &q.attributes;
        if !a.fifo {
            return Ok(());
        }
        let high_throughput = a.deduplication_scope == "messageGroup"
            && a.fifo_throughput_limit == "perMessageGroupId";
        let key = |group: Option<&str>| BucketKey {
            queue: db::queue_key(name),
            action,
            group: group.map(str::to_owned),
        };
        let mut wants = vec![(
            key(None),
            if high_throughput {
                quotas.high_throughput_per_queue
            } else {
                quotas.per_queue
            },
        )];
        if high_throughput {
            let distinct: std::collections::BTreeSet<&str> = groups.into_iter().collect();
            wants.extend(
                distinct
                    .into_iter()
                    .map(|g| (key(Some(g)), quotas.per_message_group)),
            );
        }
        if inner.throttle.admit(inner.now_ms(), wants) {
            Ok(())
        } else {
            Err(SqsError::RequestThrottled(
                "Request rate exceeds the queue's FIFO throughput quota.".into(),
            ))
        }
    }

    async fn call_once(
        &self,
        caller: &SqsCaller,
        req: SqsRequest,
    ) -> Result<SqsResponse, SqsError> {
        let inner = &self.inner;
        let queue = req.queue.clone().ok_or(SqsError::QueueDoesNotExist);
        let body = match req.op {
            Op::CreateQueue { attributes, tags } => {
                Body::QueueUrl(queues::create(inner, caller, &queue?, attributes, tags).await?)
            }
            Op::DeleteQueue => {
                queues::delete(inner, &queue?).await?;
                Body::Empty
            }
            Op::GetQueueUrl => {
                let q = queue?;
                inner.queue(&q).await?;
                Body::QueueUrl(q.url(&caller.base_url))
            }
            Op::ListQueues { prefix, max, next } => {
                let (urls, next) = queues::list(inner, caller, &prefix, max, next).await?;
                Body::QueueUrls { urls, next }
            }
            Op::GetQueueAttributes { names } => {
                Body::Attributes(queues::get_attributes(inner, &queue?, &names).await?)
            }
            Op::SetQueueAttributes { attributes } => {
                queues::set_attributes(inner, &queue?, attributes).await?;
                Body::Empty
            }
            Op::PurgeQueue => {
                queues::purge(inner, &queue?).await?;
                Body::Empty
            }
            Op::SendMessage(entry) => {
                let q = inner.queue(&queue?).await?;
                let mut results = send::send(inner, caller, &q, vec![Ok(*entry)]).await?;
                Body::Send(
                    results
                        .pop()
                        .ok_or_else(|| SqsError::Internal("send returned no result".into()))??,
                )
            }
            Op::SendMessageBatch(entries) => {
                let q = inner.queue(&queue?).await?;
                let (ids, entries): (Vec<String>, Vec<_>) = entries.into_iter().unzip();
                let results = send::send(inner, caller, &q, entries).await?;
                let (mut ok, mut failed) = (Vec::new(), Vec::new());
                for (id, r) in ids.into_iter().zip(results) {
                    match r {
                        Ok(r) => ok.push((id, r)),
                        Err(error) => failed.push(response::BatchFailure { id, error }),
                    }
                }
                Body::SendBatch { ok, failed }
            }
            Op::ReceiveMessage(params) => {
                Body::Receive(receive::receive(inner, &queue?, params).await?)
            }
            Op::DeleteMessage { handle } => {
                let q = inner.queue(&queue?).await?;
                let mut r = handles::delete(inner, &q, vec![Ok(handle)]).await?;
                r.pop().unwrap_or(Ok(()))?;
                Body::Empty
            }
            Op::DeleteMessageBatch(entries) => {
                let q = inner.queue(&queue?).await?;
                let (ids, entries): (Vec<String>, Vec<_>) = entries.into_iter().unzip();
                batch_body(ids, handles::delete(inner, &q, entries).await?)
            }
            Op::ChangeMessageVisibility { handle, timeout } => {
                let q = inner.queue(&queue?).await?;
                let mut r =
                    handles::change_visibility(inner, &q, vec![Ok((handle, timeout))]).await?;
                r.pop().unwrap_or(Ok(()))?;
                Body::Empty
            }
            Op::ChangeMessageVisibilityBatch(entries) => {
                let q = inner.queue(&queue?).await?;
                let (ids, entries): (Vec<String>, Vec<_>) = entries.into_iter().unzip();
                batch_body(ids, handles::change_visibility(inner, &q, entries).await?)
            }
            Op::TagQueue { tags } => {
                queues::tag(inner, &queue?, tags).await?;
                Body::Empty
            }
            Op::UntagQueue { keys } => {
                queues::untag(inner, &queue?, keys).await?;
                Body::Empty
            }
            Op::ListQueueTags => Body::Tags(inner.queue(&queue?).await?.tags.clone()),
            Op::AddPermission {
                label,
                accounts,
                actions,
            } => {
                permissions::add(inner, &queue?, &label, &accounts, &actions).await?;
                Body::Empty
            }
            Op::RemovePermission { label } => {
                permissions::remove(inner, &queue?, &label).await?;
                Body::Empty
            }
            Op::ListDeadLetterSourceQueues { max, next } => {
                let (urls, next) =
                    queues::dead_letter_sources(inner, caller, &queue?, max, next).await?;
                Body::QueueUrls { urls, next }
            }
            Op::StartMessageMoveTask {
                source_arn,
                destination_arn,
                rate,
            } => Body::TaskHandle(
                movetasks::start(inner, &queue?, source_arn, destination_arn, rate).await?,
            ),
            Op::ListMessageMoveTasks { max } => {
                Body::Tasks(movetasks::list(inner, &queue?, max).await?)
            }
            Op::CancelMessageMoveTask { handle } => {
                Body::Cancelled(movetasks::cancel(inner, &handle).await?)
            }
        };
        Ok(SqsResponse {
            protocol: req.protocol,
            action: req.action,
            body,
        })
    }
}

fn batch_body(ids: Vec<String>, results: Vec<Result<(), SqsError>>) -> Body {
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for (id, r) in ids.into_iter().zip(results) {
        match r {
            Ok(()) => ok.push(id),
            Err(error) => failed.push(response::BatchFailure { id, error }),
        }
    }
    Body::Batch { ok, failed }
}
