//! The audit log: one JSON line per authentication failure and per authorization decision.
//!
//! Fields follow CloudTrail's names (eventTime, eventSource, eventName, userIdentity,
//! sourceIPAddress, requestID, errorCode) plus tessera's `decision` and `reason`. Secrets and
//! session tokens are never recorded: only access key ids.
//!
//! The request path pays for one serialisation into a `String` and one push under a mutex; it
//! never wakes anything. A writer thread collects the queued lines every [`FLUSH_EVERY`], writes
//! them in one go and flushes, so records reach the file within that interval (they are not
//! fsynced: the audit log is a record, not a transaction log). When the queue is full a record is
//! counted as dropped rather than slowing the server. The file rotates by size (`audit.log` →
//! `audit.log.1` …).

use crate::auth::Caller;
use crate::authorize::Decision;
use crate::classify::Service;
use anyhow::{Context, Result};
use parking_lot::{Condvar, Mutex};
use serde::Serialize;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tessera_protocol::AwsError;

/// Rotate when the current file passes this size.
const ROTATE_BYTES: u64 = 64 * 1024 * 1024;
/// Rotated files kept (`audit.log.1` … `audit.log.N`).
const KEEP_FILES: u32 = 5;
/// Records waiting for the writer at most.
const QUEUE: usize = 65_536;
/// How often the writer collects queued records.
const FLUSH_EVERY: Duration = Duration::from_millis(20);

/// Who made an authenticated request.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key_id: Option<&'a str>,
}

/// One audit record, serialised straight from borrowed request data.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord<'a> {
    event_time: String,
    event_source: &'static str,
    event_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_identity: Option<UserIdentity<'a>>,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: IpAddr,
    #[serde(rename = "requestID")]
    request_id: &'a str,
    decision: &'static str,
    reason: &'a str,
    error_code: Option<&'a str>,
}

fn event_source(service: Service) -> &'static str {
    match service {
        Service::Iam => "iam.amazonaws.com",
        Service::Sts => "sts.amazonaws.com",
        Service::Sqs => "sqs.amazonaws.com",
        Service::S3 => "s3.amazonaws.com",
    }
}

fn now_iso8601() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    tessera_protocol::timefmt::iso8601(now)
}

impl<'a> AuditRecord<'a> {
    pub fn auth_failure(
        service: Service,
        action: &'a str,
        remote: SocketAddr,
        request_id: &'a str,
        err: &'a AwsError,
    ) -> Self {
        Self {
            event_time: now_iso8601(),
            event_source: event_source(service),
            event_name: action,
            user_identity: None,
            source_ip_address: remote.ip(),
            request_id,
            decision: "deny",
            reason: "authentication failed",
            error_code: Some(&err.code),
        }
    }

    /// An unsigned request whose proof is in its parameters (a web identity token).
    pub fn unsigned(
        service: Service,
        action: &'a str,
        remote: SocketAddr,
        request_id: &'a str,
        err: Option<&'a AwsError>,
    ) -> Self {
        Self {
            event_time: now_iso8601(),
            event_source: event_source(service),
            event_name: action,
            user_identity: Some(UserIdentity {
                kind: "WebIdentityUser",
                principal_id: None,
                arn: None,
                account_id: None,
                access_key_id: None,
            }),
            source_ip_address: remote.ip(),
            request_id,
            decision: if err.is_none() { "allow" } else { "deny" },
            reason: match err {
                None => "the web identity token verified and the role's trust policy allows it",
                Some(e) => &e.message,
            },
            error_code: err.map(|e| &*e.code),
        }
    }

    /// An unsigned S3 request, decided by the bucket's policy alone.
    pub fn anonymous(
        service: Service,
        action: &'a str,
        remote: SocketAddr,
        request_id: &'a str,
        decision: &'a Decision,
    ) -> Self {
        Self {
            event_time: now_iso8601(),
            event_source: event_source(service),
            event_name: action,
            user_identity: Some(UserIdentity {
                kind: "AnonymousUser",
                principal_id: None,
                arn: None,
                account_id: None,
                access_key_id: None,
            }),
            source_ip_address: remote.ip(),
            request_id,
            decision: if decision.allowed { "allow" } else { "deny" },
            reason: &decision.reason,
            error_code: (!decision.allowed).then_some("AccessDenied"),
        }
    }

