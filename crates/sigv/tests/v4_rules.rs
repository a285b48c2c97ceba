//! SigV4 rules beyond canonicalisation: time skew, presigned expiry and `X-Amz-Expires` bounds,
//! the `Date` fallback, malformed `Authorization` headers and presigned parameters, anonymous
//! requests, error codes, and the signing-key cache.

mod common;

use std::time::{Duration, SystemTime};

use common::{sign_request, suite_time, Signed, Spec, AKID, SECRET};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tessera_sigv::canonical::{canonical_request, CanonicalInputs, UriRules};
use tessera_sigv::{
    parse, signing_key, string_to_sign, verify, ParsedAuth, Request, SigError, SigningKeyCache,
};

const MIN: Duration = Duration::from_secs(60);

fn run_with(
    signed: &Signed,
    now: SystemTime,
    cache: &SigningKeyCache,
    secret: &str,
) -> Result<ParsedAuth, SigError> {
    let headers = signed.header_refs();
    let req = signed.request(&headers);
    let auth = parse(&req)?.ok_or(SigError::IncompleteSignature("anonymous".into()))?;
    verify(&req, &auth, secret, &signed.body_sha256, now, cache)?;
    Ok(auth)
}

fn run(signed: &Signed, now: SystemTime) -> Result<ParsedAuth, SigError> {
    run_with(signed, now, &SigningKeyCache::default(), SECRET)
}

fn sts_post() -> Spec {
    let mut spec = Spec::new("sts", "POST", suite_time());
    spec.headers = vec![(
        "Content-Type".into(),
        "application/x-www-form-urlencoded; charset=utf-8".into(),
    )];
    spec.body = b"Action=GetCallerIdentity&Version=2011-06-15".to_vec();
    spec
}

fn presigned(service: &str, expires: u64) -> Signed {
    let mut spec = Spec::new(service, "GET", suite_time());
    spec.query = "Action=GetCallerIdentity&Version=2011-06-15".into();
    spec.presign_expires = Some(Duration::from_secs(expires));
    sign_request(&spec)
}

#[test]
fn header_signed_skew_window_is_fifteen_minutes_both_ways() {
    let signed = sign_request(&sts_post());
    let t = suite_time();
    let cases = [
        (t, Ok(())),
        (t + 15 * MIN, Ok(())),
        (t - 15 * MIN, Ok(())),
        (
            t + 15 * MIN + Duration::from_secs(1),
            Err(SigError::RequestTimeTooSkewed),
        ),
        (
            t - 15 * MIN - Duration::from_secs(1),
            Err(SigError::RequestTimeTooSkewed),
        ),
        (
            t + Duration::from_secs(86_400 * 365),
            Err(SigError::RequestTimeTooSkewed),
        ),
    ];
    for (now, want) in cases {
        assert_eq!(run(&signed, now).map(|_| ()), want, "now {now:?}");
    }
}

#[test]
fn presigned_expiry_and_future_dates() {
    let signed = presigned("sts", 3600);
    let t = suite_time();
    let hour = Duration::from_secs(3600);
    let cases = [
        (t, Ok(())),
        (t + hour, Ok(())),
        (t + hour + Duration::from_secs(1), Err(SigError::Expired)),
        (t - 15 * MIN, Ok(())),
        (
            t - 15 * MIN - Duration::from_secs(1),
            Err(SigError::RequestTimeTooSkewed),
        ),
    ];
    for (now, want) in cases {
        assert_eq!(run(&signed, now).map(|_| ()), want, "now {now:?}");
    }
    let auth = run(&signed, t).unwrap();
    assert_eq!(auth.expires_at, Some(t + hour));
}

#[test]
fn the_longest_presigned_validity_is_seven_days() {
    let signed = presigned("s3", 604_800);
    let t = suite_time();
    assert!(run(&signed, t + Duration::from_secs(604_800)).is_ok());
    assert_eq!(
        run(&signed, t + Duration::from_secs(604_801)).err(),
        Some(SigError::Expired)
    );
}

#[test]
fn x_amz_expires_bounds_are_enforced() {
    let signed = presigned("sts", 3600);
    type Check = fn(&SigError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("0", |e| *e == SigError::ExpiresOutOfRange),
        ("604801", |e| *e == SigError::ExpiresOutOfRange),
        ("99999999999999999999999", |e| {
            *e == SigError::ExpiresOutOfRange
        }),
        ("", |e| matches!(e, SigError::MalformedAuthorization(_))),
        ("-1", |e| matches!(e, SigError::MalformedAuthorization(_))),
        ("1h", |e| matches!(e, SigError::MalformedAuthorization(_))),
        ("%31%30", |e| *e == SigError::SignatureDoesNotMatch),
    ];
    for (value, check) in cases {
        let mut tampered = signed.clone();
        tampered.query = tampered
            .query
            .replace("X-Amz-Expires=3600", &format!("X-Amz-Expires={value}"));
        let err = run(&tampered, suite_time()).err();
        assert!(
            err.as_ref().is_some_and(check),
            "X-Amz-Expires={value}: {err:?}"
        );
    }
}

