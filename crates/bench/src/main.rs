//! The `tessera-bench` command line: flags, the runtime (one worker per core), and exit codes.
//!
//! Exit codes: 0 every request succeeded; 1 the run could not happen (bad flags, unreachable
//! endpoint, failed set-up); 3 the run happened and some requests failed (the report says which).

use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tessera_bench::endpoint::Endpoint;
use tessera_bench::runner::{run, RunConfig};
use tessera_bench::sigv4::Credentials;
use tessera_bench::workload::{by_name, Options, Protocol, Target};
use tessera_bench::{noop_server, BenchError};

#[derive(Parser)]
#[command(
    name = "tessera-bench",
    about = "Load generator for tessera and AWS-compatible peers",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve `200 ok` to every request: the ceiling to compare against.
    ServeNoop {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
        /// Answer this many bytes instead of `ok` (the ceiling for large GETs).
        #[arg(long)]
        body_size: Option<usize>,
    },
}

#[derive(Args)]
struct RunArgs {
    /// Target, `http://HOST:PORT`.
    #[arg(long, required = true)]
    endpoint: Option<String>,
    /// One of: sts-get-caller-identity, sts-get-caller-identity-session, sts-assume-role,
    /// iam-get-user, sqs-send, sqs-send-batch, sqs-receive-delete, sqs-long-poll-latency, s3-put,
    /// s3-get, s3-list, mixed (every service in one round, for soak runs), noop.
    #[arg(long, default_value = "sts-get-caller-identity")]
    workload: String,
    /// SQS protocol: query (form POST, Action=…) or json (X-Amz-Target: AmazonSQS.…).
    #[arg(long, default_value = "query")]
    protocol: Protocol,
    /// SQS message body or S3 object size, in bytes.
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// S3 keys: cycled over by s3-put (default 1000), written and read by s3-get (100), written
    /// and listed by s3-list (1000).
    #[arg(long)]
    keys: Option<usize>,
    /// MaxNumberOfMessages of each sqs-receive-delete receive (1..=10).
    #[arg(long, default_value_t = 10)]
    max_messages: u8,
    /// Messages sqs-receive-delete makes sure are waiting in its queue before the load starts.
    #[arg(long, default_value_t = 10_000)]
    prefill: u64,
    /// Sign S3 bodies as UNSIGNED-PAYLOAD instead of their SHA-256.
    #[arg(long)]
    unsigned_payload: bool,
    /// Keep-alive connections, each with one request in flight (sqs-long-poll-latency: half
    /// receive, half send).
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// How long to run (`10s`, `500ms`, `2m`); 10s unless --requests is given alone.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Stop after this many iterations in all.
    #[arg(long)]
    requests: Option<u64>,
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    access_key: Option<String>,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    session_token: Option<String>,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// No progress lines on stderr.
    #[arg(long)]
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(1, |n| n.get()))
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tessera-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match cli.command {
        Some(Command::ServeNoop { listen, body_size }) => {
            runtime.block_on(serve_noop(&listen, body_size))
        }
        None => runtime.block_on(bench(cli.run)),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tessera-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_noop(listen: &str, body_size: Option<usize>) -> Result<ExitCode, BenchError> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!(
        "tessera-bench noop listening on http://{}",
        listener.local_addr()?
    );
    let body = match body_size {
        Some(n) => bytes::Bytes::from(vec![b'x'; n]),
        None => bytes::Bytes::from_static(b"ok\n"),
    };
    noop_server::serve(listener, Arc::new(|_| http::StatusCode::OK), body).await?;
    Ok(ExitCode::SUCCESS)
}

async fn bench(args: RunArgs) -> Result<ExitCode, BenchError> {
    let url = args.endpoint.unwrap_or_default();
    let endpoint = Endpoint::resolve(&url).await?;
    let credentials = match (args.access_key, args.secret_key) {
        (Some(access_key_id), Some(secret_access_key)) => Some(Credentials {
            access_key_id,
            secret_access_key,
            session_token: args.session_token,
        }),
        _ => None,
    };
    let workload = by_name(
        &args.workload,
        &Options {
            protocol: args.protocol,
            size: args.size,
            keys: args.keys,
            max_messages: args.max_messages,
            prefill: args.prefill,
            unsigned_payload: args.unsigned_payload,
        },
    )?;
    let duration = match (args.duration, args.requests) {
        (None, None) => Some(Duration::from_secs(10)),
        (d, _) => d,
    };
    let outcome = run(
        Target {
            endpoint,
            region: args.region,
            credentials,
        },
        workload,
        RunConfig {
            connections: args.connections,
            duration,
            requests: args.requests,
            progress: !args.quiet,
        },
    )
    .await;
    let report = match outcome {
        Ok(report) => report,
        Err(e) if args.json => {
            // A comparison script keeps going and shows why this target has no figures.
            let failed = serde_json::json!({
                "workload": args.workload,
                "endpoint": url,
                "failed": e.to_string(),
            });
            println!("{failed}");
            eprintln!("tessera-bench: {e}");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e),
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
        );
    } else {
        print!("{}", report.text());
    }
    Ok(if report.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// `10s`, `250ms`, `2m`, or plain seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {s:?}: use e.g. 10s, 500ms, 2m");
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().map_err(|_| bad())?;
    match unit {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        let cases = [
            ("10s", Some(Duration::from_secs(10))),
            ("7", Some(Duration::from_secs(7))),
            ("250ms", Some(Duration::from_millis(250))),
            ("2m", Some(Duration::from_secs(120))),
            ("s", None),
            ("10h", None),
            ("-1s", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_duration(s).ok(), want, "{s}");
        }
    }
}
