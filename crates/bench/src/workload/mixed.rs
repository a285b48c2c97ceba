//! `mixed`: every service at once, for soak runs. It owns the round of calls below and the
//! set-up they need; it must never retry or hide a failed call (each is counted by its kind).
//!
//! Set-up (as the command-line principal, normally root) creates a user whose only right is
//! `sts:AssumeRole`, a role the account trusts with the rights the round needs, a queue and a
//! bucket. One iteration of a connection is one round, each call signed afresh:
//!
//! 1. `sts:AssumeRole` as the user: new temporary credentials every round;
//! 2. with them, `sts:GetCallerIdentity` (must name the assumed role);
//! 3. `sqs:SendMessage`, `sqs:ReceiveMessage` (one message, no wait), `sqs:DeleteMessage` of what
//!    came back (another connection may have taken this round's message: the queue is shared);
//! 4. `s3:PutObject` of a small object under a key of this connection, `s3:GetObject` (must return
//!    the same bytes), `s3:DeleteObject`;
//! 5. `iam:GetUser` of the user.
//!
//! Every call is recorded on its own, so the report's `requests` counts calls; a failed call ends
//! its round (later calls depend on it) and adds to the note `error <call>`, the errors by kind.
//! Receives that find the queue empty are noted as `empty receive`, not errors.

use super::sqs::{delete_call, judge_delete, SqsClient};
use super::sts::credentials_in;
use super::{
    not_set_up, required_field, setup_call, setup_send, signed_request, status_only, BoxFuture,
    Options, SignedCall, SignedQuery, Target, Workload,
};
use crate::conn::RequestBody;
use crate::error::BenchError;
use crate::query::xml_text;
use crate::runner::Lane;
use crate::sigv4::{payload_hash, Credentials, Signer};
use crate::sqs::{self, Call, Protocol};
use crate::stats::Outcome;
use bytes::Bytes;
use std::time::Instant;

const STS_VERSION: &str = "2011-06-15";
const IAM_VERSION: &str = "2010-05-08";

/// The calls of a round, in order; the index names the error note of each.
#[derive(Debug, Clone, Copy)]
enum Step {
    AssumeRole,
    GetCallerIdentity,
    SendMessage,
    ReceiveMessage,
    DeleteMessage,
    PutObject,
    GetObject,
    DeleteObject,
    GetUser,
}

impl Step {
    /// The report note that counts this call's errors.
    fn error_note(self) -> &'static str {
        match self {
            Step::AssumeRole => "error sts:AssumeRole",
            Step::GetCallerIdentity => "error sts:GetCallerIdentity",
            Step::SendMessage => "error sqs:SendMessage",
            Step::ReceiveMessage => "error sqs:ReceiveMessage",
            Step::DeleteMessage => "error sqs:DeleteMessage",
            Step::PutObject => "error s3:PutObject",
            Step::GetObject => "error s3:GetObject",
            Step::DeleteObject => "error s3:DeleteObject",
            Step::GetUser => "error iam:GetUser",
        }
    }
}

/// The permissions of the role the rounds assume.
const ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:SendMessage","sqs:ReceiveMessage","sqs:DeleteMessage","s3:PutObject","s3:GetObject","s3:DeleteObject","iam:GetUser"],"Resource":"*"}]}"#;
const USER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;

pub struct Mixed {
    size: usize,
    state: Option<State>,
}

struct State {
    /// Where to send, without credentials (each round brings its own).
    target: Target,
    assume: SignedQuery,
    user: String,
    queue_url: String,
    bucket: String,
    body: Bytes,
    body_hash: String,
    empty_hash: String,
}

impl Mixed {
    pub fn new(options: &Options) -> Self {
        Self {
            size: options.size,
            state: None,
        }
    }
}

