//! SigV2 query/form signatures: known answers computed independently, tampering, time rules.
//!
//! The expected signatures were computed once with Python's standard library (hmac, hashlib,
//! base64, urllib.parse.quote), not with this crate, by this script:
//!
//! ```python
//! import hmac, hashlib, base64
//! from urllib.parse import quote
//! secret = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
//! def canon(params):
//!     items = sorted((k.encode(), v.encode()) for k, v in params if k != "Signature")
//!     return "&".join(quote(k, safe="-_.~") + "=" + quote(v, safe="-_.~") for k, v in items)
//! def sig(method, host, path, params, digest):
//!     sts = f"{method}\n{host}\n{path}\n{canon(params)}"
//!     return base64.b64encode(hmac.new(secret, sts.encode(), digest).digest()).decode()
//! # POST_PARAMS and GET_PARAMS as below, without Signature
//! print(sig("POST", "sts.example.com:8443", "/", POST_PARAMS, hashlib.sha256))
//! print(sig("GET", "iam.amazonaws.com", "/", GET_PARAMS, hashlib.sha1))
//! ```

mod common;

use std::time::{Duration, SystemTime};

use common::{encode, SECRET};
use tessera_sigv::{parse, verify, ParsedAuth, Request, Scheme, SigError, SigningKeyCache};

const POST_SIGNATURE: &str = "puGLLurm4uiQQjFCIRWnywkdkTjLIwDfDUrw2meSwp4=";
const GET_SIGNATURE: &str = "Ert/YU6vrqjHkwrQJgobOyI05Zs=";

/// 2010-01-25T22:03:07Z, the POST request's Timestamp (given as 15:03:07-07:00).
fn post_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_264_456_987)
}

/// 2010-01-25T22:20:00Z, the GET request's Expires.
fn get_expires() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_264_458_000)
}

fn post_params() -> Vec<(String, String)> {
    [
        ("Action", "GetCallerIdentity"),
        ("Version", "2011-06-15"),
        ("AWSAccessKeyId", "AKIDEXAMPLE"),
        ("SignatureVersion", "2"),
        ("SignatureMethod", "HmacSHA256"),
        ("Timestamp", "2010-01-25T15:03:07-07:00"),
        ("SecurityToken", "tok/en+value=="),
        ("Tag.1.Value", "a b \u{1234}~*"),
        ("Signature", POST_SIGNATURE),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn get_query() -> String {
    [
        ("Action", "ListUsers"),
        ("AWSAccessKeyId", "AKIDEXAMPLE"),
        ("SignatureVersion", "2"),
        ("SignatureMethod", "HmacSHA1"),
        ("Expires", "2010-01-25T22:20:00Z"),
        ("PathPrefix", "/division_abc/"),
        ("Signature", GET_SIGNATURE),
    ]
    .iter()
    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
    .collect::<Vec<_>>()
    .join("&")
}

const POST_HEADERS: &[(&str, &str)] = &[
    ("Host", "STS.Example.COM:8443"),
    (
        "Content-Type",
        "application/x-www-form-urlencoded; charset=utf-8",
    ),
];
const GET_HEADERS: &[(&str, &str)] = &[("host", "iam.amazonaws.com")];

fn post_request<'a>(
    form: &'a [(String, String)],
    headers: &'a [(&'a str, &'a str)],
) -> Request<'a> {
    Request {
        method: "POST",
        path: "/",
        query: "",
        headers,
        form_params: Some(form),
    }
}

fn run(req: &Request<'_>, now: SystemTime) -> Result<ParsedAuth, SigError> {
    let auth = parse(req)?.ok_or(SigError::IncompleteSignature("anonymous".into()))?;
    verify(req, &auth, SECRET, "", now, &SigningKeyCache::default())?;
    Ok(auth)
}

#[test]
fn known_answer_post_form_hmac_sha256_with_offset_timestamp() {
    let form = post_params();
    let auth = run(
        &post_request(&form, POST_HEADERS),
        post_time() + Duration::from_secs(300),
    )
    .expect("known-answer POST must verify");
    assert_eq!(auth.scheme, Scheme::V2Query);
    assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
    assert_eq!(auth.security_token.as_deref(), Some("tok/en+value=="));
    assert_eq!(auth.signed_at, Some(post_time()));
    assert_eq!(auth.expires_at, None);
    assert_eq!(
        (auth.region.as_deref(), auth.service.as_deref()),
        (None, None)
    );
    assert_eq!(auth.signed_headers(), None);
}

