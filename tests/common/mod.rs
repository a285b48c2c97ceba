//! The black-box test harness: spawns the real `tessera` binary on an ephemeral port with a
//! temporary data directory, and builds AWS SDK clients that talk to it.
//!
//! It owns the server process for the lifetime of a test and must never leave one running: `Drop`
//! kills the child. It never reads the machine's AWS configuration (`~/.aws`, `AWS_*` variables):
//! every client is built from explicit values so that a developer's profile cannot leak in.
//!
//! Each test binary uses a subset of these helpers, hence the module-wide `dead_code` allowance.
#![allow(dead_code)]

pub mod raw;

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

/// The account id the harness gives the default account (one of the two ids that tools written
/// for other emulators expect).
pub const ACCOUNT_ID: &str = "123456789012";
/// Fixed root credentials of the default account.
pub const ROOT_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const ROOT_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const REGION: &str = "us-east-1";

/// How long the server may take to print its listening line and to answer the health check.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a graceful shutdown (SIGTERM) may take before the harness calls it a failure.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
const LISTENING_PREFIX: &str = "tessera listening on ";

/// A pair of long-term (or temporary, with a session token) credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Creds {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl Creds {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Creds {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }

    pub fn to_sdk(&self) -> Credentials {
        Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.clone(),
            self.session_token.clone(),
            None,
            "tessera-tests",
        )
    }
}

/// How to start a server. The default is what most tests want: fixed root keys and account id.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Pass `TESSERA_ROOT_ACCESS_KEY_ID` / `TESSERA_ROOT_SECRET_ACCESS_KEY`. When false the server
    /// generates the root key and the harness reads it from `<data-dir>/root-credentials`.
    pub root_from_env: bool,
    /// `TESSERA_ACCOUNT_ID`; `None` lets the server generate (and persist) one.
    pub account_id: Option<String>,
    /// A bootstrap TOML file passed with `--config`.
    pub config: Option<PathBuf>,
    /// Extra environment variables for the server process.
    pub env: Vec<(String, String)>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            root_from_env: true,
            account_id: Some(ACCOUNT_ID.to_string()),
            config: None,
            env: Vec::new(),
        }
    }
}

/// A running `tessera serve` with its own data directory.
pub struct TestServer {
    options: ServerOptions,
    data_dir: tempfile::TempDir,
    /// Holds the server's stderr of every start (appended), printed when a test fails.
    log_path: PathBuf,
    child: Option<Child>,
    endpoint: String,
}

impl TestServer {
    /// Starts a server with [`ServerOptions::default`].
    pub fn start() -> Self {
        Self::start_with(ServerOptions::default())
    }

    pub fn start_with(options: ServerOptions) -> Self {
        let data_dir = tempfile::Builder::new()
            .prefix("tessera-test-")
            .tempdir()
            .expect("create a temporary data directory");
        let log_path = data_dir.path().with_extension("stderr.log");
        let mut server = TestServer {
            options,
            data_dir,
            log_path,
            child: None,
            endpoint: String::new(),
        };
        server.spawn();
        server
    }

    /// The server's base URL, `http://127.0.0.1:PORT`. It changes on every (re)start.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> &str {
        self.endpoint.trim_start_matches("http://")
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The root credentials of the default account: the fixed ones when given by environment,
    /// else the ones the server wrote to `<data-dir>/root-credentials`.
    pub fn root_creds(&self) -> Creds {
        if self.options.root_from_env {
            Creds::new(ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY)
        } else {
            read_root_credentials_file(&self.data_dir.path().join("root-credentials"))
        }
    }

    /// Stops the server with SIGTERM, asserts a clean exit (status 0), and starts it again on the
    /// same data directory.
    pub fn restart(&mut self) {
        let status = self.terminate();
        assert!(
            status.success(),
            "graceful shutdown must exit 0, got {status}\n{}",
            self.log_tail()
        );
        self.spawn();
    }

