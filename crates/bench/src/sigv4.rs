//! A small SigV4 header signer for the load generator: every request is signed afresh, so it must
//! cost little next to the server's own verification.
//!
//! It keeps the derived signing key of the current UTC day (the only HMAC chain that does not
//! change per request) and does exactly one SHA-256 of the canonical request and one HMAC per
//! signature. It never canonicalises paths or queries itself: callers pass them already in
//! canonical form (the workloads use `/` and an empty query), which keeps it fast and small.
//! Checked against AWS's own `aws-sigv4` crate in the tests below.

use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::time::SystemTime;
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

/// Long-term (`AKIA…`) or temporary (`ASIA…` plus a session token) credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    /// Never prints the secret or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("session_token", &self.session_token.is_some())
            .finish_non_exhaustive()
    }
}

/// What is signed. Header names must be lower case and include `host`; `x-amz-date` and
/// `x-amz-security-token` are added by the signer.
pub struct Signable<'a> {
    pub method: &'a str,
    /// Already URI-encoded the SigV4 way (e.g. `/`).
    pub canonical_uri: &'a str,
    /// Already sorted and encoded the SigV4 way (e.g. empty).
    pub canonical_query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the body (see [`payload_hash`]).
    pub payload_hash: &'a str,
}

/// The headers a signature adds to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub x_amz_date: String,
    pub x_amz_security_token: Option<String>,
    pub authorization: String,
}

/// Signs for one (credentials, region, service); safe to share between connections.
pub struct Signer {
    credentials: Credentials,
    region: String,
    service: String,
    /// `(yyyymmdd, key)` of the last day a request was signed on.
    day_key: Mutex<Option<([u8; 8], [u8; 32])>>,
}

impl Signer {
    pub fn new(credentials: Credentials, region: &str, service: &str) -> Self {
        Self {
            credentials,
            region: region.to_owned(),
            service: service.to_owned(),
            day_key: Mutex::new(None),
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Signs `req` as of `now`.
    pub fn sign(&self, req: &Signable<'_>, now: SystemTime) -> SignedHeaders {
        let stamp = amz_date(now);
        let x_amz_date = String::from_utf8_lossy(&stamp).into_owned();
        let mut day = [0u8; 8];
        day.copy_from_slice(&stamp[..8]);
        let day_str = &x_amz_date[..8];
        let token = self.credentials.session_token.as_deref();

        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(req.headers.len() + 2);
        headers.extend_from_slice(req.headers);
        headers.push(("x-amz-date", &x_amz_date));
        if let Some(t) = token {
            headers.push(("x-amz-security-token", t));
        }
        headers.sort_unstable_by(|a, b| a.0.cmp(b.0));

        let mut signed_names = String::with_capacity(64);
        let mut canonical = String::with_capacity(512);
        canonical.push_str(req.method);
        canonical.push('\n');
        canonical.push_str(req.canonical_uri);
        canonical.push('\n');
        canonical.push_str(req.canonical_query);
        canonical.push('\n');
        for (i, (name, value)) in headers.iter().enumerate() {
            canonical.push_str(name);
            canonical.push(':');
            canonical.push_str(value.trim());
            canonical.push('\n');
            if i > 0 {
                signed_names.push(';');
            }
            signed_names.push_str(name);
        }
        canonical.push('\n');
        canonical.push_str(&signed_names);
        canonical.push('\n');
        canonical.push_str(req.payload_hash);

        let scope = format!("{day_str}/{}/{}/aws4_request", self.region, self.service);
        let mut string_to_sign = String::with_capacity(160);
        string_to_sign.push_str("AWS4-HMAC-SHA256\n");
        string_to_sign.push_str(&x_amz_date);
        string_to_sign.push('\n');
        string_to_sign.push_str(&scope);
        string_to_sign.push('\n');
        string_to_sign.push_str(&hex::encode(Sha256::digest(canonical.as_bytes())));

        let key = self.signing_key(day, day_str);
        let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
        let mut authorization = String::with_capacity(200);
        // Writing to a String cannot fail.
        let _ = write!(
            authorization,
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_names}, Signature={signature}",
            self.credentials.access_key_id
        );
        SignedHeaders {
            x_amz_date,
            x_amz_security_token: token.map(str::to_owned),
            authorization,
        }
    }

    /// The day's signing key, derived once per day (four HMACs) and reused after.
    fn signing_key(&self, day: [u8; 8], day_str: &str) -> [u8; 32] {
        let mut cached = self.day_key.lock();
        if let Some((d, key)) = *cached {
            if d == day {
                return key;
            }
        }
        let secret = format!("AWS4{}", self.credentials.secret_access_key);
        let k_date = hmac(secret.as_bytes(), day_str.as_bytes());
        let k_region = hmac(&k_date, self.region.as_bytes());
        let k_service = hmac(&k_region, self.service.as_bytes());
        let key = hmac(&k_service, b"aws4_request");
        *cached = Some((day, key));
        key
    }
}

/// Hex SHA-256 of a request body, as the canonical request wants it.
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `YYYYMMDDTHHMMSSZ` in UTC.
fn amz_date(now: SystemTime) -> [u8; 16] {
    let t = OffsetDateTime::from(now);
    let mut out = *b"00000000T000000Z";
    put_digits(&mut out[0..4], u32::try_from(t.year()).unwrap_or(0));
    put_digits(&mut out[4..6], u32::from(u8::from(t.month())));
    put_digits(&mut out[6..8], u32::from(t.day()));
    put_digits(&mut out[9..11], u32::from(t.hour()));
    put_digits(&mut out[11..13], u32::from(t.minute()));
    put_digits(&mut out[13..15], u32::from(t.second()));
    out
}

fn put_digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4;
    use aws_smithy_runtime_api::client::identity::Identity;
    use std::time::Duration;

