//! Workloads: what one iteration of a run is, and the set-up that makes it possible.
//!
//! A workload is set up once against the target (creating users, roles, queues, buckets, filling
//! them as it needs), then drives every connection of the run through a [`Lane`]: most send one
//! freshly signed request per iteration and judge its answer ([`request_loop`]); some chain two
//! requests (receive then delete) or split the connections into roles (long-poll senders and
//! receivers). Adding a workload means a type implementing [`Workload`] and a line in [`by_name`];
//! the runner does not change. Workloads never hide a failure: whatever they cannot accept becomes
//! an [`Outcome`] the report counts.

mod iam;
mod mixed;
mod noop;
mod s3;
mod sqs;
mod sqs_long_poll;
mod sts;

use crate::conn::{Connection, RequestBody};
use crate::endpoint::Endpoint;
use crate::error::BenchError;
use crate::query::{form_body, xml_text, FORM_CONTENT_TYPE};
use crate::runner::Lane;
use crate::sigv4::{payload_hash, Credentials, Signable, Signer};
use crate::stats::Outcome;
use bytes::Bytes;
use http_body_util::Full;
use std::future::Future;
use std::pin::Pin;
use std::time::{Instant, SystemTime};

pub use crate::sqs::Protocol;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Everything set-up may use: where the server is and the credentials given on the command line.
pub struct Target {
    pub endpoint: Endpoint,
    pub region: String,
    pub credentials: Option<Credentials>,
}

impl Target {
    /// The command-line credentials, required by every signed workload.
    pub fn credentials(&self, workload: &'static str) -> Result<&Credentials, BenchError> {
        self.credentials
            .as_ref()
            .ok_or(BenchError::MissingCredentials(workload))
    }
}

pub trait Workload: Send + Sync {
    fn name(&self) -> &'static str;
    /// What the report's `items` counts, if anything beyond iterations.
    fn item_unit(&self) -> Option<&'static str> {
        None
    }
    /// Fewest connections the workload can run on (2 when it needs a sender and a receiver).
    fn min_connections(&self) -> usize {
        1
    }
    /// Prepares the target; runs once, before any load.
    fn setup<'a>(&'a mut self, target: &'a Target) -> BoxFuture<'a, Result<(), BenchError>>;
    /// Drives one connection until its lane says stop; called once per connection, concurrently.
    fn drive<'a>(&'a self, lane: &'a mut Lane) -> BoxFuture<'a, Result<(), BenchError>>;
}

/// The knobs of the SQS and S3 workloads (the others ignore them).
#[derive(Debug, Clone)]
pub struct Options {
    /// SQS protocol of every call, set-up included.
    pub protocol: Protocol,
    /// Message body or object size in bytes.
    pub size: usize,
    /// Distinct object keys (s3-put cycles over them, s3-get reads them, s3-list lists them);
    /// `None`: the workload's own default.
    pub keys: Option<usize>,
    /// `MaxNumberOfMessages` of each receive, 1..=10.
    pub max_messages: u8,
    /// Messages sqs-receive-delete makes sure are waiting before the load starts.
    pub prefill: u64,
    /// Sign S3 bodies as `UNSIGNED-PAYLOAD` instead of their SHA-256.
    pub unsigned_payload: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            protocol: Protocol::Query,
            size: 1024,
            keys: None,
            max_messages: 10,
            prefill: 10_000,
            unsigned_payload: false,
        }
    }
}

/// The workloads `--workload` accepts.
pub const NAMES: &[&str] = &[
    "sts-get-caller-identity",
    "sts-get-caller-identity-session",
    "sts-assume-role",
    "iam-get-user",
    "sqs-send",
    "sqs-send-batch",
    "sqs-receive-delete",
    "sqs-long-poll-latency",
    "s3-put",
    "s3-get",
    "s3-list",
    "mixed",
    "noop",
];

