//! S3's own SigV2 dialect, still sent by legacy clients and by boto3's default presigner:
//! `Authorization: AWS AKID:base64(HMAC-SHA1)` with a `Date` (or `x-amz-date`) header, or a
//! presigned URL carrying `AWSAccessKeyId`, `Signature` and `Expires` (Unix seconds).
//!
//! Owns: recognising both forms, S3's string to sign (method, `Content-MD5`, `Content-Type`, date
//! or expiry, the `x-amz-*` headers, the canonical resource with its sub-resources) and the time
//! rules. Must never accept the Query services' SigV2 (`SignatureVersion=2`; see `v2.rs`).
//!
//! In a presigned URL, `x-amz-*` parameters (the session token above all), `Content-MD5` and
//! `Content-Type` stand for the headers of the same names, as the signers move them there.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::datetime::{parse_http_date, printable, too_skewed};
use crate::encode::{decode_component, decode_text, raw_pairs};
use crate::{ParsedAuth, Proof, Request, Scheme, SigError};

/// The query parameters that are part of the canonical resource (S3's sub-resources and
/// response overrides), in the order S3 sorts them (bytewise).
const SUB_RESOURCES: [&str; 36] = [
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
    "attributes",
];

/// What an S3 SigV2 signature commits to besides the request itself.
#[derive(Clone)]
pub(crate) struct S3V2Proof {
    signature: Vec<u8>,
    /// The third line of the string to sign: the `Date` header, empty when `x-amz-date` is
    /// sent, or the presigned URL's `Expires`.
    date_line: String,
    presigned: bool,
}

/// `Authorization: AWS AKID:SIGNATURE`.
pub(crate) fn parse_header(req: &Request<'_>, value: &str) -> Result<ParsedAuth, SigError> {
    let credential = value.trim().strip_prefix("AWS ").unwrap_or("");
    let (access_key_id, signature) = credential.rsplit_once(':').ok_or_else(|| {
        SigError::MalformedAuthorization(
            "The authorization header is malformed; expected AWS AccessKeyId:Signature".into(),
        )
    })?;
    if access_key_id.is_empty() {
        return Err(SigError::IncompleteSignature(
            "The authorization header names no access key id".into(),
        ));
    }
    let signature = decode_signature(signature)?;
    let amz_date = req.single_header("x-amz-date")?;
    let date = req.single_header("date")?;
    let signed_at = match (amz_date, date) {
        (Some(d), _) | (None, Some(d)) => parse_http_date(d)?,
        (None, None) => {
            return Err(SigError::IncompleteSignature(
                "AWS authentication requires a valid Date or x-amz-date header".into(),
            ))
        }
    };
    Ok(ParsedAuth {
        scheme: Scheme::V2S3Header,
        access_key_id: access_key_id.to_owned(),
        region: None,
        service: Some("s3".to_owned()),
        security_token: req
            .single_header("x-amz-security-token")?
            .map(str::to_owned),
        signed_at: Some(signed_at.into()),
        expires_at: None,
        proof: Proof::V2S3(S3V2Proof {
            signature,
            date_line: if amz_date.is_some() {
                String::new()
            } else {
                date.unwrap_or("").trim().to_owned()
            },
            presigned: false,
        }),
    })
}

/// Whether the query string is an S3 SigV2 presigned URL: `AWSAccessKeyId` and `Signature`
/// without the Query services' `SignatureVersion`.
pub(crate) fn looks_presigned(query: &str) -> bool {
    let mut key = false;
    let mut signature = false;
    for (k, _) in raw_pairs(query) {
        match k {
            "AWSAccessKeyId" => key = true,
            "Signature" => signature = true,
            "SignatureVersion" => return false,
            _ => {}
        }
    }
    key && signature
}

/// `?AWSAccessKeyId=…&Signature=…&Expires=…`.
pub(crate) fn parse_presigned(req: &Request<'_>) -> Result<ParsedAuth, SigError> {
    let mut access_key_id = None;
    let mut signature = None;
    let mut expires = None;
    let mut token = None;
    for (k, v) in raw_pairs(req.query) {
        let slot = match k {
            "AWSAccessKeyId" => &mut access_key_id,
            "Signature" => &mut signature,
            "Expires" => &mut expires,
            "x-amz-security-token" => &mut token,
            _ => continue,
        };
        if slot.replace(decode_text(v)).is_some() {
            return Err(SigError::MalformedAuthorization(format!(
                "Query parameter '{k}' appears more than once"
            )));
        }
    }
    let (Some(access_key_id), Some(signature), Some(expires)) = (access_key_id, signature, expires)
    else {
        return Err(SigError::IncompleteSignature(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"
                .into(),
        ));
    };
    if access_key_id.is_empty() {
        return Err(SigError::IncompleteSignature(
            "AWSAccessKeyId must not be empty".into(),
        ));
    }
    let seconds: u64 = expires
        .parse()
        .map_err(|_| SigError::InvalidDate(format!("Invalid Expires '{}'", printable(&expires))))?;
    let expires_at = UNIX_EPOCH
        .checked_add(Duration::from_secs(seconds))
        .ok_or_else(|| SigError::InvalidDate("Expires is out of range".into()))?;
    Ok(ParsedAuth {
        scheme: Scheme::V2S3Presigned,
        access_key_id,
        region: None,
        service: Some("s3".to_owned()),
        security_token: token,
        signed_at: None,
        expires_at: Some(expires_at),
        proof: Proof::V2S3(S3V2Proof {
            signature: decode_signature(&signature)?,
            date_line: expires,
            presigned: true,
        }),
    })
}

