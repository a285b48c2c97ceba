//! tessera-bench: a load generator for tessera and its peers.
//!
//! Layout: [`endpoint`] (where), [`sigv4`] (a fast signer with a per-day key cache), [`conn`] (one
//! keep-alive HTTP/1.1 connection), [`query`] (form bodies, XML elements), [`sqs`] (SQS calls in
//! the Query and JSON protocols, and their answers read back), [`workload`] (what each iteration
//! is, and its set-up), [`runner`] (N connections, each a lane a workload drives), [`stats`]
//! (outcomes, error counts and latency histograms), [`noop_server`] (the do-nothing ceiling). It
//! must never hide a failed request: every non-2xx answer, every transport error and every answer
//! a workload cannot accept is counted and reported.

pub mod conn;
pub mod endpoint;
pub mod error;
pub mod noop_server;
pub mod query;
pub mod runner;
pub mod sigv4;
pub mod sqs;
pub mod stats;
pub mod workload;

pub use error::BenchError;