impl Workload for Mixed {
    fn name(&self) -> &'static str {
        "mixed"
    }

    fn setup<'a>(&'a mut self, target: &'a Target) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let root = target.credentials(self.name())?;
            let suffix = super::unique_suffix();
            let user = format!("soak-user-{suffix}");
            let role = format!("soak-role-{suffix}");
            let who = setup_call(
                target,
                root,
                "sts",
                &[("Action", "GetCallerIdentity"), ("Version", STS_VERSION)],
            )
            .await?;
            let account = required_field(&who, "GetCallerIdentity", "Account")?;
            iam(
                target,
                root,
                &[("Action", "CreateUser"), ("UserName", &user)],
            )
            .await?;
            iam(
                target,
                root,
                &[
                    ("Action", "PutUserPolicy"),
                    ("UserName", &user),
                    ("PolicyName", "soak-assume-role"),
                    ("PolicyDocument", USER_POLICY),
                ],
            )
            .await?;
            let trust = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
            );
            let created = iam(
                target,
                root,
                &[
                    ("Action", "CreateRole"),
                    ("RoleName", &role),
                    ("AssumeRolePolicyDocument", &trust),
                ],
            )
            .await?;
            let role_arn = required_field(&created, "CreateRole", "Arn")?;
            iam(
                target,
                root,
                &[
                    ("Action", "PutRolePolicy"),
                    ("RoleName", &role),
                    ("PolicyName", "soak"),
                    ("PolicyDocument", ROLE_POLICY),
                ],
            )
            .await?;
            let key = iam(
                target,
                root,
                &[("Action", "CreateAccessKey"), ("UserName", &user)],
            )
            .await?;
            let user_creds = credentials_in(&key, "CreateAccessKey")?;

            let queue = format!("soak-{suffix}");
            let queue_url = SqsClient::new(target, root.clone(), Protocol::Json)
                .create_queue(target, &queue)
                .await?;
            let bucket = format!("soak-{suffix}");
            let empty_hash = payload_hash(b"");
            let signer = Signer::new(root.clone(), &target.region, "s3");
            let path = format!("/{bucket}");
            let create = signed_request(
                &signer,
                &target.endpoint.authority,
                SignedCall {
                    method: http::Method::PUT,
                    path: &path,
                    query: "",
                    uri: &path,
                    headers: &[("x-amz-content-sha256", &empty_hash)],
                    body: Bytes::new(),
                    payload_hash: &empty_hash,
                },
            )?;
            setup_send(target, "CreateBucket", create).await?;

            let body = Bytes::from(super::sqs::filler(self.size));
            self.state = Some(State {
                target: Target {
                    endpoint: target.endpoint.clone(),
                    region: target.region.clone(),
                    credentials: None,
                },
                assume: SignedQuery::new(
                    target,
                    user_creds,
                    "sts",
                    &[
                        ("Action", "AssumeRole"),
                        ("Version", STS_VERSION),
                        ("RoleArn", &role_arn),
                        ("RoleSessionName", "soak"),
                    ],
                ),
                user,
                queue_url,
                bucket,
                body_hash: payload_hash(&body),
                body,
                empty_hash,
            });
            Ok(())
        })
    }

    fn drive<'a>(&'a self, lane: &'a mut Lane) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let st = self.state.as_ref().ok_or(not_set_up(self.name()))?;
            let mut round = 0u64;
            while lane.next_iteration() {
                st.round(lane, round).await?;
                round += 1;
            }
            Ok(())
        })
    }
}

/// One IAM set-up call (the API version added).
async fn iam(
    target: &Target,
    root: &Credentials,
    params: &[(&str, &str)],
) -> Result<String, BenchError> {
    let mut all = params.to_vec();
    all.push(("Version", IAM_VERSION));
    setup_call(target, root, "iam", &all).await
}

/// Sends one call of a round and records it; `Some(body)` when `judge` accepted the answer.
async fn step(
    lane: &mut Lane,
    which: Step,
    req: http::Request<RequestBody>,
    judge: impl Fn(http::StatusCode, &[u8]) -> Outcome<'_>,
) -> Option<Bytes> {
    let sent = Instant::now();
    let Some((status, body)) = lane.send(req).await else {
        lane.note(which.error_note());
        return None;
    };
    let outcome = judge(status, &body);
    let ok = matches!(outcome, Outcome::Ok { .. });
    lane.record(outcome, sent.elapsed());
    if ok {
        Some(body)
    } else {
        lane.note(which.error_note());
        None
    }
}

impl State {
    /// One round (see the module doc); returns early, with the failure recorded, when a call
    /// fails. Only a request that cannot be built is an error of the run itself.
    async fn round(&self, lane: &mut Lane, round: u64) -> Result<(), BenchError> {
        let Some(answer) = step(lane, Step::AssumeRole, self.assume.request()?, status_only).await
        else {
            return Ok(());
        };
        let xml = String::from_utf8_lossy(&answer);
        let creds = match credentials_in(&xml, "AssumeRole") {
            Ok(c) if c.session_token.is_some() => c,
            _ => {
                let sent = Instant::now();
                lane.record(
                    Outcome::Failed("AssumeRole answered without credentials".into()),
                    sent.elapsed(),
                );
                lane.note(Step::AssumeRole.error_note());
                return Ok(());
            }
        };

        let who = SignedQuery::new(
            &self.target,
            creds.clone(),
            "sts",
            &[("Action", "GetCallerIdentity"), ("Version", STS_VERSION)],
        );
        if step(lane, Step::GetCallerIdentity, who.request()?, judge_who)
            .await
            .is_none()
        {
            return Ok(());
        }

        if !self.messages(lane, &creds).await? {
            return Ok(());
        }
        if !self.objects(lane, &creds, round).await? {
            return Ok(());
        }

        let get_user = SignedQuery::new(
            &self.target,
            creds,
            "iam",
            &[
                ("Action", "GetUser"),
                ("Version", IAM_VERSION),
                ("UserName", &self.user),
            ],
        );
        step(lane, Step::GetUser, get_user.request()?, status_only).await;
        Ok(())
    }