    /// Kills the server with SIGKILL (no chance to flush anything) and starts it again on the same
    /// data directory.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("send SIGKILL");
            child.wait().expect("reap the killed server");
        }
        self.spawn();
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("server is running");
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .expect("run kill -TERM");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().expect("poll the server") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "server did not exit within {SHUTDOWN_TIMEOUT:?} of SIGTERM\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's captured stderr so far (all starts).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let start = lines.len().saturating_sub(80);
        format!(
            "--- server stderr ({}) ---\n{}\n--- end ---",
            self.log_path.display(),
            lines[start..].join("\n")
        )
    }

    fn spawn(&mut self) {
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open the server log");
        writeln!(log, "=== harness: starting tessera ===").expect("write the server log");

        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(self.data_dir.path());
        if let Some(config) = &self.options.config {
            cmd.arg("--config").arg(config);
        }
        // A clean environment: nothing from the developer's shell (TESSERA_*, AWS_*) may change
        // what the server does.
        cmd.env_clear();
        for key in ["PATH", "RUST_LOG", "RUST_BACKTRACE"] {
            if let Ok(value) = std::env::var(key) {
                cmd.env(key, value);
            }
        }
        if self.options.root_from_env {
            cmd.env("TESSERA_ROOT_ACCESS_KEY_ID", ROOT_ACCESS_KEY_ID)
                .env("TESSERA_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET_ACCESS_KEY);
        }
        if let Some(account) = &self.options.account_id {
            cmd.env("TESSERA_ACCOUNT_ID", account);
        }
        for (key, value) in &self.options.env {
            cmd.env(key, value);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));

        let mut child = cmd.spawn().expect("spawn the tessera binary");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        // Reads the one listening line, then keeps draining stdout so the server never blocks on
        // a full pipe.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });

        let line = match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "no listening line within {STARTUP_TIMEOUT:?}\n{}",
                    self.log_tail()
                );
            }
        };
        let line = line.trim_end();
        let Some(endpoint) = line.strip_prefix(LISTENING_PREFIX) else {
            let _ = child.kill();
            let status = child.wait();
            panic!(
                "expected `{LISTENING_PREFIX}http://…` on stdout, got {line:?} (exit: {status:?})\n{}",
                self.log_tail()
            );
        };
        self.endpoint = endpoint.to_string();
        self.child = Some(child);
        self.wait_healthy();
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok((200, _)) = http_get(self.host(), "/_tessera/health") {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "server exited ({status}) before it was healthy\n{}",
                    self.log_tail()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "/_tessera/health did not answer 200 within {STARTUP_TIMEOUT:?}\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// An SDK configuration pointing at this server with the given credentials. Retries are off so
    /// that a test sees the first answer, and the connector is plain HTTP.
    pub fn sdk_config(&self, creds: &Creds) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(SharedCredentialsProvider::new(creds.to_sdk()))
            .http_client(http_client())
            .retry_config(RetryConfig::disabled())
            .build()
    }

    /// An IAM client signed with the root credentials.
    pub fn iam(&self) -> aws_sdk_iam::Client {
        self.iam_with(&self.root_creds())
    }

    pub fn iam_with(&self, creds: &Creds) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config(creds))
    }

    /// An STS client signed with the root credentials.
    pub fn sts(&self) -> aws_sdk_sts::Client {
        self.sts_with(&self.root_creds())
    }

    pub fn sts_with(&self, creds: &Creds) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.sdk_config(creds))
    }

    /// An SQS client signed with `creds`.
    pub fn sqs_with(&self, creds: &Creds) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk_config(creds))
    }

    /// An S3 client signed with `creds`, path-style (`/bucket/key`) as a plain-HTTP endpoint needs.
    pub fn s3_with(&self, creds: &Creds) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config(creds))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// A raw HTTP client for hand-built requests (no AWS SDK involved).
    pub fn raw(&self) -> raw::RawClient {
        raw::RawClient::new(self.endpoint())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("{}", self.log_tail());
        }
        let _ = fs::remove_file(&self.log_path);
    }
}

fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_http()
}

/// A minimal blocking HTTP/1.1 GET used before any async client exists (the health check).
pub fn http_get(host: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {response:?}")))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// Parses the INI-like `root-credentials` file the server writes when no root key is given.
pub fn read_root_credentials_file(path: &Path) -> Creds {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let value = |key: &str| {
        text.lines()
            .filter_map(|l| l.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| panic!("{key} missing in {}:\n{text}", path.display()))
    };
    Creds::new(value("aws_access_key_id"), value("aws_secret_access_key"))
}

/// Writes `contents` to a file in a fresh temporary directory and returns both (the directory
/// must outlive the file's use).
pub fn write_temp_file(name: &str, contents: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join(name);
    File::create(&path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .expect("write temporary file");
    (dir, path)
}

/// The AWS error code of an SDK error (`NoSuchEntity`, `AccessDenied`, …), or the error's debug
/// text when the SDK got no service error at all (so an assertion shows what happened instead).
pub fn error_code<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    match err.as_service_error() {
        Some(service) => service.code().unwrap_or("<no code>").to_string(),
        None => format!("<not a service error: {err:?}>"),
    }
}

/// The HTTP status of an SDK error's raw response, when there was one.
pub fn error_status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

/// What a finished process left behind.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` to completion with its output captured; kills it and fails the test if it is still
/// running after `timeout` (a server that should have refused to start, for example).
pub fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Finished {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).expect("stdout file"))
        .stderr(File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "process still running after {timeout:?}\nstdout: {}\nstderr: {}",
                fs::read_to_string(&out_path).unwrap_or_default(),
                fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Finished {
        status,
        stdout: fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: fs::read_to_string(&err_path).unwrap_or_default(),
    }
}
