//! SigV2 (query protocol): `AWSAccessKeyId`, `SignatureVersion=2`, `SignatureMethod`, `Signature`
//! and `Timestamp` or `Expires`, carried in the query string or a form body.
//!
//! Owns: reading those parameters, SigV2's canonical query and string to sign, and its time rules.
//! Must never accept S3's different SigV2 dialect (`Authorization: AWS …`, presigned URLs without
//! `SignatureVersion`), which `v2s3.rs` owns.

use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::datetime::{parse_iso8601_extended, printable, too_skewed};
use crate::encode::{decode_component, encode_into, raw_pairs};
use crate::v4::hmac_sha256;
use crate::{ParsedAuth, Proof, Request, Scheme, SigError};

/// The parameter names that make a request a SigV2 request.
const MARKERS: [&str; 4] = [
    "AWSAccessKeyId",
    "Signature",
    "SignatureVersion",
    "SignatureMethod",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    HmacSha1,
    HmacSha256,
}

/// What a SigV2 signature commits to, beyond the method, host and path.
#[derive(Clone)]
pub(crate) struct V2Proof {
    method: Method,
    signature: Vec<u8>,
    /// The parameters except `Signature`, sorted and encoded: the last line of the string to sign.
    canonical_query: String,
    /// True when the request carries `Timestamp` (skew rule) rather than `Expires`.
    timestamped: bool,
}

/// All parameters of the request, query first then form body, decoded.
pub(crate) fn params(req: &Request<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = raw_pairs(req.query)
        .map(|(k, v)| (decode_component(k), decode_component(v)))
        .collect();
    if let Some(form) = req.form_params {
        out.extend(
            form.iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())),
        );
    }
    out
}

/// Whether the parameters carry a SigV2 signature (or a fragment of one).
pub(crate) fn looks_signed(params: &[(Vec<u8>, Vec<u8>)]) -> bool {
    params
        .iter()
        .any(|(k, _)| MARKERS.iter().any(|m| m.as_bytes() == k.as_slice()))
}

/// The single value of a SigV2 parameter; repeated ones are refused, as AWS does.
fn single<'p>(params: &'p [(Vec<u8>, Vec<u8>)], name: &str) -> Result<Option<&'p str>, SigError> {
    let mut found = params
        .iter()
        .filter(|(k, _)| k.as_slice() == name.as_bytes());
    let first = found.next();
    if found.next().is_some() {
        return Err(SigError::MalformedAuthorization(format!(
            "Parameter '{name}' appears more than once"
        )));
    }
    first
        .map(|(_, v)| {
            std::str::from_utf8(v).map_err(|_| {
                SigError::MalformedAuthorization(format!("Parameter '{name}' is not valid UTF-8"))
            })
        })
        .transpose()
}

pub(crate) fn parse(params: &[(Vec<u8>, Vec<u8>)]) -> Result<ParsedAuth, SigError> {
    let version = single(params, "SignatureVersion")?;
    match version {
        Some("2") => {}
        Some(other) => {
            return Err(SigError::UnsupportedAlgorithm(format!(
                "SigV{}",
                printable(other)
            )))
        }
        None => {
            return Err(SigError::IncompleteSignature(
                "Request requires the SignatureVersion parameter".into(),
            ))
        }
    }
    let (Some(access_key_id), Some(signature), Some(method)) = (
        single(params, "AWSAccessKeyId")?,
        single(params, "Signature")?,
        single(params, "SignatureMethod")?,
    ) else {
        return Err(SigError::IncompleteSignature(
            "SigV2 requests require AWSAccessKeyId, Signature and SignatureMethod".into(),
        ));
    };
    if access_key_id.is_empty() {
        return Err(SigError::IncompleteSignature(
            "AWSAccessKeyId must not be empty".into(),
        ));
    }
    let method = match method {
        "HmacSHA256" => Method::HmacSha256,
        "HmacSHA1" => Method::HmacSha1,
        other => return Err(SigError::UnsupportedAlgorithm(printable(other))),
    };
    let signature = STANDARD
        .decode(signature)
        .map_err(|_| SigError::MalformedAuthorization("Signature must be base64".into()))?;
    let (signed_at, expires_at) = match (single(params, "Timestamp")?, single(params, "Expires")?) {
        (Some(ts), None) => (Some(parse_iso8601_extended(ts, "Timestamp")?.into()), None),
        (None, Some(exp)) => (None, Some(parse_iso8601_extended(exp, "Expires")?.into())),
        (Some(_), Some(_)) => {
            return Err(SigError::MalformedAuthorization(
                "Parameters Timestamp and Expires are mutually exclusive".into(),
            ))
        }
        (None, None) => {
            return Err(SigError::IncompleteSignature(
                "Request requires a Timestamp or an Expires parameter".into(),
            ))
        }
    };
    let security_token = single(params, "SecurityToken")?.map(str::to_owned);
    Ok(ParsedAuth {
        scheme: Scheme::V2Query,
        access_key_id: access_key_id.to_owned(),
        region: None,
        service: None,
        security_token,
        signed_at,
        expires_at,
        proof: Proof::V2(V2Proof {
            method,
            signature,
            canonical_query: canonical_query(params),
            timestamped: signed_at.is_some(),
        }),
    })
}

