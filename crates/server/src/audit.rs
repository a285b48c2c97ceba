//! The audit log: one JSON line per authentication failure and per authorization decision.
//!
//! Fields follow CloudTrail's names (eventTime, eventSource, eventName, userIdentity,
//! sourceIPAddress, requestID, errorCode) plus tessera's `decision` and `reason`. Records go
//! through a bounded channel to a writer thread so a request never waits on the disk; when the
//! channel is full the record is counted as dropped rather than slowing the server. The file
//! rotates by size (`audit.log` → `audit.log.1` …). Secrets and session tokens are never recorded:
//! only access key ids.

use crate::auth::Caller;
use crate::authorize::Decision;
use crate::classify::Service;
use anyhow::{Context, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use tessera_protocol::AwsError;

/// Rotate when the current file passes this size.
const ROTATE_BYTES: u64 = 64 * 1024 * 1024;
/// Rotated files kept (`audit.log.1` … `audit.log.N`).
const KEEP_FILES: u32 = 5;
const QUEUE: usize = 65_536;

pub struct AuditRecord(serde_json::Value);

impl AuditRecord {
    pub fn auth_failure(
        service: Service,
        action: &str,
        remote: SocketAddr,
        request_id: &str,
        err: &AwsError,
    ) -> Self {
        Self(serde_json::json!({
            "eventTime": tessera_protocol::timefmt::iso8601(now_unix()),
            "eventSource": format!("{}.amazonaws.com", service.name()),
            "eventName": action,
            "sourceIPAddress": remote.ip().to_string(),
            "requestID": request_id,
            "decision": "deny",
            "reason": "authentication failed",
            "errorCode": err.code,
        }))
    }

    /// An unsigned request whose proof is in its parameters (a web identity token).
    pub fn unsigned(
        service: Service,
        action: &str,
        remote: SocketAddr,
        request_id: &str,
        err: Option<&AwsError>,
    ) -> Self {
        Self(serde_json::json!({
            "eventTime": tessera_protocol::timefmt::iso8601(now_unix()),
            "eventSource": format!("{}.amazonaws.com", service.name()),
            "eventName": action,
            "userIdentity": {"type": "WebIdentityUser"},
            "sourceIPAddress": remote.ip().to_string(),
            "requestID": request_id,
            "decision": if err.is_none() { "allow" } else { "deny" },
            "reason": match err {
                None => "the web identity token verified and the role's trust policy allows it".to_owned(),
                Some(e) => e.message.clone(),
            },
            "errorCode": err.map(|e| e.code.to_string()),
        }))
    }

    pub fn decision(
        service: Service,
        action: &str,
        remote: SocketAddr,
        request_id: &str,
        caller: &Caller,
        decision: &Decision,
    ) -> Self {
        let p = &caller.principal;
        Self(serde_json::json!({
            "eventTime": tessera_protocol::timefmt::iso8601(now_unix()),
            "eventSource": format!("{}.amazonaws.com", service.name()),
            "eventName": action,
            "userIdentity": {
                "type": p.principal_type(),
                "principalId": p.user_id(),
                "arn": p.arn(),
                "accountId": p.account().as_str(),
                "accessKeyId": caller.access_key_id,
            },
            "sourceIPAddress": remote.ip().to_string(),
            "requestID": request_id,
            "decision": if decision.allowed { "allow" } else { "deny" },
            "reason": decision.reason,
            "errorCode": if decision.allowed { serde_json::Value::Null } else { "AccessDenied".into() },
        }))
    }
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub struct AuditLog {
    tx: SyncSender<AuditRecord>,
    dropped: Arc<AtomicU64>,
}

impl AuditLog {
    /// Opens `dir/audit.log` for appending (directory 0700, file 0600) and starts the writer.
    pub fn open(dir: &Path) -> Result<Self> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join("audit.log");
        let file = open_append(&path)?;
        let (tx, rx) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("tessera-audit".into())
            .spawn(move || writer(rx, path, file))
            .context("starting the audit writer")?;
        Ok(Self {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn record(&self, record: AuditRecord) {
        if let Err(TrySendError::Full(_)) = self.tx.try_send(record) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records dropped because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

/// Writes records as they come, flushing whenever the queue runs dry.
fn writer(rx: Receiver<AuditRecord>, path: PathBuf, file: File) {
    let mut size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut out = BufWriter::new(file);
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(record) = next {
            let mut line = record.0.to_string();
            line.push('\n');
            if out.write_all(line.as_bytes()).is_err() {
                tracing::warn!("cannot write the audit log");
            }
            size += line.len() as u64;
            next = rx.try_recv().ok();
        }
        let _ = out.flush();
        if size >= ROTATE_BYTES {
            match rotate(&path) {
                Ok(f) => {
                    out = BufWriter::new(f);
                    size = 0;
                }
                Err(e) => tracing::warn!("cannot rotate the audit log: {e:#}"),
            }
        }
    }
}

fn rotate(path: &Path) -> Result<File> {
    for i in (1..KEEP_FILES).rev() {
        let from = path.with_extension(format!("log.{i}"));
        if from.exists() {
            fs::rename(&from, path.with_extension(format!("log.{}", i + 1)))?;
        }
    }
    fs::rename(path, path.with_extension("log.1"))?;
    open_append(path)
}