fn decode_signature(s: &str) -> Result<Vec<u8>, SigError> {
    STANDARD
        .decode(s.trim())
        .map_err(|_| SigError::MalformedAuthorization("Signature must be base64".into()))
}

pub(crate) fn verify(
    req: &Request<'_>,
    auth: &ParsedAuth,
    proof: &S3V2Proof,
    secret_access_key: &str,
    now: SystemTime,
) -> Result<(), SigError> {
    match (auth.expires_at, auth.signed_at) {
        (Some(expires_at), _) if now > expires_at => return Err(SigError::Expired),
        (None, Some(signed_at)) if too_skewed(signed_at, now) => {
            return Err(SigError::RequestTimeTooSkewed)
        }
        _ => {}
    }
    // The canonical resource names the bucket even for virtual-host requests, whose path does
    // not: try the path as sent, then with the host's first label as the bucket.
    let mut candidates = vec![req.path.to_owned()];
    if let Some(bucket) = virtual_host_bucket(req) {
        candidates.push(format!("/{bucket}{}", req.path));
    }
    for path in candidates {
        let expected = sign(secret_access_key, &string_to_sign(req, proof, &path));
        if bool::from(expected.as_slice().ct_eq(&proof.signature)) {
            return Ok(());
        }
    }
    Err(SigError::SignatureDoesNotMatch)
}

/// The bucket a virtual-hosted request names in its `Host` (`bucket.s3.example.com`), if the host
/// is a name with at least three labels rather than an address.
fn virtual_host_bucket<'a>(req: &Request<'a>) -> Option<&'a str> {
    let host = req.single_header("host").ok().flatten()?;
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    if name.parse::<std::net::IpAddr>().is_ok() || name.starts_with('[') {
        return None;
    }
    let (bucket, rest) = name.split_once('.')?;
    (rest.contains('.') || rest == "localhost").then_some(bucket)
}

fn string_to_sign(req: &Request<'_>, proof: &S3V2Proof, path: &str) -> String {
    // In a presigned URL, the x-amz-*, Content-MD5 and Content-Type parameters are headers.
    let mut query_headers: Vec<(String, String)> = Vec::new();
    if proof.presigned {
        for (k, v) in raw_pairs(req.query) {
            let name = decode_text(k).to_ascii_lowercase();
            if name.starts_with("x-amz-") || name == "content-md5" || name == "content-type" {
                query_headers.push((name, decode_text(v)));
            }
        }
    }
    let header = |name: &str| -> String {
        req.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .chain(
                query_headers
                    .iter()
                    .filter(|(n, _)| n == name)
                    .map(|(_, v)| v.trim().to_owned()),
            )
            .next()
            .unwrap_or_default()
    };
    let mut out = String::with_capacity(256);
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&header("content-md5"));
    out.push('\n');
    out.push_str(&header("content-type"));
    out.push('\n');
    out.push_str(&proof.date_line);
    out.push('\n');
    let mut amz: Vec<(String, Vec<String>)> = Vec::new();
    let pairs = req
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
        .chain(query_headers.iter().cloned());
    for (name, value) in pairs {
        if !name.starts_with("x-amz-") {
            continue;
        }
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        match amz.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value),
            None => amz.push((name, vec![value])),
        }
    }
    amz.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, values) in amz {
        out.push_str(&name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push_str(if path.is_empty() { "/" } else { path });
    let mut subs: Vec<(Vec<u8>, Option<String>)> = raw_pairs(req.query)
        .filter(|(k, _)| SUB_RESOURCES.contains(&decode_text(k).as_str()))
        .map(|(k, v)| {
            let value = (!v.is_empty()).then(|| decode_text(v));
            (decode_component(k), value)
        })
        .collect();
    if !subs.is_empty() {
        subs.sort();
        out.push('?');
        for (i, (k, v)) in subs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(&String::from_utf8_lossy(k));
            if let Some(v) = v {
                out.push('=');
                out.push_str(v);
            }
        }
    }
    out
}

