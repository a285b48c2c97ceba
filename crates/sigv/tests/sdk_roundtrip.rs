//! Property tests against the official signer: random requests signed by `aws-sigv4` with the
//! settings AWS SDKs use per service (header and presigned; sts, iam, sqs, and s3 with its single
//! encoding, no normalisation and UNSIGNED-PAYLOAD presigning) must verify, and any change to
//! the signature, a signed header, the query, the path or the method must be rejected.

mod common;

use std::time::{Duration, SystemTime};

use common::{encode, sign_request, Signed, Spec, SECRET};
use proptest::prelude::*;
use tessera_sigv::{parse, verify, ParsedAuth, Scheme, SigError, SigningKeyCache};

/// Header names the signer sets or excludes itself.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "user-agent",
    "transfer-encoding",
    "x-amzn-trace-id",
    "date",
];

fn path_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        "[a-zA-Z0-9._~-]{1,8}",
        "\\PC{1,6}".prop_map(|s| encode(&s)),
        "\\PC{1,4}".prop_map(|s| encode(&s).to_lowercase()),
        "[!$&'()*+,;=:@]{1,3}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(path_segment(), 0..6).prop_map(|segments| {
        let mut path = String::from("/");
        path.push_str(&segments.join("/"));
        path
    })
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,8}".prop_map(|s| encode(&s)),
        "[a-z ]{0,8}".prop_map(|s| encode(&s).replace("%20", "+")),
        "[a-z!*(),:@/?+]{0,6}",
        "\\PC{0,4}".prop_map(|s| encode(&s).to_lowercase()),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        "[a-z][a-zA-Z0-9]{0,5}",
        "\\PC{1,4}".prop_map(|s| encode(&s))
    ];
    let pair = (key, prop::option::of(query_value()));
    prop::collection::vec(pair, 0..5).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            })
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = "[A-Za-z][A-Za-z0-9-]{0,10}".prop_filter("reserved", |n| {
        !RESERVED_HEADERS.iter().any(|r| r.eq_ignore_ascii_case(n))
    });
    let header = (name, "[ -~]{0,20}");
    (prop::collection::vec(header, 0..5), any::<bool>()).prop_map(|(mut headers, repeat)| {
        // A header sent twice, with its name in another case: values join with ','.
        if let (true, Some((name, _))) = (repeat, headers.first().cloned()) {
            headers.push((name.to_uppercase(), "second value".to_owned()));
        }
        headers
    })
}

#[derive(Clone, Debug)]
struct Case {
    spec: Spec,
    now: SystemTime,
}

fn case() -> impl Strategy<Value = Case> {
    let service = prop_oneof![Just("sts"), Just("iam"), Just("sqs"), Just("s3")];
    let method = prop_oneof![
        Just("GET"),
        Just("POST"),
        Just("PUT"),
        Just("DELETE"),
        Just("HEAD"),
        Just("PATCH")
    ];
    let region = prop_oneof![Just("us-east-1"), Just("eu-west-3"), Just("ap-southeast-2")];
    let host = prop_oneof![
        Just(None),
        Just(Some("localhost:4566")),
        Just(Some("127.0.0.1:9000"))
    ];
    let token = prop::option::of("[A-Za-z0-9+/=]{10,40}");
    let presign = prop::option::of(1u64..=604_800);
    (
        (service, method, region, host, token, presign),
        (
            path(),
            query(),
            headers(),
            prop::collection::vec(any::<u8>(), 0..64),
        ),
        (946_684_800u64..4_102_444_800, any::<i64>(), any::<bool>()),
    )
        .prop_map(
            |(
                (service, method, region, host, token, presign),
                (path, query, headers, body),
                (t, offset, unsigned),
            )| {
                let time = SystemTime::UNIX_EPOCH + Duration::from_secs(t);
                let mut spec = Spec::new(service, method, time);
                spec.region = region.to_owned();
                if let Some(host) = host {
                    spec.host = host.to_owned();
                }
                spec.path = path;
                spec.query = query;
                spec.headers = headers;
                spec.body = body;
                spec.token = token;
                spec.presign_expires = presign.map(Duration::from_secs);
                // S3 header signing may also send x-amz-content-sha256: UNSIGNED-PAYLOAD.
                spec.unsigned_payload = unsigned && service == "s3";
                // Anywhere in the window the time rules allow.
                let (low, high) = match presign {
                    None => (-14 * 60, 14 * 60),
                    Some(expires) => (-14 * 60, i64::try_from(expires).unwrap()),
                };
                let offset = low + offset.rem_euclid(high - low + 1);
                let now = if offset >= 0 {
                    time + Duration::from_secs(offset.unsigned_abs())
                } else {
                    time - Duration::from_secs(offset.unsigned_abs())
                };
                Case { spec, now }
            },
        )
}

