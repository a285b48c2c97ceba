//! S3's SigV2 dialect (`Authorization: AWS AKID:SIG`, presigned `AWSAccessKeyId`/`Signature`/
//! `Expires`) through `tessera_sigv::parse` and `verify`, two ways:
//!
//! 1. The input as a request (lines: method, raw path, raw query, then `name: value` headers):
//!    never a panic, every refusal an AWS error code, an `AWS ` header always read as S3 SigV2.
//! 2. The input as the parts of a request that this target signs itself, following AWS's
//!    documented string to sign (method, Content-MD5, Content-Type, Date or Expires, sorted
//!    `x-amz-*` headers, path and sorted sub-resources), in header and presigned form: it must
//!    verify, and it must stop verifying when one signed part (method, path, a sub-resource,
//!    an `x-amz-*` value, the date) changes.
#![no_main]
use std::time::{Duration, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use sha1::Sha1;
use tessera_sigv::{Request, Scheme, SigError, SigningKeyCache};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DATE: &str = "Fri, 21 Aug 2015 00:00:00 GMT";
const DATE_UNIX: u64 = 1_440_115_200;

fuzz_target!(|data: &[u8]| {
    arbitrary_request(data);
    signed_request(data);
});

fn header_pairs(lines: &str) -> Vec<(&str, &str)> {
    lines
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim(), v.trim()))
        .collect()
}

fn arbitrary_request(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.splitn(4, '\n');
    let method = lines.next().unwrap_or("GET");
    let path = lines.next().unwrap_or("/");
    let query = lines.next().unwrap_or("");
    let headers = header_pairs(lines.next().unwrap_or(""));
    let req = Request {
        method,
        path,
        query,
        headers: &headers,
        form_params: None,
    };
    let s3_header = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("authorization") && v.trim_start().starts_with("AWS ")
    });
    let now = UNIX_EPOCH + Duration::from_secs(DATE_UNIX);
    match tessera_sigv::parse(&req) {
        Ok(Some(parsed)) => {
            if s3_header {
                assert_eq!(parsed.scheme, Scheme::V2S3Header);
            }
            if matches!(parsed.scheme, Scheme::V2S3Header | Scheme::V2S3Presigned) {
                assert!(!parsed.access_key_id.is_empty());
                assert_eq!(parsed.service.as_deref(), Some("s3"));
            }
            let cache = SigningKeyCache::new(4);
            if let Err(e) =
                tessera_sigv::verify(&req, &parsed, SECRET, "UNSIGNED-PAYLOAD", now, &cache)
            {
                check_error(&e);
            }
        }
        Ok(None) => assert!(!s3_header),
        Err(e) => check_error(&e),
    }
}

fn check_error(e: &SigError) {
    let code = e.aws_code();
    assert!(
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{code}"
    );
    let _ = e.message();
}

/// Reads bytes from the input as small choices.
struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        self.0 = rest;
        first
    }
    /// A short string over `alphabet`.
    fn word(&mut self, alphabet: &[u8], max: usize) -> String {
        let len = usize::from(self.byte()) % (max + 1);
        (0..len)
            .map(|_| char::from(alphabet[usize::from(self.byte()) % alphabet.len()]))
            .collect()
    }
}

const UNRESERVED: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
const VALUE: &[u8] = b"abcXYZ019 -_.,;:/=+*!$'()";
const SUB_RESOURCES: [&str; 8] = [
    "acl",
    "tagging",
    "uploads",
    "versioning",
    "uploadId",
    "partNumber",
    "versionId",
    "cors",
];

/// A request this target knows how to sign.
#[derive(Clone)]
struct Signed {
    method: String,
    path: String,
    /// Sub-resources with optional values, sent in this (unsorted) order.
    subs: Vec<(String, Option<String>)>,
    content_type: String,
    content_md5: String,
    /// `x-amz-meta-*` headers, several values per name allowed.
    amz: Vec<(String, String)>,
}

impl Signed {
    fn from_choices(c: &mut Choices<'_>) -> Signed {
        let method = ["GET", "PUT", "POST", "DELETE", "HEAD"][usize::from(c.byte()) % 5].to_owned();
        let path = format!("/{}/{}", c.word(UNRESERVED, 12), c.word(UNRESERVED, 24));
        let mut subs = Vec::new();
        let mask = c.byte();
        for (i, name) in SUB_RESOURCES.iter().enumerate() {
            if mask & (1 << i) != 0 {
                let value = c.word(UNRESERVED, 8);
                subs.push(((*name).to_owned(), (!value.is_empty()).then_some(value)));
            }
        }
        let turn = usize::from(c.byte()) % subs.len().max(1);
        subs.rotate_left(turn);
        let content_type = c.word(b"abcdefghijklmnopqrstuvwxyz/+-.", 16);
        let content_md5 = c.word(b"ABCDEFabcdef0123456789+/=", 24);
        let amz = (0..usize::from(c.byte() % 4))
            .map(|_| {
                let name = format!("x-amz-meta-{}", c.word(b"abc", 2));
                let value = c.word(VALUE, 16).trim().to_owned();
                (name, value)
            })
            .collect();
        Signed {
            method,
            path,
            subs,
            content_type,
            content_md5,
            amz,
        }
    }

