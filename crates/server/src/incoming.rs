//! The parts of an HTTP request that authentication and the services need, owned and bounded.
//!
//! Copying them out of hyper's types once keeps every later step free of HTTP crates: the
//! signature verifier wants raw path, raw query and header strings; the Query-protocol services
//! want decoded form parameters.

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming as HyperBody;
use std::net::SocketAddr;
use tessera_protocol::query::QueryError;
use tessera_protocol::QueryParams;

/// The largest body a Query- or JSON-protocol request may carry. SQS's largest request (a batch
/// whose messages total 1 MiB, base64 or form-encoded) fits; IAM and STS bodies are far smaller.
pub const MAX_QUERY_BODY: usize = 3 * 1024 * 1024;

/// At most this many header fields; AWS SDKs send about a dozen.
pub const MAX_HEADERS: usize = 200;

#[derive(Debug)]
pub struct Incoming {
    pub method: String,
    /// The path exactly as received (still percent-encoded).
    pub path: String,
    /// The query string without `?`, exactly as received.
    pub query: String,
    /// Header names in lower case (as hyper gives them) and their values; repeated names kept.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub remote: SocketAddr,
}

/// Why a request could not be read.
#[derive(Debug)]
pub enum ReadError {
    BodyTooLarge,
    /// A header value that is not visible ASCII/UTF-8.
    BadHeader,
    TooManyHeaders,
    /// The client went away or sent a malformed body.
    Body(String),
}

impl Incoming {
    /// Copies the head out of hyper's request; the body stays with the caller, which either reads
    /// it whole ([`Incoming::read_body`]) or streams it (S3).
    pub fn head(parts: &http::request::Parts, remote: SocketAddr) -> Result<Self, ReadError> {
        if parts.headers.len() > MAX_HEADERS {
            return Err(ReadError::TooManyHeaders);
        }
        let mut headers = Vec::with_capacity(parts.headers.len());
        for (name, value) in &parts.headers {
            let value = std::str::from_utf8(value.as_bytes()).map_err(|_| ReadError::BadHeader)?;
            headers.push((name.as_str().to_owned(), value.to_owned()));
        }
        Ok(Self {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or("").to_owned(),
            headers,
            body: Bytes::new(),
            remote,
        })
    }

    /// Reads the whole body (bounded by `MAX_QUERY_BODY`) into `self.body`.
    pub async fn read_body(&mut self, body: HyperBody) -> Result<(), ReadError> {
        if let Some(len) = self
            .header("content-length")
            .and_then(|v| v.parse::<u64>().ok())
        {
            if len > MAX_QUERY_BODY as u64 {
                return Err(ReadError::BodyTooLarge);
            }
        }
        self.body = Limited::new(body, MAX_QUERY_BODY)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    ReadError::BodyTooLarge
                } else {
                    ReadError::Body(e.to_string())
                }
            })?
            .to_bytes();
        Ok(())
    }

    /// The first value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the body is an HTML form (`application/x-www-form-urlencoded`), the Query protocol's
    /// POST encoding.
    pub fn has_form_body(&self) -> bool {
        self.method == "POST"
            && self.header("content-type").is_some_and(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            })
    }

    /// The Query-protocol parameters: the query string's, then the form body's.
    pub fn query_params(&self) -> Result<(QueryParams, Option<QueryParams>), QueryError> {
        let query = QueryParams::parse(self.query.as_bytes())?;
        let form = if self.has_form_body() {
            Some(QueryParams::parse(&self.body)?)
        } else {
            None
        };
        Ok((query, form))
    }
}
