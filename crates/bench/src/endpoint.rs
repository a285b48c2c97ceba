//! The target's address: `http://HOST:PORT` only, resolved once before a run.
//!
//! Plain HTTP on purpose: the generator measures the server, not a TLS stack, and every peer in the
//! comparison is run on loopback.

use crate::error::BenchError;
use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `host:port` exactly as given; it is the `Host` header and part of every signature.
    pub authority: String,
    /// The first address the authority resolves to.
    pub addr: SocketAddr,
}

impl Endpoint {
    /// Parses `http://HOST:PORT[/]` and resolves it.
    pub async fn resolve(url: &str) -> Result<Self, BenchError> {
        let authority = parse_authority(url)?;
        let addrs = tokio::net::lookup_host(authority.clone()).await;
        let mut addrs = addrs.map_err(|source| BenchError::Resolve {
            endpoint: url.to_owned(),
            source,
        })?;
        let addr = addrs.next().ok_or_else(|| BenchError::Resolve {
            endpoint: url.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
        })?;
        Ok(Self { authority, addr })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.authority)
    }
}

/// The `host:port` of an `http://` URL with an explicit port and at most a trailing `/`.
fn parse_authority(url: &str) -> Result<String, BenchError> {
    let bad = || BenchError::BadEndpoint(url.to_owned());
    let rest = url.strip_prefix("http://").ok_or_else(bad)?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = authority.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty() || authority.contains('/') || port.parse::<u16>().is_err() {
        return Err(bad());
    }
    Ok(authority.to_owned())
}

#[cfg(test)]
mod tests {
    use super::parse_authority;

    #[test]
    fn accepts_only_plain_http_with_a_port() {
        let cases = [
            ("http://127.0.0.1:4566", Some("127.0.0.1:4566")),
            ("http://localhost:80/", Some("localhost:80")),
            ("http://[::1]:9000", Some("[::1]:9000")),
            ("https://127.0.0.1:4566", None),
            ("http://127.0.0.1", None),
            ("http://127.0.0.1:99999", None),
            ("http://127.0.0.1:80/path", None),
            ("127.0.0.1:80", None),
        ];
        for (url, want) in cases {
            assert_eq!(parse_authority(url).ok().as_deref(), want, "{url}");
        }
    }
}
