//! The one error type of the load generator. Request failures during a run are *counted*, not
//! raised; these are the failures that stop a run (bad flags, unreachable endpoint, failed set-up).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum BenchError {
    #[error("invalid endpoint {0:?}: expected http://HOST:PORT (plain HTTP)")]
    BadEndpoint(String),
    #[error("cannot resolve {endpoint}: {source}")]
    Resolve {
        endpoint: String,
        source: std::io::Error,
    },
    #[error("cannot connect to {endpoint}: {source} (is the server running?)")]
    Unreachable {
        endpoint: String,
        source: std::io::Error,
    },
    #[error("unknown workload {0:?}; known: {known}", known = crate::workload::NAMES.join(", "))]
    UnknownWorkload(String),
    #[error("workload {0} signs its requests: pass --access-key and --secret-key (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)")]
    MissingCredentials(&'static str),
    #[error("set-up call {action} failed: HTTP {status}: {body}")]
    SetupCall {
        action: String,
        status: u16,
        body: String,
    },
    #[error("set-up response of {action} lacks <{tag}>")]
    SetupResponse { action: String, tag: &'static str },
    #[error("set-up call {action} was answered 2xx but failed its check: {why}")]
    SetupCheck { action: String, why: String },
    #[error("workload {workload} needs at least {needs} connections")]
    TooFewConnections {
        workload: &'static str,
        needs: usize,
    },
    #[error("invalid option: {0}")]
    BadOption(String),
    #[error("workload {0} was asked for a request before its set-up ran")]
    NotSetUp(&'static str),
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    #[error("building a request: {0}")]
    Request(#[from] http::Error),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("a connection task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}