#[test]
fn known_answer_get_query_hmac_sha1_with_expires() {
    let query = get_query();
    let req = Request {
        method: "GET",
        path: "",
        query: &query,
        headers: GET_HEADERS,
        form_params: None,
    };
    let auth = run(&req, get_expires() - Duration::from_secs(3600)).expect("must verify");
    assert_eq!(auth.signed_at, None);
    assert_eq!(auth.expires_at, Some(get_expires()));
    assert_eq!(
        run(&req, get_expires() + Duration::from_secs(1)).err(),
        Some(SigError::Expired)
    );
    // Expires is not bounded by the skew window: long before it, the request is still valid.
    assert!(run(&req, get_expires() - Duration::from_secs(86_400)).is_ok());
}

#[test]
fn params_may_be_split_between_query_and_form() {
    let mut form = post_params();
    let moved: Vec<(String, String)> = form.drain(..3).collect();
    let query = moved
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let req = Request {
        query: &query,
        ..post_request(&form, POST_HEADERS)
    };
    assert!(run(&req, post_time()).is_ok());
}

#[test]
fn explicit_default_port_in_host_header_is_accepted() {
    let query = get_query();
    let headers = [("Host", "IAM.amazonaws.com:443")];
    let req = Request {
        method: "GET",
        path: "/",
        query: &query,
        headers: &headers,
        form_params: None,
    };
    assert!(run(&req, get_expires() - Duration::from_secs(60)).is_ok());
}

#[test]
fn tampering_is_rejected() {
    let now = post_time();
    // Every parameter but Signature (whose change is covered below) is signed.
    let base = post_params();
    for i in 0..base.len() {
        let mut form = base.clone();
        if form[i].0 == "Signature" || form[i].0 == "Timestamp" {
            continue;
        }
        form[i].1.push('x');
        let got = run(&post_request(&form, POST_HEADERS), now);
        assert!(got.is_err(), "changing {} must be rejected", form[i].0);
    }
    let mut extra = base.clone();
    extra.push(("Extra".into(), "1".into()));
    assert_eq!(
        run(&post_request(&extra, POST_HEADERS), now).err(),
        Some(SigError::SignatureDoesNotMatch)
    );
    let mut bad_sig = base.clone();
    bad_sig[8].1 = "puGLLurm4uiQQjFCIRWnywkdkTjLIwDfDUrw2meSwp8=".into();
    assert_eq!(
        run(&post_request(&bad_sig, POST_HEADERS), now).err(),
        Some(SigError::SignatureDoesNotMatch)
    );
    let other_host = [("Host", "sts.example.com:8444")];
    assert_eq!(
        run(&post_request(&base, &other_host), now).err(),
        Some(SigError::SignatureDoesNotMatch)
    );
    for (method, path) in [("GET", "/"), ("POST", "/other")] {
        let req = Request {
            method,
            path,
            ..post_request(&base, POST_HEADERS)
        };
        assert_eq!(run(&req, now).err(), Some(SigError::SignatureDoesNotMatch));
    }
    let req = post_request(&base, POST_HEADERS);
    let auth = parse(&req).unwrap().unwrap();
    let wrong_secret = verify(
        &req,
        &auth,
        "not-the-secret",
        "",
        now,
        &SigningKeyCache::default(),
    );
    assert_eq!(wrong_secret.err(), Some(SigError::SignatureDoesNotMatch));
}

#[test]
fn timestamp_skew_window_is_fifteen_minutes_both_ways() {
    let form = post_params();
    let req = post_request(&form, POST_HEADERS);
    let cases = [
        (post_time() + Duration::from_secs(15 * 60), Ok(())),
        (post_time() - Duration::from_secs(15 * 60), Ok(())),
        (
            post_time() + Duration::from_secs(15 * 60 + 1),
            Err(SigError::RequestTimeTooSkewed),
        ),
        (
            post_time() - Duration::from_secs(15 * 60 + 1),
            Err(SigError::RequestTimeTooSkewed),
        ),
    ];
    for (now, want) in cases {
        assert_eq!(run(&req, now).map(|_| ()), want, "{now:?}");
    }
}

#[test]
fn s3_style_sigv2_is_not_mistaken_for_query_sigv2() {
    let header = [
        ("Host", "s3.amazonaws.com"),
        (
            "Authorization",
            "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
        ),
    ];
    let req = Request {
        method: "GET",
        path: "/bucket/key",
        query: "",
        headers: &header,
        form_params: None,
    };
    // S3's dialect needs a Date (or x-amz-date) header.
    assert!(matches!(parse(&req), Err(SigError::IncompleteSignature(_))));
    let presigned = Request {
        query: "AWSAccessKeyId=AKIDEXAMPLE&Expires=1141889120&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D",
        headers: &header[..1],
        ..req
    };
    let parsed = parse(&presigned).unwrap().unwrap();
    assert_eq!(parsed.scheme, tessera_sigv::Scheme::V2S3Presigned);
    assert_eq!(parsed.access_key_id, "AKIDEXAMPLE");
}