    const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
    const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

    /// The headers AWS's own signer adds for the same request.
    fn reference(
        creds: &Credentials,
        service: &str,
        host: &str,
        time: SystemTime,
    ) -> Vec<(String, String)> {
        let identity: Identity = aws_credential_types::Credentials::new(
            &creds.access_key_id,
            &creds.secret_access_key,
            creds.session_token.clone(),
            None,
            "test",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map(Into::into);
        let Ok(params) = params else {
            panic!("aws-sigv4 rejected the parameters")
        };
        let headers = [("host", host), ("content-type", CONTENT_TYPE)];
        let url = format!("http://{host}/");
        let Ok(signable) = SignableRequest::new(
            "POST",
            url.as_str(),
            headers.into_iter(),
            SignableBody::Bytes(BODY.as_bytes()),
        ) else {
            panic!("aws-sigv4 rejected the request")
        };
        let Ok(out) = sign(signable, &params) else {
            panic!("aws-sigv4 failed to sign")
        };
        let (instructions, _) = out.into_parts();
        instructions
            .headers()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn matches_aws_sigv4_for_long_term_and_session_credentials() {
        let long_term = Credentials {
            access_key_id: "AKIAROOTROOTROOT1234".into(),
            secret_access_key: "rootsecretrootsecretrootsecretrootsecre".into(),
            session_token: None,
        };
        let session = Credentials {
            access_key_id: "ASIAEXAMPLEEXAMPLE12".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: Some("FwoGZXIvYXdzEXAMPLE+token/value==".into()),
        };
        let cases = [
            (&long_term, "sts", 1_700_000_000u64),
            (&long_term, "iam", 1_700_000_000 + 86_400 * 3 + 7),
            (&session, "sts", 1_577_836_799),
            (&session, "sqs", 1_800_000_123),
        ];
        for (creds, service, secs) in cases {
            let time = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
            let host = "127.0.0.1:4566";
            let signer = Signer::new(creds.clone(), "us-east-1", service);
            let hash = payload_hash(BODY.as_bytes());
            let ours = signer.sign(
                &Signable {
                    method: "POST",
                    canonical_uri: "/",
                    canonical_query: "",
                    headers: &[("host", host), ("content-type", CONTENT_TYPE)],
                    payload_hash: &hash,
                },
                time,
            );
            let theirs = reference(creds, service, host, time);
            let get = |name: &str| {
                theirs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            assert_eq!(
                Some(ours.authorization),
                get("authorization"),
                "{service} {secs}"
            );
            assert_eq!(Some(ours.x_amz_date), get("x-amz-date"));
            assert_eq!(ours.x_amz_security_token, get("x-amz-security-token"));
        }
    }

    #[test]
    fn the_cached_day_key_is_replaced_when_the_day_changes() {
        let creds = Credentials {
            access_key_id: "AKIAROOTROOTROOT1234".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        };
        let signer = Signer::new(creds.clone(), "us-east-1", "sts");
        let hash = payload_hash(b"");
        let req = Signable {
            method: "POST",
            canonical_uri: "/",
            canonical_query: "",
            headers: &[("host", "h:1")],
            payload_hash: &hash,
        };
        let day1 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let day2 = day1 + Duration::from_secs(86_400);
        let _ = signer.sign(&req, day1);
        let second_day = signer.sign(&req, day2);
        let fresh = Signer::new(creds, "us-east-1", "sts").sign(&req, day2);
        assert_eq!(second_day, fresh);
    }

    #[test]
    fn amz_date_is_utc_and_zero_padded() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_005);
        assert_eq!(&amz_date(t), b"20010909T014645Z");
    }
}