pub fn by_name(name: &str, options: &Options) -> Result<Box<dyn Workload>, BenchError> {
    if !(1..=10).contains(&options.max_messages) {
        return Err(BenchError::BadOption(format!(
            "--max-messages {} is outside 1..=10",
            options.max_messages
        )));
    }
    Ok(match name {
        "sts-get-caller-identity" => Box::new(sts::GetCallerIdentity::long_term()),
        "sts-get-caller-identity-session" => Box::new(sts::GetCallerIdentity::session()),
        "sts-assume-role" => Box::new(sts::AssumeRole::default()),
        "iam-get-user" => Box::new(iam::GetUser::default()),
        "sqs-send" => Box::new(sqs::Send::single(options)),
        "sqs-send-batch" => Box::new(sqs::Send::batch(options)),
        "sqs-receive-delete" => Box::new(sqs::ReceiveDelete::new(options)),
        "sqs-long-poll-latency" => Box::new(sqs_long_poll::LongPoll::new(options)),
        "s3-put" => Box::new(s3::S3::new(s3::Kind::Put, options)),
        "s3-get" => Box::new(s3::S3::new(s3::Kind::Get, options)),
        "s3-list" => Box::new(s3::S3::new(s3::Kind::List, options)),
        "mixed" => Box::new(mixed::Mixed::new(options)),
        "noop" => Box::new(noop::Noop::default()),
        other => return Err(BenchError::UnknownWorkload(other.to_owned())),
    })
}

/// The loop of single-request workloads: take an iteration, build a freshly signed request, send
/// it, let `judge` decide what the answer was, record.
pub async fn request_loop(
    lane: &mut Lane,
    make: impl Fn() -> Result<http::Request<RequestBody>, BenchError>,
    judge: impl Fn(http::StatusCode, &[u8]) -> Outcome<'_>,
) -> Result<(), BenchError> {
    while lane.next_iteration() {
        let req = make()?;
        let sent = Instant::now();
        if let Some((status, body)) = lane.send(req).await {
            let took = sent.elapsed();
            lane.record(judge(status, &body), took);
        }
    }
    Ok(())
}

/// The judgement of workloads whose answer only has to be 2xx.
pub fn status_only(status: http::StatusCode, body: &[u8]) -> Outcome<'_> {
    if status.is_success() {
        Outcome::Ok { items: 1 }
    } else {
        Outcome::Status(status, body)
    }
}

/// A request to sign: everything but `host` and the headers the signer adds.
pub struct SignedCall<'a> {
    pub method: http::Method,
    /// The path, already in canonical (URI-encoded) form, e.g. `/bucket/key`.
    pub path: &'a str,
    /// The query string, already sorted and encoded the SigV4 way; empty for none.
    pub query: &'a str,
    /// The request target (`path` or `path?query`), sent as is.
    pub uri: &'a str,
    /// Lower-case names; all are signed and sent.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Bytes,
    pub payload_hash: &'a str,
}

/// Signs `call` now for `authority` and builds the request.
pub fn signed_request(
    signer: &Signer,
    authority: &str,
    call: SignedCall<'_>,
) -> Result<http::Request<RequestBody>, BenchError> {
    let mut headers = Vec::with_capacity(call.headers.len() + 1);
    headers.extend_from_slice(call.headers);
    headers.push(("host", authority));
    let signed = signer.sign(
        &Signable {
            method: call.method.as_str(),
            canonical_uri: call.path,
            canonical_query: call.query,
            headers: &headers,
            payload_hash: call.payload_hash,
        },
        SystemTime::now(),
    );
    let mut builder = http::Request::builder()
        .method(call.method)
        .uri(call.uri)
        .header(http::header::HOST, authority);
    for (name, value) in call.headers {
        builder = builder.header(*name, *value);
    }
    builder = builder
        .header("x-amz-date", signed.x_amz_date)
        .header(http::header::AUTHORIZATION, signed.authorization);
    if let Some(token) = signed.x_amz_security_token {
        builder = builder.header("x-amz-security-token", token);
    }
    Ok(builder.body(Full::new(call.body))?)
}

/// One fixed Query-protocol call (`POST /` with a form body), re-signed for every send.
pub struct SignedQuery {
    signer: Signer,
    authority: String,
    body: Bytes,
    payload_hash: String,
}

impl SignedQuery {
    pub fn new(
        target: &Target,
        credentials: Credentials,
        service: &str,
        params: &[(&str, &str)],
    ) -> Self {
        let body = Bytes::from(form_body(params));
        Self {
            signer: Signer::new(credentials, &target.region, service),
            authority: target.endpoint.authority.clone(),
            payload_hash: payload_hash(&body),
            body,
        }
    }

