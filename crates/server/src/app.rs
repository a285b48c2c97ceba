//! The server's shared state and its start-up sequence.

use crate::audit::AuditLog;
use crate::authorize::PolicyCache;
use crate::cli::ServeArgs;
use crate::data_dir::DataDir;
use crate::jwks::JwksFetcher;
use crate::metrics::Metrics;
use crate::secrets::MasterKeyCipher;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::Arc;
use tessera_core::{AccountId, Clock, SystemClock};
use tessera_iam::Iam;
use tessera_sigv::SigningKeyCache;
use tessera_store::Store;
use tessera_sts::{Sts, StsConfig};
use tessera_token::MasterKey;

/// What `App::start` needs, separated from clap so tests can build it directly.
#[derive(Debug, Clone)]
pub struct StartOptions {
    pub data_dir: PathBuf,
    pub store: String,
    pub config: Option<PathBuf>,
    pub region: String,
    pub account_id: Option<String>,
    pub root_access_key_id: Option<String>,
    pub root_secret_access_key: Option<String>,
    pub master_key_hex: Option<String>,
    pub sts_min_duration_seconds: u64,
    pub oidc_jwks: Vec<String>,
    pub sqs_max_inflight: u64,
    pub sqs_fifo_tps: u32,
}

impl StartOptions {
    /// AWS's defaults (region us-east-1, 900 s minimum sessions, SQS quotas) on the embedded store in
    /// `data_dir`, with a generated account and root key; set the other fields as needed.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            store: "sqlite".into(),
            config: None,
            region: "us-east-1".into(),
            account_id: None,
            root_access_key_id: None,
            root_secret_access_key: None,
            master_key_hex: None,
            sts_min_duration_seconds: 900,
            oidc_jwks: Vec::new(),
            sqs_max_inflight: tessera_sqs::AWS_MAX_INFLIGHT,
            sqs_fifo_tps: tessera_sqs::FifoQuotas::AWS.per_queue,
        }
    }
}

impl From<&ServeArgs> for StartOptions {
    fn from(a: &ServeArgs) -> Self {
        Self {
            data_dir: a.data_dir.clone(),
            store: a.store.clone(),
            config: a.config.clone(),
            region: a.region.clone(),
            account_id: a.account_id.clone(),
            root_access_key_id: a.root_access_key_id.clone(),
            root_secret_access_key: a.root_secret_access_key.clone(),
            master_key_hex: std::env::var("TESSERA_MASTER_KEY").ok(),
            sts_min_duration_seconds: a.sts_min_duration_seconds,
            oidc_jwks: a.oidc_jwks.clone(),
            sqs_max_inflight: a.sqs_max_inflight,
            sqs_fifo_tps: a.sqs_fifo_tps,
        }
    }
}

/// Everything a request handler needs; cloned cheaply into each connection.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    iam: Iam,
    sts: Sts,
    sqs: tessera_sqs::Sqs,
    s3: tessera_s3::S3,
    /// Accounts' S3 canonical user ids and display names (they never change once created).
    canonical: parking_lot::Mutex<std::collections::HashMap<AccountId, (String, String)>>,
    region: String,
    default_account: AccountId,
    clock: Arc<dyn Clock>,
    signing_keys: SigningKeyCache,
    metrics: Metrics,
    audit: AuditLog,
    policies: PolicyCache,
}

