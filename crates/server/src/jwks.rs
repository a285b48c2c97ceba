//! Where OIDC issuers' signing keys come from, for `AssumeRoleWithWebIdentity`.
//!
//! Air-gapped sites configure an issuer's JWKS as a file (`--oidc-jwks ISSUER=FILE`); otherwise
//! the keys are discovered from `ISSUER/.well-known/openid-configuration` and its `jwks_uri`,
//! cached for [`CACHE_TTL`], and re-fetched early (at most every [`MIN_REFRESH`]) when a token
//! names a key the cached set lacks, which is how issuers roll keys. Discovery speaks plain HTTP
//! only in this build: an `https://` issuer needs its JWKS configured.

use anyhow::{bail, Context as _, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tessera_oidc::Jwks;

const CACHE_TTL: Duration = Duration::from_secs(600);
const MIN_REFRESH: Duration = Duration::from_secs(10);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

pub struct JwksFetcher {
    configured: HashMap<String, Jwks>,
    client: Client<HttpConnector, Empty<Bytes>>,
    cache: Mutex<HashMap<String, (Instant, Jwks)>>,
}

impl JwksFetcher {
    /// `configured` holds `ISSUER=FILE` pairs.
    pub fn new(configured: &[String]) -> Result<Self> {
        let mut map = HashMap::new();
        for pair in configured {
            let (issuer, path) = pair
                .split_once('=')
                .with_context(|| format!("--oidc-jwks expects ISSUER=FILE, got {pair:?}"))?;
            let bytes = std::fs::read(path).with_context(|| format!("reading JWKS {path}"))?;
            let jwks = Jwks::from_json(&bytes)
                .map_err(|e| anyhow::anyhow!("JWKS {path} for {issuer}: {e}"))?;
            map.insert(issuer.trim_end_matches('/').to_owned(), jwks);
        }
        Ok(Self {
            configured: map,
            client: Client::builder(TokioExecutor::new()).build_http(),
            cache: Mutex::new(HashMap::new()),
        })
    }

    async fn get(&self, url: &str, limit: usize) -> Result<Bytes> {
        let uri: hyper::Uri = url.parse().with_context(|| format!("bad URL {url}"))?;
        if uri.scheme_str() != Some("http") {
            bail!("{url}: only http:// discovery is available in this build; configure the issuer's JWKS with --oidc-jwks");
        }
        let resp = tokio::time::timeout(FETCH_TIMEOUT, self.client.get(uri))
            .await
            .with_context(|| format!("{url}: timed out"))?
            .with_context(|| format!("{url}: request failed"))?;
        if !resp.status().is_success() {
            bail!("{url}: HTTP {}", resp.status());
        }
        let body = tokio::time::timeout(
            FETCH_TIMEOUT,
            Limited::new(resp.into_body(), limit).collect(),
        )
        .await
        .with_context(|| format!("{url}: timed out"))?
        .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
        Ok(body.to_bytes())
    }

    async fn discover(&self, issuer: &str) -> Result<Jwks> {
        let discovery = self
            .get(
                &tessera_oidc::discovery_url(issuer),
                tessera_oidc::MAX_DISCOVERY_BYTES,
            )
            .await?;
        let doc = tessera_oidc::parse_discovery(&discovery, issuer)
            .map_err(|e| anyhow::anyhow!("{issuer}: {e}"))?;
        let keys = self.get(&doc.jwks_uri, Jwks::MAX_DOCUMENT_BYTES).await?;
        Jwks::from_json(&keys).map_err(|e| anyhow::anyhow!("{}: {e}", doc.jwks_uri))
    }

    async fn lookup(&self, issuer: &str, refresh: bool) -> Result<Jwks, String> {
        if let Some(jwks) = self.configured.get(issuer.trim_end_matches('/')) {
            return Ok(jwks.clone());
        }
        if let Some((at, jwks)) = self.cache.lock().get(issuer) {
            let age = at.elapsed();
            if age < CACHE_TTL && (!refresh || age < MIN_REFRESH) {
                return Ok(jwks.clone());
            }
        }
        let jwks = self.discover(issuer).await.map_err(|e| {
            tracing::warn!("cannot get the signing keys of {issuer}: {e:#}");
            format!("Couldn't retrieve verification key from your identity provider: {e:#}")
        })?;
        self.cache
            .lock()
            .insert(issuer.to_owned(), (Instant::now(), jwks.clone()));
        Ok(jwks)
    }
}

impl tessera_sts::JwksSource for JwksFetcher {
    fn jwks<'a>(
        &'a self,
        issuer: &'a str,
        refresh: bool,
    ) -> Pin<Box<dyn Future<Output = Result<Jwks, String>> + Send + 'a>> {
        Box::pin(self.lookup(issuer, refresh))
    }
}