fn sign(secret: &str, data: &str) -> Vec<u8> {
    match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's documented example (S3 developer guide, "Signing and authenticating REST
    /// requests"): GET /photos/puppy.jpg on a virtual-hosted bucket.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn request<'a>(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        headers: &'a [(&'a str, &'a str)],
    ) -> Request<'a> {
        Request {
            method,
            path,
            query,
            headers,
            form_params: None,
        }
    }

    fn now_near(date: &str) -> SystemTime {
        parse_http_date(date).unwrap().into()
    }

    #[test]
    fn aws_documented_object_get() {
        let date = "Tue, 27 Mar 2007 19:36:42 +0000";
        let headers = [
            ("Host", "awsexamplebucket1.us-west-1.s3.amazonaws.com"),
            ("Date", date),
            (
                "Authorization",
                "AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
            ),
        ];
        let req = request("GET", "/photos/puppy.jpg", "", &headers);
        let proof = S3V2Proof {
            signature: STANDARD.decode("qgk2+6Sv9/oM7G3qLEjTH1a1l1g=").unwrap(),
            date_line: date.to_owned(),
            presigned: false,
        };
        let expected =
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg";
        assert_eq!(
            string_to_sign(&req, &proof, "/awsexamplebucket1/photos/puppy.jpg"),
            expected
        );
        assert_eq!(
            STANDARD.encode(sign(SECRET, expected)),
            "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="
        );
    }

    #[test]
    fn header_form_round_trip_with_sub_resources_and_amz_headers() {
        let date = "Tue, 27 Mar 2007 21:06:08 GMT";
        let string = "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:06:08 GMT\nx-amz-meta-a:b,c\nx-amz-security-token:tok\n/bucket/key?acl&versionId=3";
        let signature = STANDARD.encode(sign(SECRET, string));
        let auth = format!("AWS AKID:{signature}");
        let headers = [
            ("host", "127.0.0.1:4566"),
            ("date", date),
            ("content-type", "image/jpeg"),
            ("x-amz-meta-a", "b"),
            ("X-Amz-Meta-A", "c"),
            ("x-amz-security-token", "tok"),
            ("authorization", auth.as_str()),
        ];
        let req = request("PUT", "/bucket/key", "versionId=3&acl&foo=bar", &headers);
        let parsed = crate::parse(&req).unwrap().unwrap();
        assert_eq!(parsed.scheme, Scheme::V2S3Header);
        assert_eq!(parsed.security_token.as_deref(), Some("tok"));
        let now = now_near("Tue, 27 Mar 2007 21:10:00 GMT");
        let cache = crate::SigningKeyCache::new(4);
        assert!(crate::verify(&req, &parsed, SECRET, "", now, &cache).is_ok());
        assert_eq!(
            crate::verify(&req, &parsed, "wrong", "", now, &cache).err(),
            Some(SigError::SignatureDoesNotMatch)
        );
        let late = now_near("Tue, 27 Mar 2007 22:10:00 GMT");
        assert_eq!(
            crate::verify(&req, &parsed, SECRET, "", late, &cache).err(),
            Some(SigError::RequestTimeTooSkewed)
        );
    }

    #[test]
    fn presigned_form_with_token_in_the_query() {
        let string = "GET\n\n\n1175139620\nx-amz-security-token:tok en\n/bucket/key";
        let signature = STANDARD.encode(sign(SECRET, string));
        let query = format!(
            "AWSAccessKeyId=AKID&Expires=1175139620&x-amz-security-token=tok%20en&Signature={}",
            signature
                .replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        );
        let headers = [("host", "localhost:4566")];
        let req = request("GET", "/bucket/key", &query, &headers);
        let parsed = crate::parse(&req).unwrap().unwrap();
        assert_eq!(parsed.scheme, Scheme::V2S3Presigned);
        assert_eq!(parsed.security_token.as_deref(), Some("tok en"));
        let cache = crate::SigningKeyCache::new(4);
        let before: SystemTime = UNIX_EPOCH + Duration::from_secs(1_175_139_000);
        assert!(crate::verify(&req, &parsed, SECRET, "", before, &cache).is_ok());
        let after: SystemTime = UNIX_EPOCH + Duration::from_secs(1_175_139_621);
        assert_eq!(
            crate::verify(&req, &parsed, SECRET, "", after, &cache).err(),
            Some(SigError::Expired)
        );
    }

    #[test]
    fn malformed_forms_are_refused() {
        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[("authorization", "AWS nocolon")], ""),
            (&[("authorization", "AWS :sig")], ""),
            (&[("authorization", "AWS AKID:c2ln")], ""),
            (&[], "AWSAccessKeyId=AKID&Signature=c2ln"),
        ];
        for (headers, query) in cases {
            let req = request("GET", "/b/k", query, headers);
            assert!(crate::parse(&req).is_err(), "{headers:?} {query}");
        }
    }

    #[test]
    fn query_sigv2_is_not_this_dialect() {
        assert!(!looks_presigned(
            "AWSAccessKeyId=A&Signature=s&SignatureVersion=2"
        ));
        assert!(looks_presigned("AWSAccessKeyId=A&Signature=s&Expires=1"));
    }
}
