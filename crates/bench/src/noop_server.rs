//! A do-nothing HTTP/1.1 server: the ceiling of this machine (and of the generator) that every
//! other figure is read against. It reads each request whole and answers with a status chosen per
//! request (always 200 for `serve-noop`; the tests alternate 200 and 500) and a fixed body (`ok`,
//! or `--body-size` bytes: the ceiling for large GETs).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;

/// Picks the status of the n-th request (counting from 0 across all connections).
pub type StatusFor = Arc<dyn Fn(u64) -> http::StatusCode + Send + Sync>;

/// Serves until the task is dropped; connection errors end only their connection.
pub async fn serve(
    listener: TcpListener,
    status_for: StatusFor,
    body: Bytes,
) -> std::io::Result<()> {
    let counter = Arc::new(AtomicU64::new(0));
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let counter = counter.clone();
        let status_for = status_for.clone();
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let status = status_for(n);
                let body = body.clone();
                async move {
                    // A body that fails to arrive still gets an answer; the client sees the reset.
                    let _ = req.into_body().collect().await;
                    let mut resp = hyper::Response::new(Full::new(body));
                    *resp.status_mut() = status;
                    Ok::<_, Infallible>(resp)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
