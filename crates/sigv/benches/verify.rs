//! Cost of verifying a typical header-signed STS POST (signing key cached) beside the raw
//! cryptography it cannot avoid: one SHA-256 over a canonical-request-sized buffer and one
//! HMAC-SHA256 over a string-to-sign-sized buffer. Goal: verify within 2x of the baseline.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tessera_sigv::canonical::{canonical_request, CanonicalInputs, UriRules};
use tessera_sigv::{parse, string_to_sign, verify, Request, SigningKeyCache};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const BODY: &[u8] = b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=bench-session&DurationSeconds=3600";

/// The request as an AWS SDK sends it: SDK headers, a session token, signed by `aws-sigv4`.
fn signed_sts_post(time: SystemTime) -> Vec<(String, String)> {
    let creds = Credentials::new(
        "ASIAEXAMPLEEXAMPLE",
        SECRET,
        Some("FwoGZXIvYXdzEXAMPLETOKEN".repeat(12)),
        None,
        "bench",
    );
    let identity: Identity = creds.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let mut headers: Vec<(String, String)> = [
        ("host", "sts.us-east-1.amazonaws.com"),
        ("content-type", "application/x-www-form-urlencoded"),
        ("content-length", "142"),
        ("user-agent", "aws-sdk-rust/1.3.0 os/linux lang/rust/1.85.0"),
        (
            "x-amz-user-agent",
            "aws-sdk-rust/1.3.0 api/sts/1.50.0 os/linux lang/rust/1.85.0",
        ),
        (
            "amz-sdk-invocation-id",
            "5c3f7a9e-2c1b-4f7e-9d0a-3b6e8f1c2d4a",
        ),
        ("amz-sdk-request", "attempt=1; max=3"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let signable = SignableRequest::new(
        "POST",
        "https://sts.us-east-1.amazonaws.com/",
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(BODY),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    headers
}

fn bench(c: &mut Criterion) {
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let owned = signed_sts_post(time);
    let headers: Vec<(&str, &str)> = owned
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        form_params: None,
    };
    let body_hash = hex::encode(Sha256::digest(BODY));
    let cache = SigningKeyCache::default();
    let auth = parse(&req).unwrap().unwrap();
    verify(&req, &auth, SECRET, &body_hash, time, &cache).expect("the bench request must verify");

    // Buffers of exactly the sizes verification hashes.
    let mut canonical = String::new();
    let inputs = CanonicalInputs {
        signed_headers: auth.signed_headers().unwrap(),
        payload_hash: &body_hash,
        rules: UriRules::STANDARD,
        exclude_query_key: None,
    };
    canonical_request(&req, &inputs, &mut canonical);
    let sts = string_to_sign(
        "20231114T221320Z",
        "20231114/us-east-1/sts/aws4_request",
        &canonical,
    );
    let canonical_buf = vec![b'c'; canonical.len()];
    let sts_buf = vec![b's'; sts.len()];
    let key = [7u8; 32];
    eprintln!(
        "canonical request {} bytes, string to sign {} bytes",
        canonical.len(),
        sts.len()
    );

    let mut group = c.benchmark_group("sigv4_sts_post");
    group.bench_function("baseline_sha256_plus_hmac", |b| {
        b.iter(|| {
            let digest = Sha256::digest(black_box(&canonical_buf));
            let mut mac = Hmac::<Sha256>::new_from_slice(black_box(&key)).unwrap();
            mac.update(black_box(&sts_buf));
            black_box((digest, mac.finalize().into_bytes()))
        })
    });
    group.bench_function("verify_cached_key", |b| {
        b.iter(|| verify(black_box(&req), &auth, SECRET, &body_hash, time, &cache))
    });
    group.bench_function("parse_and_verify_cached_key", |b| {
        b.iter(|| {
            let auth = parse(black_box(&req)).unwrap().unwrap();
            verify(&req, &auth, SECRET, &body_hash, time, &cache)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
