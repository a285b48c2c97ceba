//! The HTTP shell: accept connections, bound what a client may send, and shut down gracefully.
//!
//! HTTP/1.1 only (what the AWS SDKs and the CLI speak to a plain-HTTP endpoint). A connection may
//! take at most [`HEADER_TIMEOUT`] to send a request head and [`BODY_TIMEOUT`] to send its body;
//! heads are bounded by hyper's buffer size, bodies by [`crate::incoming::MAX_QUERY_BODY`].

use crate::app::App;
use crate::classify::{self, Route, Service};
use crate::dispatch;
use crate::incoming::{Incoming, ReadError};
use crate::respond::{error_response, new_request_id, Body};
use anyhow::{Context, Result};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tessera_protocol::AwsError;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
const BODY_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest request head (request line and headers) hyper will buffer.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Connections served at once; further ones wait in the kernel's accept queue.
const MAX_CONNECTIONS: usize = 4096;
/// How long in-flight requests get to finish after SIGTERM.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` on `listen` until SIGTERM or Ctrl-C.
pub async fn serve(app: App, listen: SocketAddr) -> Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    // The one line on stdout: scripts and tests read the port from it.
    println!("tessera listening on http://{addr}");
    let _ = std::io::stdout().flush();
    tracing::info!(%addr, region = app.region(), account = %app.default_account(), "tessera is serving");

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.context("connection limiter closed")?,
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = service_fn(move |req| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(handle(&app, req, remote).await) }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .max_buf_size(MAX_HEAD_BYTES)
            // Responses here are small: one flat write beats a writev of head and body
            // (measured +5% GetCallerIdentity). Revisit when S3 streams large bodies.
            .writev(false)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%remote, "connection ended: {e}");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("shutting down: draining in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(DRAIN_TIMEOUT) => tracing::warn!("drain timed out; closing"),
    }
    Ok(())
}

async fn handle(
    app: &App,
    req: hyper::Request<hyper::body::Incoming>,
    remote: SocketAddr,
) -> hyper::Response<Body> {
    let (parts, body) = req.into_parts();
    let mut incoming = match Incoming::head(&parts, remote) {
        Ok(head) => head,
        Err(e) => return read_error(&e),
    };
    if classify::streams_to_s3(&incoming) {
        return crate::s3::handle(app, incoming, parts, body).await;
    }
    match tokio::time::timeout(BODY_TIMEOUT, incoming.read_body(body)).await {
        Ok(Ok(())) => dispatch::handle(app, incoming).await,
        Ok(Err(e)) => read_error(&e),
        Err(_) => error_response(
            Route::Query(Service::Iam),
            &request_timeout(),
            &new_request_id(),
        ),
    }
}

/// AWS's error for a client that stopped sending mid-request.
pub fn request_timeout() -> AwsError {
    AwsError::new(
        "RequestTimeout",
        400,
        "Your socket connection to the server was not read from or written to within the timeout period.",
    )
}

fn read_error(e: &ReadError) -> hyper::Response<Body> {
    let err = match e {
        ReadError::BodyTooLarge => AwsError::new(
            "RequestEntityTooLarge",
            413,
            format!(
                "The request body exceeds the maximum of {} bytes",
                crate::incoming::MAX_QUERY_BODY
            ),
        ),
        ReadError::BadHeader => {
            AwsError::new("InvalidHeader", 400, "A header value is not valid UTF-8")
        }
        ReadError::TooManyHeaders => {
            AwsError::new("InvalidHeader", 400, "The request has too many headers")
        }
        ReadError::Body(e) => AwsError::new(
            "IncompleteBody",
            400,
            format!("The request body could not be read: {e}"),
        ),
    };
    error_response(Route::Query(Service::Iam), &err, &new_request_id())
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