    pub fn request(&self) -> Result<http::Request<RequestBody>, BenchError> {
        signed_request(
            &self.signer,
            &self.authority,
            SignedCall {
                method: http::Method::POST,
                path: "/",
                query: "",
                uri: "/",
                headers: &[("content-type", FORM_CONTENT_TYPE)],
                body: self.body.clone(),
                payload_hash: &self.payload_hash,
            },
        )
    }
}

/// Sends one set-up request on a fresh connection; anything but 2xx fails the set-up. Returns
/// the body.
pub async fn setup_send(
    target: &Target,
    action: &str,
    req: http::Request<RequestBody>,
) -> Result<Bytes, BenchError> {
    let mut conn = Connection::open(target.endpoint.addr).await?;
    let (status, body) = conn.send(req).await?;
    if !status.is_success() {
        return Err(BenchError::SetupCall {
            action: action.to_owned(),
            status: status.as_u16(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    }
    Ok(body)
}

/// Sends `count` set-up requests over `parallel` connections (re-opened whenever the server closes
/// one), each answer judged by `check`; the first failure fails the set-up.
pub async fn setup_fan_out(
    target: &Target,
    action: &str,
    count: usize,
    parallel: usize,
    make: impl Fn(usize) -> Result<http::Request<RequestBody>, BenchError>,
    check: impl Fn(&[u8]) -> Result<(), String>,
) -> Result<(), BenchError> {
    let (make, check) = (&make, &check);
    let parallel = parallel.clamp(1, count.max(1));
    let workers = (0..parallel).map(|w| async move {
        let mut conn: Option<Connection> = None;
        for i in (w..count).step_by(parallel) {
            let reusable = match conn.as_mut() {
                Some(c) => c.ready().await,
                None => false,
            };
            if !reusable {
                conn = Some(Connection::open(target.endpoint.addr).await?);
            }
            let Some(c) = conn.as_mut() else { continue };
            let (status, body) = c.send(make(i)?).await?;
            if !status.is_success() {
                return Err(BenchError::SetupCall {
                    action: action.to_owned(),
                    status: status.as_u16(),
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
            }
            check(&body).map_err(|why| BenchError::SetupCheck {
                action: action.to_owned(),
                why,
            })?;
        }
        Ok::<(), BenchError>(())
    });
    futures_util::future::try_join_all(workers).await?;
    Ok(())
}

/// Makes one set-up call and returns the response body; anything but 2xx fails the set-up.
pub async fn setup_call(
    target: &Target,
    credentials: &Credentials,
    service: &str,
    params: &[(&str, &str)],
) -> Result<String, BenchError> {
    let action = params
        .iter()
        .find(|(k, _)| *k == "Action")
        .map_or("?", |(_, v)| *v)
        .to_owned();
    let query = SignedQuery::new(target, credentials.clone(), service, params);
    let body = setup_send(target, &action, query.request()?).await?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// A field of a set-up response that set-up cannot go on without.
pub fn required_field(xml: &str, action: &str, tag: &'static str) -> Result<String, BenchError> {
    xml_text(xml, tag).ok_or_else(|| BenchError::SetupResponse {
        action: action.to_owned(),
        tag,
    })
}

/// A suffix that keeps names created by repeated runs against one server apart.
pub fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// The error of `next_request` before `setup` ran; a bug in the runner, reported, never a panic.
fn not_set_up(name: &'static str) -> BenchError {
    BenchError::NotSetUp(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
        SigningSettings, UriPathNormalizationMode,
    };
    use aws_sigv4::sign::v4;
    use aws_smithy_runtime_api::client::identity::Identity;

    /// The `Authorization` AWS's own signer gives the request we built, at its `x-amz-date`.
    fn reference(
        creds: &Credentials,
        service: &str,
        req: &http::Request<RequestBody>,
        body: &[u8],
        s3: bool,
    ) -> Option<String> {
        let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok());
        let format =
            time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        let when = time::PrimitiveDateTime::parse(header("x-amz-date")?, format).ok()?;
        let identity: Identity = aws_credential_types::Credentials::new(
            &creds.access_key_id,
            &creds.secret_access_key,
            creds.session_token.clone(),
            None,
            "test",
        )
        .into();
        let mut settings = SigningSettings::default();
        if s3 {
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(service)
            .time(when.assume_utc().into())
            .settings(settings)
            .build()
            .ok()?
            .into();
        let signed_names = ["host", "content-type", "x-amz-target"];
        let headers: Vec<(&str, &str)> = signed_names
            .iter()
            .filter_map(|n| Some((*n, header(n)?)))
            .collect();
        let url = format!("http://{}{}", header("host")?, req.uri());
        let payload = match header("x-amz-content-sha256") {
            Some("UNSIGNED-PAYLOAD") => SignableBody::UnsignedPayload,
            _ => SignableBody::Bytes(body),
        };
        let signable =
            SignableRequest::new(req.method().as_str(), url, headers.into_iter(), payload).ok()?;
        let (instructions, _) = sign(signable, &params).ok()?.into_parts();
        let authorization = instructions
            .headers()
            .find(|(n, _)| *n == "authorization")
            .map(|(_, v)| v.to_owned());
        authorization
    }

    #[test]
    fn s3_and_sqs_json_requests_are_signed_as_aws_signs_them() {
        let long_term = Credentials {
            access_key_id: "AKIAROOTROOTROOT1234".into(),
            secret_access_key: "rootsecretrootsecretrootsecretrootsecre".into(),
            session_token: None,
        };
        let session = Credentials {
            access_key_id: "ASIAEXAMPLEEXAMPLE12".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("FwoGZXIvYXdzEXAMPLE+token/value==".into()),
        };
        let object = b"hello object".to_vec();
        let object_hash = payload_hash(&object);
        let empty_hash = payload_hash(b"");
        let json = br#"{"QueueUrl":"http://h/1/q","MessageBody":"m"}"#.to_vec();
        let json_hash = payload_hash(&json);
        type Case<'a> = (
            &'a str,
            http::Method,
            &'a str,
            &'a str,
            &'a str,
            Vec<(&'a str, &'a str)>,
            &'a [u8],
            &'a str,
        );
        let cases: [Case; 4] = [
            (
                "s3",
                http::Method::GET,
                "/tessera-bench",
                "list-type=2&max-keys=1000&prefix=list%2F",
                "/tessera-bench?list-type=2&max-keys=1000&prefix=list%2F",
                vec![("x-amz-content-sha256", empty_hash.as_str())],
                b"",
                empty_hash.as_str(),
            ),
            (
                "s3",
                http::Method::PUT,
                "/tessera-bench/put/00000007",
                "",
                "/tessera-bench/put/00000007",
                vec![("x-amz-content-sha256", object_hash.as_str())],
                &object,
                object_hash.as_str(),
            ),
            (
                "s3",
                http::Method::PUT,
                "/tessera-bench/put/00000007",
                "",
                "/tessera-bench/put/00000007",
                vec![("x-amz-content-sha256", "UNSIGNED-PAYLOAD")],
                &object,
                "UNSIGNED-PAYLOAD",
            ),
            (
                "sqs",
                http::Method::POST,
                "/",
                "",
                "/",
                vec![
                    ("content-type", "application/x-amz-json-1.0"),
                    ("x-amz-target", "AmazonSQS.SendMessage"),
                ],
                &json,
                json_hash.as_str(),
            ),
        ];
        for creds in [&long_term, &session] {
            for (service, method, path, query, uri, headers, body, hash) in &cases {
                let signer = Signer::new(creds.clone(), "us-east-1", service);
                let req = signed_request(
                    &signer,
                    "127.0.0.1:4566",
                    SignedCall {
                        method: method.clone(),
                        path,
                        query,
                        uri,
                        headers,
                        body: Bytes::copy_from_slice(body),
                        payload_hash: hash,
                    },
                );
                let Ok(req) = req else {
                    panic!("request not built")
                };
                let ours = req
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let s3 = *service == "s3";
                assert!(ours.is_some());
                assert_eq!(
                    ours,
                    reference(creds, service, &req, body, s3),
                    "{method} {uri}"
                );
                assert_eq!(
                    req.headers().get("x-amz-security-token").is_some(),
                    creds.session_token.is_some()
                );
            }
        }
    }
}
