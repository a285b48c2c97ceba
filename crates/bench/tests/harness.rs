//! The harness itself: it counts every failure, it refuses an endpoint nobody listens on, and a
//! signed workload needs credentials. Runs against in-process servers on loopback; no timing.

use std::process::Command;
use std::sync::Arc;
use tessera_bench::endpoint::Endpoint;
use tessera_bench::noop_server::{serve, StatusFor};
use tessera_bench::runner::{run, RunConfig};
use tessera_bench::sigv4::Credentials;
use tessera_bench::stats::Report;
use tessera_bench::workload::{by_name, Options, Target};
use tessera_bench::BenchError;
use tokio::net::TcpListener;

async fn start_server(status_for: StatusFor) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(
        listener,
        status_for,
        bytes::Bytes::from_static(b"ok\n"),
    ));
    url
}

async fn bench(
    url: &str,
    workload: &str,
    credentials: Option<Credentials>,
    requests: u64,
) -> Result<Report, BenchError> {
    let target = Target {
        endpoint: Endpoint::resolve(url).await?,
        region: "us-east-1".into(),
        credentials,
    };
    run(
        target,
        by_name(workload, &Options::default())?,
        RunConfig {
            connections: 4,
            duration: None,
            requests: Some(requests),
            progress: false,
        },
    )
    .await
}

fn root() -> Credentials {
    Credentials {
        access_key_id: "AKIAROOTROOTROOT1234".into(),
        secret_access_key: "rootsecretrootsecretrootsecretrootsecre".into(),
        session_token: None,
    }
}

/// A port nothing listens on (bound, then released).
async fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_other_request_failing_shows_as_half_errors() {
    let url = start_server(Arc::new(|n| {
        if n % 2 == 1 {
            http::StatusCode::INTERNAL_SERVER_ERROR
        } else {
            http::StatusCode::OK
        }
    }))
    .await;
    let report = bench(&url, "noop", None, 200).await.unwrap();
    assert_eq!(report.requests, 200);
    assert_eq!(report.ok, 100);
    assert_eq!(report.errors, 100);
    assert_eq!(report.errors_by_status.get(&500), Some(&100));
    assert_eq!(report.transport_errors, 0);
    assert!(report.first_error.unwrap().starts_with("HTTP 500"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_server_gives_no_errors_and_signed_workloads_run() {
    let url = start_server(Arc::new(|_| http::StatusCode::OK)).await;
    for workload in ["noop", "sts-get-caller-identity", "iam-get-user"] {
        let report = bench(&url, workload, Some(root()), 50).await.unwrap();
        assert_eq!((report.ok, report.errors), (50, 0), "{workload}");
        assert!(report.latency.max_us > 0.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_dropped_by_the_server_are_transport_errors() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            drop(stream);
        }
    });
    let report = bench(&url, "noop", None, 20).await.unwrap();
    assert_eq!(
        (report.ok, report.errors, report.transport_errors),
        (0, 20, 20)
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_refused_before_any_load() {
    let url = dead_url().await;
    let err = bench(&url, "noop", None, 10).await.unwrap_err();
    assert!(matches!(err, BenchError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("cannot connect"), "{err}");
}

#[tokio::test]
async fn signed_workloads_require_credentials() {
    let url = start_server(Arc::new(|_| http::StatusCode::OK)).await;
    let err = bench(&url, "sts-assume-role", None, 1).await.unwrap_err();
    assert!(
        matches!(err, BenchError::MissingCredentials("sts-assume-role")),
        "{err}"
    );
    let err = bench(&url, "sqs-nothing", None, 1).await.unwrap_err();
    assert!(matches!(err, BenchError::UnknownWorkload(_)), "{err}");
}

#[tokio::test]
async fn the_binary_exits_non_zero_with_a_message_on_a_dead_endpoint() {
    let url = dead_url().await;
    let out = Command::new(env!("CARGO_BIN_EXE_tessera-bench"))
        .args(["--endpoint", &url, "--workload", "noop", "--requests", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot connect to http://127.0.0.1:"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_binary_reports_failed_requests_in_json_and_exit_code() {
    let url = start_server(Arc::new(|n| {
        if n % 2 == 1 {
            http::StatusCode::SERVICE_UNAVAILABLE
        } else {
            http::StatusCode::OK
        }
    }))
    .await;
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_tessera-bench"))
            .args(["--endpoint", &url, "--workload", "noop", "--requests", "40"])
            .args(["--connections", "2", "--json", "--quiet"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], 20);
    assert_eq!(json["errors"], 20);
    assert_eq!(json["errors_by_status"]["503"], 20);
}

#[tokio::test]
async fn a_run_that_cannot_set_up_prints_a_failed_json_object_and_exits_1() {
    // The do-nothing server answers CreateQueue with "ok", which has no queue URL.
    let url = start_server(Arc::new(|_| http::StatusCode::OK)).await;
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_tessera-bench"))
            .args([
                "--endpoint",
                &url,
                "--workload",
                "sqs-send",
                "--requests",
                "5",
            ])
            .args(["--access-key", "AKIAROOTROOTROOT1234", "--secret-key", "s"])
            .args(["--json", "--quiet"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["workload"], "sqs-send");
    let failed = json["failed"].as_str().unwrap();
    assert!(failed.contains("CreateQueue"), "{failed}");
}
