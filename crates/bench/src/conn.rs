//! One keep-alive HTTP/1.1 connection, owned by one load task; no pooling, so the number of
//! connections the server sees is exactly `--connections`.

use crate::error::BenchError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{handshake, SendRequest};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

pub type RequestBody = Full<Bytes>;

pub struct Connection {
    sender: SendRequest<RequestBody>,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> Result<Self, BenchError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, driver) = handshake(TokioIo::new(stream)).await?;
        // The driver's own failure reappears as the next `send`'s error, where it is counted.
        tokio::spawn(async move {
            let _ = driver.await;
        });
        Ok(Self { sender })
    }

    /// Waits until the connection can take a request; false when the server has closed it (e.g.
    /// after `Connection: close`, which the client may learn only after reading the response).
    pub async fn ready(&mut self) -> bool {
        self.sender.ready().await.is_ok()
    }

    /// Sends one request and reads the whole response body (a connection is reusable only then).
    pub async fn send(
        &mut self,
        req: http::Request<RequestBody>,
    ) -> Result<(http::StatusCode, Bytes), BenchError> {
        self.sender.ready().await?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}
