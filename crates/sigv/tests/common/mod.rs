//! Test helpers: signing requests with the official `aws-sigv4` signer, so that verification is
//! checked against what real AWS SDKs send rather than against our own signing code.

#![allow(dead_code)] // each test binary uses a different subset of these helpers

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use tessera_sigv::Request;

pub const AKID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// RFC 3986: everything but unreserved characters is encoded.
pub const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// What to sign. `path` and `query` are in wire form (already percent-encoded).
#[derive(Clone, Debug)]
pub struct Spec {
    pub method: String,
    pub host: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub service: String,
    pub region: String,
    pub time: SystemTime,
    pub token: Option<String>,
    pub presign_expires: Option<Duration>,
    /// Sign `UNSIGNED-PAYLOAD` instead of the body's hash.
    pub unsigned_payload: bool,
    /// Sign this literal payload hash (e.g. `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) instead.
    pub payload_literal: Option<String>,
}

impl Spec {
    pub fn new(service: &str, method: &str, time: SystemTime) -> Spec {
        Spec {
            method: method.to_owned(),
            host: format!("{service}.us-east-1.amazonaws.com"),
            path: "/".to_owned(),
            query: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
            service: service.to_owned(),
            region: "us-east-1".to_owned(),
            time,
            token: None,
            presign_expires: None,
            unsigned_payload: false,
            payload_literal: None,
        }
    }
}

/// A signed request as the server receives it.
#[derive(Clone, Debug)]
pub struct Signed {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body_sha256: String,
}

impl Signed {
    pub fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    pub fn request<'a>(&'a self, headers: &'a [(&'a str, &'a str)]) -> Request<'a> {
        Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers,
            form_params: None,
        }
    }
}

/// Signs `spec` with `aws-sigv4` using the settings the AWS SDKs use for its service.
pub fn sign_request(spec: &Spec) -> Signed {
    let creds = Credentials::new(AKID, SECRET, spec.token.clone(), None, "test");
    let identity: Identity = creds.into();
    let mut settings = SigningSettings::default();
    if spec.service == "s3" {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        if spec.presign_expires.is_none() {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
    }
    if let Some(expires) = spec.presign_expires {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&spec.region)
        .name(&spec.service)
        .time(spec.time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let mut headers = vec![("Host".to_owned(), spec.host.clone())];
    headers.extend(spec.headers.iter().cloned());
    let uri = if spec.query.is_empty() {
        format!("https://{}{}", spec.host, spec.path)
    } else {
        format!("https://{}{}?{}", spec.host, spec.path, spec.query)
    };
    let body = match spec.payload_literal.as_deref() {
        Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER") => SignableBody::StreamingUnsignedPayloadTrailer,
        Some(literal) => SignableBody::Precomputed(literal.to_owned()),
        None if spec.unsigned_payload
            || (spec.service == "s3" && spec.presign_expires.is_some()) =>
        {
            SignableBody::UnsignedPayload
        }
        None => SignableBody::Bytes(&spec.body),
    };
    let signable = SignableRequest::new(
        &spec.method,
        uri.as_str(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        body,
    )
    .unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
    let (new_headers, new_params) = instructions.into_parts();
    for header in new_headers {
        headers.push((header.name().to_owned(), header.value().to_owned()));
    }
    let mut query = spec.query.clone();
    for (name, value) in new_params {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&encode(name));
        query.push('=');
        query.push_str(&encode(&value));
    }
    Signed {
        method: spec.method.clone(),
        path: spec.path.clone(),
        query,
        headers,
        body_sha256: hex::encode(Sha256::digest(&spec.body)),
    }
}

/// 2015-08-30T12:36:00Z, the AWS test suite's time.
pub fn suite_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}
