//! Robustness: thousands of garbage and near-valid inputs through `parse` and `verify`. Any
//! panic fails the property (proptest reports it with a minimal input); errors are expected.

use std::time::{Duration, SystemTime};

use proptest::prelude::*;
mod common;

use common::{sign_request, suite_time, Spec, SECRET};
use tessera_sigv::{parse, verify, Request, SigningKeyCache};

/// Pieces of real signatures, so that random inputs get past the first checks often.
const FRAGMENTS: &[&str] = &[
    "AWS4-HMAC-SHA256",
    " ",
    ",",
    "=",
    "/",
    ";",
    "&",
    "%",
    "%2F",
    "Credential=",
    "SignedHeaders=",
    "Signature=",
    "AKIDEXAMPLE",
    "20150830",
    "20150830T123600Z",
    "us-east-1",
    "sts",
    "s3",
    "aws4_request",
    "host",
    "x-amz-date",
    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    "X-Amz-Algorithm=",
    "X-Amz-Credential=",
    "X-Amz-Date=",
    "X-Amz-Expires=",
    "X-Amz-SignedHeaders=",
    "X-Amz-Signature=",
    "X-Amz-Security-Token=",
    "604800",
    "AWSAccessKeyId=",
    "SignatureVersion=2",
    "SignatureMethod=HmacSHA1",
    "SignatureMethod=HmacSHA256",
    "Timestamp=2010-01-25T15:03:07-07:00",
    "Expires=9999-12-31T23:59:59Z",
    "Timestamp=0000-01-01T00:00:00+23:59",
    "Signature=AAAA",
    "..",
    "ሴ",
    "\u{0}",
    "\r\n",
];

fn garbage() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..30).prop_map(|f| f.concat()),
        "\\PC{0,40}",
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Authorization".to_owned()),
        Just("authorization".to_owned()),
        Just("X-Amz-Date".to_owned()),
        Just("Date".to_owned()),
        Just("Host".to_owned()),
        Just("x-amz-content-sha256".to_owned()),
        Just("X-Amz-Security-Token".to_owned()),
        garbage(),
    ]
}

fn now() -> impl Strategy<Value = SystemTime> {
    prop_oneof![
        Just(SystemTime::UNIX_EPOCH),
        Just(SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160)),
        (0u64..253_402_300_799).prop_map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s)),
    ]
}

type Input = (
    String,
    String,
    String,
    Vec<(String, String)>,
    Option<Vec<(String, String)>>,
    SystemTime,
    String,
);

fn input() -> impl Strategy<Value = Input> {
    (
        garbage(),
        garbage(),
        garbage(),
        prop::collection::vec((header_name(), garbage()), 0..8),
        prop::option::of(prop::collection::vec((garbage(), garbage()), 0..6)),
        now(),
        garbage(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn parse_and_verify_never_panic(
        (method, path, query, headers, form, now, secret) in input()
    ) {
        let headers: Vec<(&str, &str)> =
            headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let req = Request {
            method: &method,
            path: &path,
            query: &query,
            headers: &headers,
            form_params: form.as_deref(),
        };
        if let Ok(Some(auth)) = parse(&req) {
            let cache = SigningKeyCache::new(4);
            let _ = verify(&req, &auth, &secret, &secret, now, &cache);
            prop_assert!(!auth.access_key_id.is_empty());
        }
    }
}

/// Replaces the byte at `at` (modulo the length) with `with`, keeping the text valid UTF-8.
fn mutate(s: &str, at: usize, with: u8) -> String {
    let mut bytes = s.as_bytes().to_vec();
    if bytes.is_empty() {
        return String::from_utf8_lossy(&[with]).into_owned();
    }
    let at = at % bytes.len();
    bytes[at] = with;
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Real SDK-signed requests with one byte changed: these reach `verify` most of the time.
    #[test]
    fn near_valid_requests_never_panic(
        presign in any::<bool>(),
        service in prop::sample::select(&["sts", "s3"][..]),
        field in 0u8..4,
        at in any::<usize>(),
        with in any::<u8>(),
        now in now(),
    ) {
        let mut spec = Spec::new(service, "POST", suite_time());
        spec.path = "/a/./b%20c/../d".into();
        spec.query = "Action=GetCallerIdentity&x=a+b".into();
        spec.token = Some("token".into());
        spec.presign_expires = presign.then_some(std::time::Duration::from_secs(600));
        let mut signed = sign_request(&spec);
        match field {
            0 => signed.path = mutate(&signed.path, at, with),
            1 => signed.query = mutate(&signed.query, at, with),
            _ => {
                let i = at % signed.headers.len();
                signed.headers[i].1 = mutate(&signed.headers[i].1, at / 7, with);
            }
        }
        let headers = signed.header_refs();
        let req = signed.request(&headers);
        if let Ok(Some(auth)) = parse(&req) {
            let _ = verify(&req, &auth, SECRET, &signed.body_sha256, now, &SigningKeyCache::new(4));
        }
    }
}
