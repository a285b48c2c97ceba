//! tessera-bench: a load generator for tessera and its peers.
//!
//! Layout: [`endpoint`] (where), [`sigv4`] (a fast signer with a per-day key cache), [`conn`] (one
//! keep-alive HTTP/1.1 connection), [`workload`] (what each request is, and its set-up),
//! [`runner`] (N connections in a loop), [`stats`] (error counts and latency histograms),
//! [`noop_server`] (the do-nothing ceiling). It must never hide a failed request: every non-2xx
//! answer and every transport error is counted and reported.

pub mod conn;
pub mod endpoint;
pub mod error;
pub mod noop_server;
pub mod query;
pub mod runner;
pub mod sigv4;
pub mod stats;
pub mod workload;

pub use error::BenchError;