impl App {
    /// Opens the store, makes sure the default account and its root key exist, applies the
    /// bootstrap file, and returns the state the HTTP layer serves from.
    pub async fn start(opts: StartOptions) -> Result<App> {
        let data_dir = DataDir::open(&opts.data_dir)?;
        let master_key = data_dir.master_key(opts.master_key_hex.as_deref())?;
        let store = Store::open(Some(&opts.store), data_dir.path())
            .with_context(|| format!("opening the store ({})", store_kind(&opts.store)))?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let iam = Iam::new(
            store.clone(),
            clock.clone(),
            Arc::new(MasterKeyCipher::new(&master_key)),
        );
        // Object bodies: files beside the embedded database; with PostgreSQL, chunks in the
        // database itself, so that every node reads every object.
        let blobs = if tessera_store::is_postgres_url(&opts.store) {
            tessera_blob::BlobStore::open_in_store(store.clone())
        } else {
            tessera_blob::BlobStore::open_dir(&data_dir.path().join("blobs"))
                .map_err(|e| anyhow::anyhow!("opening the object store: {e}"))?
        };
        let s3 = tessera_s3::S3::new(
            store.clone(),
            blobs,
            clock.clone(),
            tessera_s3::S3Config::default(),
        );
        s3.sweep_orphans()
            .await
            .map_err(|e| anyhow::anyhow!("sweeping unreferenced object data: {e}"))?;
        let sqs = tessera_sqs::Sqs::with_config(
            store.clone(),
            clock.clone(),
            tessera_sqs::SqsConfig {
                max_inflight: opts.sqs_max_inflight,
                fifo_quotas: (opts.sqs_fifo_tps > 0).then_some(tessera_sqs::FifoQuotas {
                    per_queue: opts.sqs_fifo_tps,
                    ..tessera_sqs::FifoQuotas::AWS
                }),
                ..tessera_sqs::SqsConfig::new(&opts.region)
            },
        );
        sqs.spawn_maintenance();
        let sts = Sts::open(
            store,
            iam.clone(),
            MasterKey::from_bytes(master_key),
            clock.clone(),
            StsConfig {
                min_duration_seconds: opts.sts_min_duration_seconds,
                jwks: Some(Arc::new(JwksFetcher::new(&opts.oidc_jwks)?)),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("opening the STS key ring: {e}"))?;
        spawn_key_rotation(sts.clone());

        let account = data_dir.account_id(opts.account_id.as_deref())?;
        iam.ensure_account(&account, None, None)
            .await
            .map_err(|e| anyhow::anyhow!("creating the default account: {e}"))?;
        let root = data_dir.root_credentials(
            opts.root_access_key_id.as_deref(),
            opts.root_secret_access_key.as_deref(),
        )?;
        iam.set_root_key(&account, &root.access_key_id, &root.secret_access_key)
            .await
            .map_err(|e| anyhow::anyhow!("installing the root access key: {e}"))?;
        if root.generated || opts.root_access_key_id.is_none() {
            tracing::info!(
                account = %account,
                file = %data_dir.file("root-credentials").display(),
                "root credentials of the default account are in this file; \
                 `aws configure` with its two values (region {}) to use them",
                opts.region
            );
        }

        if let Some(path) = &opts.config {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading bootstrap file {}", path.display()))?;
            let bootstrap: tessera_iam::Bootstrap = toml::from_str(&text)
                .with_context(|| format!("parsing bootstrap file {}", path.display()))?;
            iam.apply_bootstrap(&bootstrap)
                .await
                .map_err(|e| anyhow::anyhow!("applying {}: {e}", path.display()))?;
            tracing::info!(file = %path.display(), "bootstrap applied");
        }

        let audit = AuditLog::open(&data_dir.file("audit"))?;
        Ok(App {
            inner: Arc::new(Inner {
                iam,
                sts,
                sqs,
                s3,
                canonical: parking_lot::Mutex::default(),
                region: opts.region,
                default_account: account,
                clock,
                signing_keys: SigningKeyCache::new(SIGNING_KEY_CACHE_ENTRIES),
                metrics: Metrics::default(),
                audit,
                policies: PolicyCache::default(),
            }),
        })
    }

    pub fn iam(&self) -> &Iam {
        &self.inner.iam
    }
    pub fn sts(&self) -> &Sts {
        &self.inner.sts
    }
    pub fn sqs(&self) -> &tessera_sqs::Sqs {
        &self.inner.sqs
    }
    pub fn s3(&self) -> &tessera_s3::S3 {
        &self.inner.s3
    }

    /// The account's S3 canonical user id and display name (bucket and object owners).
    pub async fn canonical_identity(
        &self,
        account: &AccountId,
    ) -> Result<(String, String), tessera_protocol::AwsError> {
        if let Some(found) = self.inner.canonical.lock().get(account) {
            return Ok(found.clone());
        }
        let record = self
            .iam()
            .get_account(account)
            .await
            .map_err(crate::respond::internal_failure)?;
        let found = match record {
            Some(a) => (a.canonical_user_id, a.display_name),
            // An account known only through a session's ARN (never created here).
            None => (String::new(), account.to_string()),
        };
        self.inner
            .canonical
            .lock()
            .insert(account.clone(), found.clone());
        Ok(found)
    }

    pub fn region(&self) -> &str {
        &self.inner.region
    }
    pub fn default_account(&self) -> &AccountId {
        &self.inner.default_account
    }
    pub fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }
    pub fn signing_keys(&self) -> &SigningKeyCache {
        &self.inner.signing_keys
    }
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
    pub fn audit(&self) -> &AuditLog {
        &self.inner.audit
    }
    pub fn policy_cache(&self) -> &PolicyCache {
        &self.inner.policies
    }
}

/// What a `--store` value names, for messages (never the URL itself: it may hold a password).
fn store_kind(spec: &str) -> &'static str {
    if tessera_store::is_postgres_url(spec) {
        "PostgreSQL"
    } else {
        "embedded SQLite"
    }
}

/// Derived SigV4 signing keys kept; one per (secret, day, region, service) in use.
const SIGNING_KEY_CACHE_ENTRIES: usize = 4096;

/// How often a node checks whether the sealing key is due for rotation.
const ROTATION_CHECK: std::time::Duration = std::time::Duration::from_secs(600);

/// Rotates STS's sealing key in the background when it is due.
fn spawn_key_rotation(sts: Sts) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(ROTATION_CHECK);
        loop {
            tick.tick().await;
            match sts.rotate_keys_if_due().await {
                Ok(true) => tracing::info!("rotated the session-token sealing key"),
                Ok(false) => {}
                Err(e) => tracing::warn!("sealing-key rotation failed: {e}"),
            }
        }
    });
}
