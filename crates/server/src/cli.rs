//! Command-line flags and their environment variables, and the process entry point.

use crate::app::{App, StartOptions};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "A self-hosted, AWS-compatible service for temporary security credentials"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve IAM, STS (and the other services) on one port.
    Serve(ServeArgs),
}

/// Every flag of `tessera serve`; each also reads an environment variable.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed on stdout when ready).
    #[arg(long, env = "TESSERA_LISTEN", default_value = "127.0.0.1:4566")]
    pub listen: SocketAddr,
    /// Directory for the embedded database, keys and audit log.
    #[arg(long, env = "TESSERA_DATA_DIR", default_value = "./tessera-data")]
    pub data_dir: PathBuf,
    /// Storage backend: `sqlite` (embedded, in --data-dir) or a PostgreSQL URL
    /// (`postgres://USER:PASSWORD@HOST:PORT/DB`) shared by several nodes.
    #[arg(long, env = "TESSERA_STORE", default_value = "sqlite")]
    pub store: String,
    /// A TOML bootstrap file declaring accounts, users, keys, groups, roles and policies.
    #[arg(long, env = "TESSERA_CONFIG")]
    pub config: Option<PathBuf>,
    /// The region tessera answers as.
    #[arg(long, env = "TESSERA_REGION", default_value = "us-east-1")]
    pub region: String,
    /// The default account's id (12 digits); generated once and kept when absent.
    #[arg(long, env = "TESSERA_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// The default account's root access key id; generated once and kept when absent.
    #[arg(long, env = "TESSERA_ROOT_ACCESS_KEY_ID", hide_env_values = true)]
    pub root_access_key_id: Option<String>,
    /// The default account's root secret access key.
    #[arg(long, env = "TESSERA_ROOT_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub root_secret_access_key: Option<String>,
    /// The shortest session STS issues, in seconds (AWS: 900). Lower it only to watch expiry in tests.
    #[arg(long, env = "TESSERA_STS_MIN_DURATION_SECONDS", default_value_t = 900)]
    pub sts_min_duration_seconds: u64,
    /// In-flight messages per SQS queue before a short-poll ReceiveMessage answers `OverLimit`
    /// (AWS: 120,000).
    #[arg(long, env = "TESSERA_SQS_MAX_INFLIGHT", default_value_t = tessera_sqs::AWS_MAX_INFLIGHT)]
    pub sqs_max_inflight: u64,
    /// Calls per second per API action on one FIFO queue, on each node (AWS: 300); 0 turns FIFO
    /// throttling off.
    #[arg(long, env = "TESSERA_SQS_FIFO_TPS", default_value_t = 300)]
    pub sqs_fifo_tps: u32,
    /// An OIDC issuer's signing keys from a file, `ISSUER=FILE` (repeatable; for air-gapped sites
    /// and `https://` issuers). Other issuers' keys are discovered over HTTP.
    #[arg(long = "oidc-jwks", env = "TESSERA_OIDC_JWKS", value_delimiter = ',')]
    pub oidc_jwks: Vec<String>,
    /// Connections served at once; up to an eighth more (at least 16) are answered `503 SlowDown` /
    /// `ServiceUnavailable` and closed, and any beyond that wait in the kernel's accept queue.
    #[arg(
        long,
        env = "TESSERA_MAX_CONNECTIONS",
        default_value_t = 4096,
        value_parser = clap::value_parser!(u32).range(1..=1_000_000)
    )]
    pub max_connections: u32,
    /// How long a client may take to send a request's head, and how long an idle keep-alive
    /// connection is kept open.
    #[arg(
        long,
        env = "TESSERA_HEADER_TIMEOUT_SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600)
    )]
    pub header_timeout_seconds: u64,
    /// Log filter (tracing's EnvFilter syntax), e.g. `info` or `tessera_server=debug`.
    #[arg(long, env = "TESSERA_LOG", default_value = "info")]
    pub log: String,
}

/// Parses the command line and runs the chosen command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    init_logging(&args.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tessera")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tessera: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let app = match App::start(StartOptions::from(&args)).await {
            Ok(app) => app,
            Err(e) => {
                tracing::error!("tessera cannot start: {e:#}");
                return ExitCode::FAILURE;
            }
        };
        let served = crate::http::serve(app.clone(), args.listen, limits(&args)).await;
        if let Err(e) = app.iam().flush_key_usage().await {
            tracing::warn!("could not save access-key usage at shutdown: {e}");
        }
        app.audit().close();
        match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("tessera stopped with an error: {e:#}");
                ExitCode::FAILURE
            }
        }
    })
}

fn limits(args: &ServeArgs) -> crate::http::Limits {
    crate::http::Limits {
        // Lossless: clap bounds the flag to a million.
        max_connections: args.max_connections as usize,
        header_timeout: std::time::Duration::from_secs(args.header_timeout_seconds),
    }
}

/// Logs go to stderr so that stdout carries only the one "listening on" line that scripts read.
fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
