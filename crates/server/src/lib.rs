//! The tessera server: the process shell that wires the pure crates and the services together.
//!
//! A request flows through these modules, in order:
//! - [`http`]: accepts connections, bounds heads, bodies and idle time, shuts down gracefully.
//! - [`incoming`]: copies what every later step needs out of the hyper request (method, raw path
//!   and query, headers, the bounded body).
//! - [`classify`]: decides which service and protocol a request speaks.
//! - [`auth`]: authenticates it (SigV4 header or presigned, SigV2) into a [`tessera_core::Principal`].
//! - [`authorize`]: decides whether that principal may perform the action.
//! - [`dispatch`]: decodes the operation, calls the service, encodes the answer or the error in the
//!   protocol the request came in, and records the decision in the audit log and metrics;
//!   [`respond`] builds the responses and AWS's error envelopes.
//!
//! Start-up lives in [`cli`] (flags and environment), [`data_dir`] (the files tessera keeps beside
//! its database) and [`app`] (the shared state). Only this crate reads configuration or the
//! environment; the services never see HTTP types.

pub mod app;
pub mod audit;
pub mod auth;
pub mod authorize;
pub mod classify;
pub mod cli;
pub mod data_dir;
pub mod dispatch;
pub mod http;
pub mod incoming;
pub mod jwks;
pub mod metrics;
pub mod mfa;
pub mod respond;
pub mod s3;
pub mod secrets;
pub mod sqs;
