//! The whole in-process request path, minus sockets and HTTP parsing: a SigV4-signed Query request
//! as `Incoming` goes through `dispatch::handle` (classify, authenticate, authorize, the service,
//! XML encoding, metrics and the audit record) on a real embedded store in a temporary directory.
//!
//! Two operations of root: IAM `GetUser` (a store read) and STS `GetCallerIdentity` (no store
//! work beyond authentication). Beside them, the same `block_on` of a ready future, the floor the
//! runtime adds to every iteration. The requests are signed once with `aws-sigv4`, at start-up, so
//! the clock-skew window (15 minutes) bounds how long one run may take.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use tessera_server::app::{App, StartOptions};
use tessera_server::dispatch::handle;
use tessera_server::incoming::Incoming;

const ACCESS_KEY: &str = "AKIAROOTROOTROOT1234";
const SECRET_KEY: &str = "rootsecretrootsecretrootsecretrootsecre";
const HOST: &str = "127.0.0.1:4566";
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// Credentials to sign with: access key id, secret, and the session token of temporary ones.
type Keys = (String, String, Option<String>);

fn root_keys() -> Keys {
    (ACCESS_KEY.into(), SECRET_KEY.into(), None)
}

/// Headers of `POST /` with `body`, signed for `service` by AWS's own signer.
fn signed_headers(service: &str, body: &'static str, keys: &Keys) -> Vec<(String, String)> {
    let identity: Identity = aws_credential_types::Credentials::new(
        keys.0.clone(),
        keys.1.clone(),
        keys.2.clone(),
        None,
        "bench",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("signing parameters")
        .into();
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), HOST.into()),
        ("content-type".into(), CONTENT_TYPE.into()),
        ("content-length".into(), body.len().to_string()),
        ("user-agent".into(), "tessera-request-path-bench".into()),
    ];
    let signable = SignableRequest::new(
        "POST",
        format!("http://{HOST}/"),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(body.as_bytes()),
    )
    .expect("signable request");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    headers
}

fn incoming(headers: &[(String, String)], body: &'static str) -> Incoming {
    Incoming {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: headers.to_vec(),
        body: Bytes::from_static(body.as_bytes()),
        remote: SocketAddr::from(([127, 0, 0, 1], 40_000)),
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let app = rt
        .block_on(App::start(StartOptions {
            account_id: Some("123456789012".into()),
            root_access_key_id: Some(ACCESS_KEY.into()),
            root_secret_access_key: Some(SECRET_KEY.into()),
            ..StartOptions::new(dir.path())
        }))
        .expect("app start");

    c.bench_function("block_on_ready_future_floor", |b| {
        b.iter(|| rt.block_on(async { black_box(1u32) }))
    });

    // Temporary credentials from GetSessionToken, for the session-signed case (token unseal +
    // signature verification on every request).
    let session = {
        let body = "Action=GetSessionToken&Version=2011-06-15";
        let resp = rt.block_on(handle(
            &app,
            incoming(&signed_headers("sts", body, &root_keys()), body),
        ));
        let bytes = rt
            .block_on(http_body_util::BodyExt::collect(resp.into_body()))
            .expect("body")
            .to_bytes();
        let xml = String::from_utf8(bytes.to_vec()).expect("utf-8");
        let field = |tag: &str| {
            let start = xml.find(&format!("<{tag}>")).expect(tag) + tag.len() + 2;
            let end = xml[start..].find('<').expect(tag) + start;
            xml[start..end].to_owned()
        };
        (
            field("AccessKeyId"),
            field("SecretAccessKey"),
            Some(field("SessionToken")),
        )
    };

    let cases: [(&str, &str, &'static str, Keys); 3] = [
        (
            "iam_get_user_root",
            "iam",
            "Action=GetUser&Version=2010-05-08",
            root_keys(),
        ),
        (
            "sts_get_caller_identity_root",
            "sts",
            "Action=GetCallerIdentity&Version=2011-06-15",
            root_keys(),
        ),
        (
            "sts_get_caller_identity_session",
            "sts",
            "Action=GetCallerIdentity&Version=2011-06-15",
            session,
        ),
    ];
    for (name, service, body, keys) in cases {
        let headers = signed_headers(service, body, &keys);
        let first = rt.block_on(handle(&app, incoming(&headers, body)));
        assert_eq!(
            first.status(),
            200,
            "{name}: the signed request must succeed"
        );
        c.bench_function(name, |b| {
            b.iter_batched(
                || incoming(&headers, body),
                |req| black_box(rt.block_on(handle(&app, req))),
                BatchSize::SmallInput,
            )
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