    pub fn decision(
        service: Service,
        action: &'a str,
        remote: SocketAddr,
        request_id: &'a str,
        caller: &'a Caller,
        decision: &'a Decision,
    ) -> Self {
        let p = &caller.principal;
        Self {
            event_time: now_iso8601(),
            event_source: event_source(service),
            event_name: action,
            user_identity: Some(UserIdentity {
                kind: p.principal_type(),
                principal_id: Some(p.user_id()),
                arn: Some(p.arn()),
                account_id: Some(p.account().as_str()),
                access_key_id: Some(&caller.access_key_id),
            }),
            source_ip_address: remote.ip(),
            request_id,
            decision: if decision.allowed { "allow" } else { "deny" },
            reason: &decision.reason,
            error_code: (!decision.allowed).then_some("AccessDenied"),
        }
    }
}

struct Queue {
    lines: Mutex<Vec<String>>,
    /// Signalled only at shutdown, so the writer exits without waiting out its interval.
    stop: Condvar,
    stopping: AtomicBool,
    dropped: AtomicU64,
}

pub struct AuditLog {
    queue: Arc<Queue>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
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
        let queue = Arc::new(Queue {
            lines: Mutex::new(Vec::new()),
            stop: Condvar::new(),
            stopping: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
        });
        let q = queue.clone();
        let writer = std::thread::Builder::new()
            .name("tessera-audit".into())
            .spawn(move || writer(&q, path, file))
            .context("starting the audit writer")?;
        Ok(Self {
            queue,
            writer: Mutex::new(Some(writer)),
        })
    }

    pub fn record(&self, record: &AuditRecord<'_>) {
        let Ok(mut line) = serde_json::to_string(record) else {
            return;
        };
        line.push('\n');
        let mut lines = self.queue.lines.lock();
        if lines.len() >= QUEUE {
            self.queue.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            lines.push(line);
        }
    }

    /// Records dropped because the writer could not keep up.
    pub fn dropped(&self) -> u64 {
        self.queue.dropped.load(Ordering::Relaxed)
    }

    /// Writes everything queued and stops the writer (at shutdown).
    pub fn close(&self) {
        self.queue.stopping.store(true, Ordering::Relaxed);
        {
            let _guard = self.queue.lines.lock();
            self.queue.stop.notify_all();
        }
        if let Some(handle) = self.writer.lock().take() {
            let _ = handle.join();
        }
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

/// Every [`FLUSH_EVERY`], takes the queued lines and writes them in one system call.
fn writer(queue: &Queue, path: PathBuf, mut file: File) {
    let mut size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut batch = Vec::new();
    let mut buf = String::new();
    loop {
        let stopping = {
            let mut lines = queue.lines.lock();
            if !queue.stopping.load(Ordering::Relaxed) {
                // Wakes early only at shutdown.
                queue.stop.wait_for(&mut lines, FLUSH_EVERY);
            }
            std::mem::swap(&mut *lines, &mut batch);
            queue.stopping.load(Ordering::Relaxed)
        };
        if !batch.is_empty() {
            buf.clear();
            for line in batch.drain(..) {
                buf.push_str(&line);
            }
            if file.write_all(buf.as_bytes()).is_err() {
                tracing::warn!("cannot write the audit log");
            }
            size += buf.len() as u64;
            if size >= ROTATE_BYTES {
                match rotate(&path) {
                    Ok(f) => {
                        file = f;
                        size = 0;
                    }
                    Err(e) => tracing::warn!("cannot rotate the audit log: {e:#}"),
                }
            }
        }
        if stopping && queue.lines.lock().is_empty() {
            return;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_reach_the_file_and_close_flushes() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path()).unwrap();
        let err = AwsError::new("InvalidClientTokenId", 403, "no");
        let remote: SocketAddr = "10.1.2.3:9".parse().unwrap();
        for i in 0..100 {
            let id = format!("req-{i}");
            log.record(&AuditRecord::auth_failure(
                Service::Sts,
                "GetCallerIdentity",
                remote,
                &id,
                &err,
            ));
        }
        log.close();
        let text = fs::read_to_string(dir.path().join("audit.log")).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 100);
        assert_eq!(lines[7]["requestID"], "req-7");
        assert_eq!(lines[7]["eventSource"], "sts.amazonaws.com");
        assert_eq!(lines[7]["sourceIPAddress"], "10.1.2.3");
        assert_eq!(lines[7]["errorCode"], "InvalidClientTokenId");
        assert_eq!(log.dropped(), 0);
    }
}
