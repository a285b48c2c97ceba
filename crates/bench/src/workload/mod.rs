//! Workloads: what one request of a run is, and the set-up that makes it possible.
//!
//! A workload is set up once against the target (creating users, roles, session credentials as
//! it needs), then asked for one freshly signed request per send, from every connection at once.
//! Adding a service (SQS, S3) means adding a module with a type implementing [`Workload`] and a
//! line in [`by_name`]; the runner does not change.

mod iam;
mod noop;
mod sts;

use crate::conn::{Connection, RequestBody};
use crate::endpoint::Endpoint;
use crate::error::BenchError;
use crate::query::{form_body, xml_text, FORM_CONTENT_TYPE};
use crate::sigv4::{payload_hash, Credentials, Signable, Signer};
use bytes::Bytes;
use http_body_util::Full;
use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

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
    /// Prepares the target; runs once, before any load.
    fn setup<'a>(&'a mut self, target: &'a Target) -> BoxFuture<'a, Result<(), BenchError>>;
    /// The next request, signed now. Called concurrently from every connection.
    fn next_request(&self) -> Result<http::Request<RequestBody>, BenchError>;
}

/// The workloads `--workload` accepts.
pub const NAMES: &[&str] = &[
    "sts-get-caller-identity",
    "sts-get-caller-identity-session",
    "sts-assume-role",
    "iam-get-user",
    "noop",
];

pub fn by_name(name: &str) -> Result<Box<dyn Workload>, BenchError> {
    Ok(match name {
        "sts-get-caller-identity" => Box::new(sts::GetCallerIdentity::long_term()),
        "sts-get-caller-identity-session" => Box::new(sts::GetCallerIdentity::session()),
        "sts-assume-role" => Box::new(sts::AssumeRole::default()),
        "iam-get-user" => Box::new(iam::GetUser::default()),
        "noop" => Box::new(noop::Noop::default()),
        other => return Err(BenchError::UnknownWorkload(other.to_owned())),
    })
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
        let signed = self.signer.sign(
            &Signable {
                method: "POST",
                canonical_uri: "/",
                canonical_query: "",
                headers: &[
                    ("content-type", FORM_CONTENT_TYPE),
                    ("host", &self.authority),
                ],
                payload_hash: &self.payload_hash,
            },
            SystemTime::now(),
        );
        let mut builder = http::Request::post("/")
            .header(http::header::HOST, &self.authority)
            .header(http::header::CONTENT_TYPE, FORM_CONTENT_TYPE)
            .header("x-amz-date", signed.x_amz_date)
            .header(http::header::AUTHORIZATION, signed.authorization);
        if let Some(token) = signed.x_amz_security_token {
            builder = builder.header("x-amz-security-token", token);
        }
        Ok(builder.body(Full::new(self.body.clone()))?)
    }
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
    let mut conn = Connection::open(target.endpoint.addr).await?;
    let (status, body) = conn.send(query.request()?).await?;
    let body = String::from_utf8_lossy(&body).into_owned();
    if !status.is_success() {
        return Err(BenchError::SetupCall {
            action,
            status: status.as_u16(),
            body,
        });
    }
    Ok(body)
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