/// Every parameter but `Signature`, sorted by the bytes of the (decoded) name then value, each
/// RFC 3986 encoded, joined with `&`.
fn canonical_query(params: &[(Vec<u8>, Vec<u8>)]) -> String {
    let mut sorted: Vec<&(Vec<u8>, Vec<u8>)> = params
        .iter()
        .filter(|(k, _)| k.as_slice() != b"Signature")
        .collect();
    sorted.sort_unstable();
    let mut out = String::new();
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, k, false);
        out.push('=');
        encode_into(&mut out, v, false);
    }
    out
}

/// `METHOD\nhost\npath\ncanonical-query`.
fn string_to_sign(method: &str, host: &str, path: &str, canonical_query: &str) -> String {
    let path = if path.is_empty() { "/" } else { path };
    format!("{method}\n{host}\n{path}\n{canonical_query}")
}

fn sign(method: Method, secret: &str, data: &str) -> Vec<u8> {
    match method {
        Method::HmacSha256 => hmac_sha256(secret.as_bytes(), data.as_bytes()).to_vec(),
        Method::HmacSha1 => match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
            Ok(mut mac) => {
                mac.update(data.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        },
    }
}

pub(crate) fn verify(
    req: &Request<'_>,
    auth: &ParsedAuth,
    proof: &V2Proof,
    secret_access_key: &str,
    now: SystemTime,
) -> Result<(), SigError> {
    if let Some(signed_at) = auth.signed_at.filter(|_| proof.timestamped) {
        if too_skewed(signed_at, now) {
            return Err(SigError::RequestTimeTooSkewed);
        }
    }
    if auth.expires_at.is_some_and(|end| now > end) {
        return Err(SigError::Expired);
    }
    let host = req
        .single_header("host")?
        .unwrap_or("")
        .to_ascii_lowercase();
    // Clients differ on whether an explicit default port is part of the signed host; the Host
    // header keeps what the client sent, so that is tried first and the bare host second.
    let without_default_port = host
        .strip_suffix(":80")
        .or_else(|| host.strip_suffix(":443"));
    let candidates = std::iter::once(host.as_str()).chain(without_default_port);
    let mut matched = false;
    for candidate in candidates {
        let sts = string_to_sign(req.method, candidate, req.path, &proof.canonical_query);
        matched |= bool::from(sign(proof.method, secret_access_key, &sts).ct_eq(&proof.signature));
    }
    if matched {
        Ok(())
    } else {
        Err(SigError::SignatureDoesNotMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn canonical_query_sorts_raw_bytes_and_drops_signature() {
        let params = p(&[
            ("b/", "x y"),
            ("Signature", "zzz"),
            ("b.", "~*"),
            ("A", ""),
            ("a", "ሴ"),
        ]);
        // '.' (0x2E) sorts before '/' (0x2F) on the raw bytes, although "%2F" < "." encoded.
        assert_eq!(
            canonical_query(&params),
            "A=&a=%E1%88%B4&b.=~%2A&b%2F=x%20y"
        );
    }

    #[test]
    fn parse_rejects_bad_shapes() {
        let base = [
            ("AWSAccessKeyId", "AKID"),
            ("SignatureVersion", "2"),
            ("SignatureMethod", "HmacSHA256"),
            ("Signature", "AAAA"),
            ("Timestamp", "2010-01-25T15:03:07Z"),
        ];
        assert!(parse(&p(&base)).is_ok());
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("SignatureVersion", "1")], "UnsupportedAlgorithm"),
            (vec![("SignatureMethod", "HmacMD5")], "UnsupportedAlgorithm"),
            (vec![("Signature", "not base64!")], "Malformed"),
            (vec![("Timestamp", "yesterday")], "InvalidDate"),
            (vec![("Expires", "2010-01-25T15:03:07Z")], "Malformed"),
            (vec![("AWSAccessKeyId", "")], "Incomplete"),
        ];
        for (overrides, want) in cases {
            let params: Vec<(&str, &str)> = base
                .iter()
                .map(|(k, v)| {
                    overrides
                        .iter()
                        .find(|(ok, _)| ok == k)
                        .map_or((*k, *v), |(ok, ov)| (*ok, *ov))
                })
                .chain(
                    overrides
                        .iter()
                        .filter(|(ok, _)| !base.iter().any(|(k, _)| k == ok))
                        .copied(),
                )
                .collect();
            let err = parse(&p(&params)).err().map(|e| format!("{e:?}"));
            assert!(
                err.as_deref().is_some_and(|e| e.starts_with(want)),
                "{overrides:?}: {err:?}"
            );
        }
        let mut doubled = p(&base);
        doubled.push((b"AWSAccessKeyId".to_vec(), b"OTHER".to_vec()));
        assert!(matches!(
            parse(&doubled),
            Err(SigError::MalformedAuthorization(_))
        ));
        let missing = p(&base[1..]);
        assert!(matches!(
            parse(&missing),
            Err(SigError::IncompleteSignature(_))
        ));
    }
}