    /// Send, receive, delete what came back; `false` when a call failed.
    async fn messages(&self, lane: &mut Lane, creds: &Credentials) -> Result<bool, BenchError> {
        let client = SqsClient::new(&self.target, creds.clone(), Protocol::Json);
        let message = String::from_utf8_lossy(&self.body);
        let send = client.call(&Call::SendMessage {
            queue_url: &self.queue_url,
            body: &message,
        })?;
        if step(lane, Step::SendMessage, send, status_only)
            .await
            .is_none()
        {
            return Ok(false);
        }
        let receive = client.call(&Call::ReceiveMessage {
            queue_url: &self.queue_url,
            max: 1,
            wait_seconds: 0,
        })?;
        let Some(body) = step(lane, Step::ReceiveMessage, receive, judge_receive).await else {
            return Ok(false);
        };
        let received = sqs::received(Protocol::Json, &body).unwrap_or_default();
        if received.is_empty() {
            lane.note("empty receive");
            return Ok(true);
        }
        let handles: Vec<&str> = received.iter().map(|m| m.receipt_handle.as_str()).collect();
        let delete = client.call(&delete_call(&self.queue_url, &handles))?;
        let n = handles.len();
        Ok(step(lane, Step::DeleteMessage, delete, |status, body| {
            judge_delete(Protocol::Json, n, status, body)
        })
        .await
        .is_some())
    }

    /// Put, get (the same bytes back), delete one object of this connection; `false` when a call
    /// failed.
    async fn objects(
        &self,
        lane: &mut Lane,
        creds: &Credentials,
        round: u64,
    ) -> Result<bool, BenchError> {
        let signer = Signer::new(creds.clone(), &self.target.region, "s3");
        let path = format!("/{}/soak/{:04}/{round:012}", self.bucket, lane.index);
        let request = |method: http::Method, body: Bytes, hash: &str| {
            signed_request(
                &signer,
                &self.target.endpoint.authority,
                SignedCall {
                    method,
                    path: &path,
                    query: "",
                    uri: &path,
                    headers: &[("x-amz-content-sha256", hash)],
                    body,
                    payload_hash: hash,
                },
            )
        };
        let put = request(http::Method::PUT, self.body.clone(), &self.body_hash)?;
        if step(lane, Step::PutObject, put, status_only)
            .await
            .is_none()
        {
            return Ok(false);
        }
        let get = request(http::Method::GET, Bytes::new(), &self.empty_hash)?;
        if step(lane, Step::GetObject, get, |status, body| {
            judge_same(&self.body, status, body)
        })
        .await
        .is_none()
        {
            return Ok(false);
        }
        let delete = request(http::Method::DELETE, Bytes::new(), &self.empty_hash)?;
        Ok(step(lane, Step::DeleteObject, delete, status_only)
            .await
            .is_some())
    }
}

/// GetCallerIdentity with role credentials must name an assumed role.
fn judge_who(status: http::StatusCode, body: &[u8]) -> Outcome<'_> {
    match status_only(status, body) {
        Outcome::Ok { items } => {
            let arn = xml_text(&String::from_utf8_lossy(body), "Arn").unwrap_or_default();
            if arn.contains(":assumed-role/") {
                Outcome::Ok { items }
            } else {
                Outcome::Failed(format!(
                    "GetCallerIdentity with role credentials named {arn:?}"
                ))
            }
        }
        other => other,
    }
}

/// A receive must be readable; it may be empty (items counts the messages).
fn judge_receive(status: http::StatusCode, body: &[u8]) -> Outcome<'_> {
    match status_only(status, body) {
        Outcome::Ok { .. } => match sqs::received(Protocol::Json, body) {
            Ok(m) => Outcome::Ok {
                items: m.len() as u64,
            },
            Err(e) => Outcome::Failed(e.to_string()),
        },
        other => other,
    }
}

/// A GetObject must return exactly the bytes put.
fn judge_same<'b>(expected: &[u8], status: http::StatusCode, body: &'b [u8]) -> Outcome<'b> {
    match status_only(status, body) {
        Outcome::Ok { .. } if body == expected => Outcome::Ok {
            items: body.len() as u64,
        },
        Outcome::Ok { .. } => Outcome::Failed(format!(
            "GetObject returned {} bytes unlike the {} put",
            body.len(),
            expected.len()
        )),
        other => other,
    }
}