    /// AWS's S3 SigV2 string to sign, written from the S3 developer guide.
    fn string_to_sign(&self, date_line: &str) -> String {
        let mut amz: Vec<(String, Vec<String>)> = Vec::new();
        for (n, v) in &self.amz {
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            match amz.iter_mut().find(|(name, _)| name == n) {
                Some((_, values)) => values.push(v),
                None => amz.push((n.clone(), vec![v])),
            }
        }
        amz.sort();
        let mut subs = self.subs.clone();
        subs.sort();
        let mut s = format!(
            "{}\n{}\n{}\n{}\n",
            self.method, self.content_md5, self.content_type, date_line
        );
        for (n, values) in amz {
            s.push_str(&format!("{n}:{}\n", values.join(",")));
        }
        s.push_str(&self.path);
        for (i, (k, v)) in subs.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(k);
            if let Some(v) = v {
                s.push('=');
                s.push_str(v);
            }
        }
        s
    }

    fn query(&self) -> String {
        self.subs
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Verifies the header form with `sig` (base64) over the string to sign of `signed_as`.
    fn verify_header(&self, signature: &str) -> Result<(), SigError> {
        let auth = format!("AWS AKIDEXAMPLE:{signature}");
        let mut headers: Vec<(&str, &str)> = vec![
            ("host", "127.0.0.1:4566"),
            ("date", DATE),
            ("authorization", &auth),
        ];
        if !self.content_type.is_empty() {
            headers.push(("content-type", &self.content_type));
        }
        if !self.content_md5.is_empty() {
            headers.push(("content-md5", &self.content_md5));
        }
        headers.extend(self.amz.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let query = self.query();
        let req = Request {
            method: &self.method,
            path: &self.path,
            query: &query,
            headers: &headers,
            form_params: None,
        };
        let parsed = tessera_sigv::parse(&req)?.ok_or(SigError::SignatureDoesNotMatch)?;
        assert_eq!(parsed.scheme, Scheme::V2S3Header);
        assert_eq!(parsed.access_key_id, "AKIDEXAMPLE");
        let now = UNIX_EPOCH + Duration::from_secs(DATE_UNIX + 60);
        let cache = SigningKeyCache::new(4);
        tessera_sigv::verify(&req, &parsed, SECRET, "UNSIGNED-PAYLOAD", now, &cache).map(|_| ())
    }

    /// Verifies the presigned form (`Expires` one hour after `DATE`).
    fn verify_presigned(&self, signature: &str) -> Result<(), SigError> {
        let mut query = self.query();
        if !query.is_empty() {
            query.push('&');
        }
        let encoded: String = signature
            .bytes()
            .map(|b| match b {
                b'+' => "%2B".to_owned(),
                b'/' => "%2F".to_owned(),
                b'=' => "%3D".to_owned(),
                b => char::from(b).to_string(),
            })
            .collect();
        query.push_str(&format!(
            "AWSAccessKeyId=AKIDEXAMPLE&Expires={}&Signature={encoded}",
            DATE_UNIX + 3600
        ));
        let mut headers: Vec<(&str, &str)> = vec![("host", "127.0.0.1:4566")];
        if !self.content_type.is_empty() {
            headers.push(("content-type", &self.content_type));
        }
        if !self.content_md5.is_empty() {
            headers.push(("content-md5", &self.content_md5));
        }
        headers.extend(self.amz.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let req = Request {
            method: &self.method,
            path: &self.path,
            query: &query,
            headers: &headers,
            form_params: None,
        };
        let parsed = tessera_sigv::parse(&req)?.ok_or(SigError::SignatureDoesNotMatch)?;
        assert_eq!(parsed.scheme, Scheme::V2S3Presigned);
        let now = UNIX_EPOCH + Duration::from_secs(DATE_UNIX + 60);
        let cache = SigningKeyCache::new(4);
        tessera_sigv::verify(&req, &parsed, SECRET, "UNSIGNED-PAYLOAD", now, &cache).map(|_| ())
    }
}

fn sign(string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(SECRET.as_bytes())
        .unwrap_or_else(|_| panic!("HMAC takes any key length"));
    mac.update(string_to_sign.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

fn signed_request(data: &[u8]) {
    let mut c = Choices(data);
    let req = Signed::from_choices(&mut c);
    let expires = (DATE_UNIX + 3600).to_string();
    let header_sig = sign(&req.string_to_sign(DATE));
    let presigned_sig = sign(&req.string_to_sign(&expires));
    if let Err(e) = req.verify_header(&header_sig) {
        panic!(
            "a correctly signed header request failed: {e:?}\n{}",
            req.string_to_sign(DATE)
        );
    }
    if let Err(e) = req.verify_presigned(&presigned_sig) {
        panic!(
            "a correctly presigned request failed: {e:?}\n{}",
            req.string_to_sign(&expires)
        );
    }
    // The signature of another string to sign must not verify.
    let mut other = req.clone();
    match c.byte() % 4 {
        0 => {
            other.method = if req.method == "GET" {
                "PUT".into()
            } else {
                "GET".into()
            }
        }
        1 => other.path.push('x'),
        2 => other.subs.push(("acl".into(), Some("x".into()))),
        _ => other.amz.push(("x-amz-meta-tamper".into(), "1".into())),
    }
    let tampered = sign(&other.string_to_sign(DATE));
    assert!(
        matches!(
            req.verify_header(&tampered),
            Err(SigError::SignatureDoesNotMatch)
        ),
        "a signature over another request verified"
    );
    let wrong_date = sign(&req.string_to_sign("Fri, 21 Aug 2015 00:00:01 GMT"));
    assert!(matches!(
        req.verify_header(&wrong_date),
        Err(SigError::SignatureDoesNotMatch)
    ));
}
