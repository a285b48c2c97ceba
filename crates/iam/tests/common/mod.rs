//! Shared test harness: an `Iam` over a real temporary SQLite store, a test cipher, and helpers to
//! call actions and read values out of the XML responses.
#![allow(dead_code)] // each test binary uses a different subset of the helpers

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tessera_core::{AccountId, Clock, Principal, SystemClock};
use tessera_iam::{Iam, IamError, SecretCipher};
use tessera_protocol::QueryParams;
use tessera_store::Store;

/// Binds the plaintext to the associated data, so a secret opened under another key id fails,
/// as with the server's AEAD cipher.
pub struct TestCipher;

impl SecretCipher for TestCipher {
    fn seal(&self, plaintext: &str, aad: &str) -> Vec<u8> {
        format!("{aad}\u{0}{plaintext}").into_bytes()
    }
    fn open(&self, sealed: &[u8], aad: &str) -> Option<String> {
        let s = std::str::from_utf8(sealed).ok()?;
        let (a, p) = s.split_once('\u{0}')?;
        (a == aad).then(|| p.to_owned())
    }
}

pub const ACCOUNT: &str = "123456789012";

pub struct Harness {
    pub iam: Iam,
    pub root: Principal,
    pub account: AccountId,
    _dir: tempfile::TempDir,
}

/// A clock the test sets, so that TOTP codes can be computed for a known time.
pub struct TestClock(AtomicU64);

impl TestClock {
    pub fn at(unix_seconds: u64) -> Arc<Self> {
        Arc::new(Self(AtomicU64::new(unix_seconds)))
    }

    pub fn set(&self, unix_seconds: u64) {
        self.0.store(unix_seconds, Ordering::SeqCst);
    }

    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }
}

pub async fn harness() -> Harness {
    harness_with_clock(Arc::new(SystemClock)).await
}

pub async fn harness_with_clock(clock: Arc<dyn Clock>) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_sqlite(dir.path()).expect("open store");
    let iam = Iam::new(store, clock, Arc::new(TestCipher));
    let account = AccountId::parse(ACCOUNT).expect("account");
    iam.ensure_account(&account, None, None)
        .await
        .expect("account");
    Harness {
        iam,
        root: Principal::Root {
            account: account.clone(),
        },
        account,
        _dir: dir,
    }
}

pub fn params(pairs: &[(&str, &str)]) -> QueryParams {
    QueryParams::from_pairs(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

impl Harness {
    pub async fn call_as(
        &self,
        caller: &Principal,
        pairs: &[(&str, &str)],
    ) -> Result<String, IamError> {
        self.iam.handle(caller, &params(pairs), "req-test").await
    }

    pub async fn call(&self, pairs: &[(&str, &str)]) -> Result<String, IamError> {
        self.call_as(&self.root, pairs).await
    }

    /// Calls as root and expects success.
    pub async fn ok(&self, pairs: &[(&str, &str)]) -> String {
        match self.call(pairs).await {
            Ok(xml) => xml,
            Err(e) => panic!("{pairs:?} failed: {e}"),
        }
    }

    /// Calls as root and expects an error; returns (code, status, message).
    pub async fn err(&self, pairs: &[(&str, &str)]) -> (String, u16, String) {
        match self.call(pairs).await {
            Ok(xml) => panic!("{pairs:?} unexpectedly succeeded: {xml}"),
            Err(e) => {
                let aws = e.to_aws();
                (aws.code.to_string(), aws.status, aws.message)
            }
        }
    }

    pub async fn err_code(&self, pairs: &[(&str, &str)]) -> String {
        self.err(pairs).await.0
    }
}

/// The texts of every `<tag>…</tag>` in document order (no nesting of the same tag in IAM).
pub fn values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(after[..j].to_owned());
        rest = &after[j + close.len()..];
    }
    out
}

pub fn value(xml: &str, tag: &str) -> Option<String> {
    values(xml, tag).into_iter().next()
}

pub const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

pub fn trust(account: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

/// A policy of about `n` non-whitespace characters.
pub fn policy_of_size(n: usize) -> String {
    let base = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::"#;
    let tail = r#""}]}"#;
    let pad = n.saturating_sub(base.len() + tail.len());
    format!("{base}{}{tail}", "a".repeat(pad))
}
