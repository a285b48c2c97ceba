//! Hand-built requests for what an SDK will not send: skewed clocks, presigned URLs, SigV2 query
//! signatures, tampered signatures, malformed bodies.
//!
//! SigV4 signing is delegated to the `aws-sigv4` crate (AWS's own implementation) so that these
//! tests check the server against AWS's canonicalisation, not against our reading of it. SigV2 has
//! no maintained Rust implementation, so it is written here from AWS's documented algorithm; it
//! must never share code with the server's verifier.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{Creds, REGION};

/// The form body of STS `GetCallerIdentity` in the Query protocol.
pub const GET_CALLER_IDENTITY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// RFC 3986 unreserved characters stay as they are; everything else is percent-encoded (upper-case
/// hex), which is what both SigV2 and the Query protocol expect.
const QUERY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_ENCODE).to_string()
}

/// An answer from the server, kept whole so assertions can show it.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub body: String,
}

impl RawResponse {
    /// The text of the first `<tag>…</tag>` in the body (good enough for AWS's flat XML errors and
    /// the few result fields the tests read).
    pub fn xml_value(&self, tag: &str) -> Option<String> {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        let start = self.body.find(&open)? + open.len();
        let len = self.body[start..].find(&close)?;
        Some(self.body[start..start + len].to_string())
    }

    /// The AWS error code of an error response.
    pub fn error_code(&self) -> Option<String> {
        self.xml_value("Code")
    }
}

/// A plain HTTP client bound to one server.
pub struct RawClient {
    endpoint: String,
    http: reqwest::Client,
}

impl RawClient {
    pub fn new(endpoint: &str) -> Self {
        RawClient {
            endpoint: endpoint.to_string(),
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("build reqwest client"),
        }
    }

    /// `http://127.0.0.1:PORT` + `path_and_query`.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{}", self.endpoint, path_and_query)
    }

    /// Sends one request as given, no signing added.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> RawResponse {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("valid HTTP method");
        let mut request = self.http.request(method, url);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to {url} failed: {e:?}"));
        let status = response.status().as_u16();
        let body = response.text().await.expect("read the response body");
        RawResponse { status, body }
    }

    pub async fn get(&self, url: &str) -> RawResponse {
        self.send("GET", url, &[], Vec::new()).await
    }

    /// A POST of a Query-protocol form to `/`, signed with SigV4 in the `Authorization` header for
    /// `service` at `time`.
    pub async fn post_sigv4(
        &self,
        creds: &Creds,
        service: &str,
        body: &[u8],
        time: SystemTime,
    ) -> RawResponse {
        let url = self.url("/");
        let mut headers = vec![("content-type".to_string(), FORM_CONTENT_TYPE.to_string())];
        headers.extend(sigv4_headers(
            "POST", &url, &headers, body, creds, service, time,
        ));
        self.send("POST", &url, &headers, body.to_vec()).await
    }

    /// A POST of a Query-protocol form with no authentication at all.
    pub async fn post_unsigned(&self, body: &[u8]) -> RawResponse {
        let headers = vec![("content-type".to_string(), FORM_CONTENT_TYPE.to_string())];
        self.send("POST", &self.url("/"), &headers, body.to_vec())
            .await
    }
}

fn identity(creds: &Creds) -> Identity {
    creds.to_sdk().into()
}

/// The headers (`authorization`, `x-amz-date`, `x-amz-security-token`, …) that `aws-sigv4` adds to
/// sign the request described by the arguments.
pub fn sigv4_headers(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    creds: &Creds,
    service: &str,
    time: SystemTime,
) -> Vec<(String, String)> {
    let scope = (service, REGION, SigningSettings::default());
    sign_headers(
        method,
        url,
        headers,
        SignableBody::Bytes(body),
        creds,
        scope,
        time,
    )
}

/// [`sigv4_headers`] for any `(service, region, settings)` scope and body kind.
pub fn sign_headers(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: SignableBody<'_>,
    creds: &Creds,
    (service, region, settings): (&str, &str, SigningSettings),
    time: SystemTime,
) -> Vec<(String, String)> {
    let identity = identity(creds);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .expect("signable request");
    let (instructions, _signature) = sign(signable, &params).expect("sign").into_parts();
    let (signed_headers, _params) = instructions.into_parts();
    signed_headers
        .into_iter()
        .map(|h| (h.name().to_string(), h.value().to_string()))
        .collect()
}