fn check(signed: &Signed, now: SystemTime) -> Result<ParsedAuth, SigError> {
    let headers = signed.header_refs();
    let req = signed.request(&headers);
    let auth = parse(&req)?.ok_or(SigError::IncompleteSignature("anonymous".into()))?;
    verify(
        &req,
        &auth,
        SECRET,
        &signed.body_sha256,
        now,
        &SigningKeyCache::default(),
    )?;
    Ok(auth)
}

/// Replaces the hex digit at `index` of the signature with a different one.
fn flip_signature(signed: &mut Signed, index: usize, presigned: bool) {
    let flip = |s: &mut String, at: usize| {
        let old = s.as_bytes()[at];
        let new = if old == b'0' { '1' } else { '0' };
        s.replace_range(at..=at, &new.to_string());
    };
    if presigned {
        let at = signed.query.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
        flip(&mut signed.query, at + index);
    } else {
        let auth = signed
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .unwrap();
        let at = auth.1.find("Signature=").unwrap() + "Signature=".len();
        flip(&mut auth.1, at + index);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn sdk_signed_requests_verify(case in case()) {
        let signed = sign_request(&case.spec);
        let auth = check(&signed, case.now);
        prop_assert!(auth.is_ok(), "{:?}\n{:?}\n{:?}", auth, case.spec, signed);
        let auth = auth.unwrap();
        let presigned = case.spec.presign_expires.is_some();
        prop_assert_eq!(auth.scheme, if presigned { Scheme::V4Presigned } else { Scheme::V4Header });
        prop_assert_eq!(auth.access_key_id.as_str(), common::AKID);
        prop_assert_eq!(auth.service.as_deref(), Some(case.spec.service.as_str()));
        prop_assert_eq!(auth.region.as_deref(), Some(case.spec.region.as_str()));
        prop_assert_eq!(auth.security_token, case.spec.token.clone());
        prop_assert_eq!(auth.signed_at, Some(case.spec.time));
    }

    #[test]
    fn any_flipped_signature_digit_is_rejected(case in case(), index in 0usize..64) {
        let mut signed = sign_request(&case.spec);
        flip_signature(&mut signed, index, case.spec.presign_expires.is_some());
        prop_assert_eq!(check(&signed, case.now).err(), Some(SigError::SignatureDoesNotMatch));
    }

    #[test]
    fn a_changed_signed_header_is_rejected(case in case(), pick in any::<prop::sample::Index>()) {
        let mut signed = sign_request(&case.spec);
        let auth = check(&signed, case.now).unwrap();
        let names: Vec<String> = auth.signed_headers().unwrap().split(';').map(str::to_owned).collect();
        let name = pick.get(&names);
        let header = signed.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)).unwrap();
        header.1.push('x');
        prop_assert!(check(&signed, case.now).is_err(), "changing {} must be rejected", name);
    }

    #[test]
    fn a_changed_query_path_or_method_is_rejected(case in case(), what in 0u8..3) {
        let mut signed = sign_request(&case.spec);
        match what {
            0 => signed.query.push_str("&tampered=1"),
            1 => signed.path.push('x'),
            _ => signed.method = if signed.method == "GET" { "PUT".into() } else { "GET".into() },
        }
        prop_assert_eq!(check(&signed, case.now).err(), Some(SigError::SignatureDoesNotMatch));
    }
}