#[test]
fn date_header_is_the_fallback_for_x_amz_date() {
    // Signed by hand: the SDK signers always add X-Amz-Date.
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
    ];
    let mut req = Request {
        method: "GET",
        path: "/",
        query: "Action=ListUsers&Version=2010-05-08",
        headers: &headers,
        form_params: None,
    };
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let mut canonical = String::new();
    let inputs = CanonicalInputs {
        signed_headers: "date;host",
        payload_hash: empty,
        rules: UriRules::STANDARD,
        exclude_query_key: None,
    };
    canonical_request(&req, &inputs, &mut canonical);
    let scope = "20150830/us-east-1/iam/aws4_request";
    let sts = string_to_sign("20150830T123600Z", scope, &canonical);
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&signing_key(SECRET, "20150830", "us-east-1", "iam"))
            .unwrap();
    mac.update(sts.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/{scope}, SignedHeaders=date;host, Signature={signature}"
    );
    let with_auth = [
        headers[0],
        headers[1],
        ("Authorization", authorization.as_str()),
    ];
    req.headers = &with_auth;
    let auth = parse(&req).unwrap().unwrap();
    assert_eq!(auth.signed_at, Some(suite_time()));
    let cache = SigningKeyCache::default();
    assert_eq!(
        verify(&req, &auth, SECRET, empty, suite_time(), &cache).map(|_| ()),
        Ok(())
    );
    // X-Amz-Date wins over Date when both are present.
    let both = [
        with_auth[0],
        with_auth[1],
        with_auth[2],
        ("X-Amz-Date", "20150830T000000Z"),
    ];
    req.headers = &both;
    let auth = parse(&req).unwrap().unwrap();
    assert_eq!(
        auth.signed_at,
        Some(suite_time() - Duration::from_secs(12 * 3600 + 36 * 60))
    );
}

#[test]
fn credential_scope_date_must_be_the_request_date() {
    let mut signed = sign_request(&sts_post());
    let auth = signed
        .headers
        .iter_mut()
        .find(|(n, _)| n == "authorization")
        .unwrap();
    auth.1 = auth.1.replace("/20150830/", "/20150831/");
    assert_eq!(
        run(&signed, suite_time()).err(),
        Some(SigError::CredentialDateMismatch)
    );
    let mut presigned = presigned("sts", 60);
    presigned.query = presigned.query.replace("%2F20150830%2F", "%2F20150829%2F");
    assert_eq!(
        run(&presigned, suite_time()).err(),
        Some(SigError::CredentialDateMismatch)
    );
}

#[derive(Debug)]
enum Kind {
    Incomplete,
    Malformed,
    Unsupported,
    InvalidDate,
}

fn kind_matches(err: &SigError, kind: &Kind) -> bool {
    matches!(
        (err, kind),
        (SigError::IncompleteSignature(_), Kind::Incomplete)
            | (SigError::MalformedAuthorization(_), Kind::Malformed)
            | (SigError::UnsupportedAlgorithm(_), Kind::Unsupported)
            | (SigError::InvalidDate(_), Kind::InvalidDate)
    )
}

const CRED: &str = "Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request";
const SIG: &str = "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