/// A SigV4 presigned GET URL for `url` (which carries the operation's query parameters), valid for
/// `expires_in` from `time`.
pub fn presign(
    url: &str,
    creds: &Creds,
    service: &str,
    time: SystemTime,
    expires_in: Duration,
) -> String {
    let scope = (service, REGION, SigningSettings::default());
    presign_with(
        url,
        creds,
        scope,
        SignableBody::Bytes(&[]),
        time,
        expires_in,
    )
}

/// [`presign`] for any `(service, region, settings)` scope and body kind.
pub fn presign_with(
    url: &str,
    creds: &Creds,
    (service, region, mut settings): (&str, &str, SigningSettings),
    body: SignableBody<'_>,
    time: SystemTime,
    expires_in: Duration,
) -> String {
    let identity = identity(creds);
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(expires_in);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    let signable =
        SignableRequest::new("GET", url, std::iter::empty(), body).expect("signable request");
    let (instructions, _signature) = sign(signable, &params).expect("presign").into_parts();
    let (_headers, query): (_, Vec<(&str, Cow<'static, str>)>) = instructions.into_parts();
    let mut out = url.to_string();
    for (name, value) in query {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(&encode(name));
        out.push('=');
        out.push_str(&encode(&value));
    }
    out
}

/// Sends `head` (request line and headers, ending in a blank line) and then `body` over a plain
/// TCP connection while another thread reads, the way curl does: a server that answers early (413
/// for a body over its limit) and closes is still heard. Returns the status line's code and the
/// whole response text; write errors after an early answer are expected and ignored.
pub fn send_over_tcp(host: &str, head: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("read timeout");
    let mut reader = stream.try_clone().expect("clone the stream");
    let read = std::thread::spawn(move || {
        let mut response = Vec::new();
        // A reset after the answer arrived is fine: keep what was read.
        let _ = reader.read_to_end(&mut response);
        String::from_utf8_lossy(&response).into_owned()
    });
    if stream.write_all(head.as_bytes()).is_ok() {
        for chunk in body.chunks(64 * 1024) {
            if stream.write_all(chunk).is_err() {
                break;
            }
        }
    }
    let response = read.join().expect("reader thread");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status line in {response:?}"));
    (status, response)
}

/// The two HMACs SigV2 allows.
#[derive(Clone, Copy, Debug)]
pub enum SigV2Method {
    HmacSha256,
    HmacSha1,
}

impl SigV2Method {
    fn name(self) -> &'static str {
        match self {
            SigV2Method::HmacSha256 => "HmacSHA256",
            SigV2Method::HmacSha1 => "HmacSHA1",
        }
    }

    fn mac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            SigV2Method::HmacSha256 => {
                let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            SigV2Method::HmacSha1 => {
                let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("any key length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }
}

/// ISO 8601 UTC timestamp as SigV2's `Timestamp` / `Expires` parameters use it.
pub fn iso8601(time: SystemTime) -> String {
    let t = time::OffsetDateTime::from(time);
    t.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .expect("format timestamp")
}

/// Builds a SigV2-signed query string: `params` plus `AWSAccessKeyId`, `SignatureVersion`,
/// `SignatureMethod` and (when given) `SecurityToken`, signed over
/// `METHOD\nhost\npath\ncanonical-query`, with `Signature` appended last.
pub fn sigv2_query(
    method: &str,
    host: &str,
    path: &str,
    params: &[(&str, &str)],
    creds: &Creds,
    signature_method: SigV2Method,
) -> String {
    let mut all: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    all.push(("AWSAccessKeyId".into(), creds.access_key_id.clone()));
    all.push(("SignatureVersion".into(), "2".into()));
    all.push(("SignatureMethod".into(), signature_method.name().into()));
    if let Some(token) = &creds.session_token {
        all.push(("SecurityToken".into(), token.clone()));
    }
    all.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let canonical = all
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let string_to_sign = format!(
        "{method}\n{}\n{path}\n{canonical}",
        host.to_ascii_lowercase()
    );
    let signature = base64::engine::general_purpose::STANDARD.encode(signature_method.mac(
        creds.secret_access_key.as_bytes(),
        string_to_sign.as_bytes(),
    ));
    format!("{canonical}&Signature={}", encode(&signature))
}
