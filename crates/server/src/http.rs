//! The HTTP shell: accept connections, bound what a client may send, shed what the server cannot
//! take, and shut down gracefully.
//!
//! HTTP/1.1 only (what the AWS SDKs and the CLI speak to a plain-HTTP endpoint), so a connection
//! carries at most one request at a time and the connection limit is also the limit on requests
//! in flight. A connection may take [`Limits::header_timeout`] to send a request head (an idle
//! keep-alive connection is closed after the same time) and [`BODY_TIMEOUT`] to send its body;
//! heads are bounded by [`MAX_HEAD_BYTES`] and [`crate::incoming::MAX_HEADERS`], bodies by
//! [`crate::incoming::MAX_QUERY_BODY`].
//!
//! Overload is answered, never silent: beyond [`Limits::max_connections`], a further
//! [`shed_margin`] connections are still accepted, read up to their request head, answered `503`
//! in their protocol's words (S3 `SlowDown`, elsewhere `ServiceUnavailable`, both of which the
//! SDKs retry with back-off) and closed; only past that margin do connections wait in the kernel's
//! accept queue. This module must never read a shed request's body or let it reach a service.

use crate::app::App;
use crate::classify::{self, Route, Service};
use crate::dispatch;
use crate::incoming::{Incoming, ReadError, MAX_HEADERS};
use crate::respond::{error_response, new_request_id, Body};
use anyhow::{Context, Result};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_protocol::AwsError;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const BODY_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest request head (request line and headers) hyper will buffer and accept; a larger one is
/// answered `431` by hyper and the connection closed.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// A shed connection gets at most this long to send its head: under overload a slow client must
/// not keep one of the few spare slots that tell other clients to back off.
const SHED_HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long in-flight requests get to finish after SIGTERM.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server takes on at once and how long it waits for a client; set on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once (each holds at most one request in flight).
    pub max_connections: usize,
    /// How long a client may take to send a request head, and how long an idle keep-alive
    /// connection is kept.
    pub header_timeout: Duration,
}

/// How many connections beyond the limit are accepted only to be told to back off: enough that a
/// burst of clients hears `503` instead of hanging in the accept queue, few enough that answering
/// them costs little (an eighth of the limit, at least 16, at most 1024).
pub fn shed_margin(max_connections: usize) -> usize {
    (max_connections / 8).clamp(16, 1024)
}

/// Serves `app` on `listen` until SIGTERM or Ctrl-C.
pub async fn serve(app: App, listen: SocketAddr, limits: Limits) -> Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    // The one line on stdout: scripts and tests read the port from it.
    println!("tessera listening on http://{addr}");
    let _ = std::io::stdout().flush();
    tracing::info!(
        %addr,
        region = app.region(),
        account = %app.default_account(),
        max_connections = limits.max_connections,
        "tessera is serving"
    );

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // Every accepted socket holds an `open` permit; the ones being served also a `serving` one.
    let open = Arc::new(Semaphore::new(
        limits.max_connections + shed_margin(limits.max_connections),
    ));
    let serving = Arc::new(Semaphore::new(limits.max_connections));
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let open_permit = tokio::select! {
            p = open.clone().acquire_owned() => p.context("connection limiter closed")?,
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
        let permits = Permits {
            _open: open_permit,
            serving: serving.clone().try_acquire_owned().ok(),
        };
        spawn_connection(&app, &graceful, stream, remote, limits, permits);
    }
    drop(listener);
    tracing::info!("shutting down: draining in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(DRAIN_TIMEOUT) => tracing::warn!("drain timed out; closing"),
    }
    Ok(())
}

/// The limiter slots a connection holds until it ends; without a `serving` slot it is shed.
struct Permits {
    _open: OwnedSemaphorePermit,
    serving: Option<OwnedSemaphorePermit>,
}

fn spawn_connection(
    app: &App,
    graceful: &hyper_util::server::graceful::GracefulShutdown,
    stream: TcpStream,
    remote: SocketAddr,
    limits: Limits,
    permits: Permits,
) {
    let shed = permits.serving.is_none();
    let app = app.clone();
    let service = service_fn(move |req| {
        let app = app.clone();
        async move {
            Ok::<_, Infallible>(if shed {
                overloaded(&app, req, remote)
            } else {
                handle(&app, req, remote).await
            })
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .max_buf_size(MAX_HEAD_BYTES)
        // The buffer bound alone is soft: one read may bring more than it, and a head that
        // arrived whole was accepted at any size. This bound is exact.
        .max_header_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        // Responses here are small: one flat write beats a writev of head and body
        // (measured +5% GetCallerIdentity). Revisit when S3 streams large bodies.
        .writev(false);
    if shed {
        builder
            .header_read_timeout(limits.header_timeout.min(SHED_HEADER_TIMEOUT))
            .keep_alive(false);
    } else {
        builder.header_read_timeout(limits.header_timeout);
    }
    let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(%remote, "connection ended: {e}");
        }
        drop(permits);
    });
}

/// The one answer a shed connection gets: `503` in the request's protocol, then `close`. The body
/// is never read.
fn overloaded(
    app: &App,
    req: hyper::Request<hyper::body::Incoming>,
    remote: SocketAddr,
) -> hyper::Response<Body> {
    let started = Instant::now();
    let (parts, _unread) = req.into_parts();
    let route = Incoming::head(&parts, remote).map_or(Route::Query(Service::Iam), |head| {
        classify::route_of_head(&head)
    });
    let mut response = error_response(route, &overload_error(route), &new_request_id());
    response.headers_mut().insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("close"),
    );
    app.metrics()
        .observe(route, response.status().as_u16(), started.elapsed());
    response
}

/// AWS's error for a server that cannot take the request now: S3's `SlowDown`, and the common
/// `ServiceUnavailable` of the Query and JSON services.
pub fn overload_error(route: Route) -> AwsError {
    match route {
        Route::S3 => AwsError::new("SlowDown", 503, "Please reduce your request rate."),
        _ => AwsError::new(
            "ServiceUnavailable",
            503,
            "The request has failed due to a temporary failure of the server.",
        ),
    }
}

async fn handle(
    app: &App,
    req: hyper::Request<hyper::body::Incoming>,
    remote: SocketAddr,
) -> hyper::Response<Body> {
    let (parts, body) = req.into_parts();
    let mut incoming = match Incoming::head(&parts, remote) {
        Ok(head) => head,
        // Headers that are not text cannot be classified; IAM's envelope is the generic one.
        Err(e) => return read_error(Route::Query(Service::Iam), &e),
    };
    if classify::streams_to_s3(&incoming) {
        return crate::s3::handle(app, incoming, parts, body).await;
    }
    match tokio::time::timeout(BODY_TIMEOUT, incoming.read_body(body)).await {
        Ok(Ok(())) => dispatch::handle(app, incoming).await,
        Ok(Err(e)) => read_error(classify::route_of_head(&incoming), &e),
        Err(_) => error_response(
            classify::route_of_head(&incoming),
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

/// A request that could not be read, answered in the envelope its head asks for (an SQS JSON
/// client must get JSON).
fn read_error(route: Route, e: &ReadError) -> hyper::Response<Body> {
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
    error_response(route, &err, &new_request_id())
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