#[test]
fn malformed_authorization_headers() {
    let ok = format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host;x-amz-date, {SIG}");
    let cases: Vec<(String, Kind)> = vec![
        (String::new(), Kind::Malformed),
        ("   ".into(), Kind::Malformed),
        (format!("AWS4-HMAC-SHA512 {CRED}, SignedHeaders=host, {SIG}"), Kind::Unsupported),
        ("AWS4-ECDSA-P256-SHA256 Credential=x".into(), Kind::Unsupported),
        // S3's SigV2 dialect (v2s3) without its colon-separated signature.
        ("AWS AKIDEXAMPLE".into(), Kind::Malformed),
        ("AWS4-HMAC-SHA256".into(), Kind::Incomplete),
        (format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host;x-amz-date"), Kind::Incomplete),
        (format!("AWS4-HMAC-SHA256 SignedHeaders=host, {SIG}"), Kind::Incomplete),
        (format!("AWS4-HMAC-SHA256 {CRED}, {SIG}"), Kind::Incomplete),
        (format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders, {SIG}"), Kind::Malformed),
        (format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host, {SIG}, {SIG}"), Kind::Malformed),
        (format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host, {SIG}, Extra=1"), Kind::Malformed),
        (format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=, {SIG}"), Kind::Incomplete),
        (format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=x-amz-date, {SIG}"), Kind::Malformed),
        (format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host;;x-amz-date, {SIG}"), Kind::Malformed),
        (format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=Host, {SIG}"), Kind::Malformed),
        (format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host, Signature=abc"), Kind::Malformed),
        (format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host, Signature={}", "zz".repeat(32)), Kind::Malformed),
        (format!("AWS4-HMAC-SHA256 {CRED}, SignedHeaders=host, Signature={}", "é".repeat(32)), Kind::Malformed),
        (format!("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts, SignedHeaders=host, {SIG}"), Kind::Malformed),
        (format!("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws5_request, SignedHeaders=host, {SIG}"), Kind::Malformed),
        (format!("AWS4-HMAC-SHA256 Credential=AKID/2015-08-30/us-east-1/sts/aws4_request, SignedHeaders=host, {SIG}"), Kind::Malformed),
    ];
    for (value, kind) in &cases {
        let headers = [
            ("host", "sts.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
            ("authorization", value.as_str()),
        ];
        let req = Request {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            form_params: None,
        };
        let got = parse(&req);
        assert!(
            got.as_ref().err().is_some_and(|e| kind_matches(e, kind)),
            "{value:?}: expected {kind:?}, got {got:?}"
        );
    }
    let header_cases: Vec<(Vec<(&str, &str)>, Kind)> = vec![
        (vec![("authorization", ok.as_str())], Kind::Incomplete),
        (
            vec![
                ("authorization", ok.as_str()),
                ("x-amz-date", "2015-08-30T12:36:00Z"),
            ],
            Kind::InvalidDate,
        ),
        (
            vec![("authorization", ok.as_str()), ("date", "yesterday")],
            Kind::InvalidDate,
        ),
        (
            vec![
                ("authorization", ok.as_str()),
                ("x-amz-date", "20150830T123600Z"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            Kind::Malformed,
        ),
        (
            vec![
                ("authorization", ok.as_str()),
                ("Authorization", ok.as_str()),
                ("x-amz-date", "20150830T123600Z"),
            ],
            Kind::Malformed,
        ),
        (
            vec![
                ("authorization", ok.as_str()),
                ("x-amz-date", "20150830T123600Z"),
                ("x-amz-security-token", "a"),
                ("X-Amz-Security-Token", "b"),
            ],
            Kind::Malformed,
        ),
    ];
    for (headers, kind) in &header_cases {
        let req = Request {
            method: "GET",
            path: "/",
            query: "",
            headers,
            form_params: None,
        };
        let got = parse(&req);
        assert!(
            got.as_ref().err().is_some_and(|e| kind_matches(e, kind)),
            "{headers:?}: expected {kind:?}, got {got:?}"
        );
    }
}

#[test]
fn malformed_presigned_parameters() {
    let full = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    let cases: Vec<(String, Kind)> = vec![
        ("X-Amz-Signature=abc".into(), Kind::Incomplete),
        ("X-Amz-Credential=AKID".into(), Kind::Incomplete),
        ("X-Amz-Algorithm=AWS4-HMAC-SHA256".into(), Kind::Incomplete),
        (
            full.replace(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256",
                "X-Amz-Algorithm=AWS4-HMAC-SHA1",
            ),
            Kind::Unsupported,
        ),
        (
            full.replace("&X-Amz-Date=20150830T123600Z", ""),
            Kind::Incomplete,
        ),
        (full.replace("&X-Amz-Expires=60", ""), Kind::Incomplete),
        (
            full.replace("&X-Amz-SignedHeaders=host", ""),
            Kind::Incomplete,
        ),
        (
            format!("{full}&X-Amz-Date=20150830T123600Z"),
            Kind::Malformed,
        ),
        (format!("{full}&X-Amz-Signature=00"), Kind::Malformed),
        (
            full.replace("X-Amz-Date=20150830T123600Z", "X-Amz-Date=20150830T12360"),
            Kind::InvalidDate,
        ),
        (
            full.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders="),
            Kind::Incomplete,
        ),
        (full.replace("%2Fsts%2F", "%2F%2F"), Kind::Malformed),
    ];
    let headers = [("host", "sts.amazonaws.com")];
    for (query, kind) in &cases {
        let req = Request {
            method: "GET",
            path: "/",
            query,
            headers: &headers,
            form_params: None,
        };
        let got = parse(&req);
        assert!(
            got.as_ref().err().is_some_and(|e| kind_matches(e, kind)),
            "{query:?}: expected {kind:?}, got {got:?}"
        );
    }
}

#[test]
fn requests_without_a_signature_are_anonymous() {
    type Form = Option<Vec<(String, String)>>;
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Form);
    let cases: Vec<Case> = vec![
        ("", vec![("host", "sts.amazonaws.com")], None),
        (
            "Action=AssumeRoleWithWebIdentity&WebIdentityToken=x",
            vec![("host", "sts.amazonaws.com")],
            None,
        ),
        (
            "",
            vec![
                ("host", "sts.amazonaws.com"),
                ("x-amz-security-token", "t"),
                ("x-amz-date", "20150830T123600Z"),
            ],
            None,
        ),
        (
            "",
            vec![("host", "sts.amazonaws.com")],
            Some(vec![("Action".into(), "GetCallerIdentity".into())]),
        ),
        ("x-amz-signature=lowercase-is-not-ours", vec![], None),
    ];
    for (query, headers, form) in &cases {
        let req = Request {
            method: "POST",
            path: "/",
            query,
            headers,
            form_params: form.as_deref(),
        };
        assert_eq!(
            parse(&req).map(|a| a.is_none()),
            Ok(true),
            "{query:?} {headers:?}"
        );
    }
}

#[test]
fn s3_header_signing_requires_x_amz_content_sha256() {
    let mut spec = Spec::new("s3", "PUT", suite_time());
    spec.host = "bucket.s3.amazonaws.com".into();
    spec.path = "/photos/2015/a%20b.jpg".into();
    spec.body = b"object bytes".to_vec();
    let signed = sign_request(&spec);
    assert!(run(&signed, suite_time()).is_ok());
    let mut stripped = signed.clone();
    stripped
        .headers
        .retain(|(n, _)| n != "x-amz-content-sha256");
    assert_eq!(
        run(&stripped, suite_time()).err(),
        Some(SigError::MissingContentSha256)
    );
}

#[test]
fn unsigned_payload_presigning_outside_s3_only_for_empty_bodies() {
    // botocore presigns every service with UNSIGNED-PAYLOAD; the Go and Rust SDKs hash the body.
    let mut spec = Spec::new("sts", "GET", suite_time());
    spec.query = "Action=GetCallerIdentity&Version=2011-06-15".into();
    spec.presign_expires = Some(Duration::from_secs(60));
    spec.unsigned_payload = true;
    let signed = sign_request(&spec);
    assert!(run(&signed, suite_time()).is_ok());
    spec.method = "POST".into();
    spec.body = b"Action=GetCallerIdentity".to_vec();
    let signed = sign_request(&spec);
    assert_eq!(
        run(&signed, suite_time()).err(),
        Some(SigError::SignatureDoesNotMatch)
    );
}

#[test]
fn the_cache_never_serves_one_secret_for_another() {
    let signed = sign_request(&sts_post());
    let cache = SigningKeyCache::new(16);
    assert!(run_with(&signed, suite_time(), &cache, SECRET).is_ok());
    assert_eq!(cache.len(), 1);
    assert_eq!(
        run_with(&signed, suite_time(), &cache, "another-secret").err(),
        Some(SigError::SignatureDoesNotMatch)
    );
    assert!(run_with(&signed, suite_time(), &cache, SECRET).is_ok());
    assert_eq!(cache.len(), 2);
}

#[test]
fn error_codes() {
    let cases = [
        (
            SigError::IncompleteSignature("x".into()),
            "IncompleteSignature",
        ),
        (
            SigError::MalformedAuthorization("x".into()),
            "IncompleteSignature",
        ),
        (
            SigError::UnsupportedAlgorithm("x".into()),
            "IncompleteSignature",
        ),
        (SigError::InvalidDate("x".into()), "IncompleteSignature"),
        (SigError::CredentialDateMismatch, "SignatureDoesNotMatch"),
        (SigError::SignatureDoesNotMatch, "SignatureDoesNotMatch"),
        (SigError::RequestTimeTooSkewed, "RequestTimeTooSkewed"),
        (SigError::Expired, "RequestExpired"),
        (
            SigError::ExpiresOutOfRange,
            "AuthorizationQueryParametersError",
        ),
        (SigError::MissingContentSha256, "InvalidRequest"),
    ];
    for (err, code) in cases {
        assert_eq!(err.aws_code(), code, "{err:?}");
        assert!(!err.message().is_empty());
    }
}

#[test]
fn debug_output_redacts_the_session_token() {
    let mut spec = sts_post();
    spec.token = Some("SECRET-SESSION-TOKEN".into());
    let auth = run(&sign_request(&spec), suite_time()).unwrap();
    assert_eq!(auth.security_token.as_deref(), Some("SECRET-SESSION-TOKEN"));
    let debug = format!("{auth:?}");
    assert!(!debug.contains("SECRET-SESSION-TOKEN"), "{debug}");
    assert!(debug.contains("AKIDEXAMPLE"));
}
