//! Request authentication as AWS does it: SigV4 header and presigned query, SigV2 query, and the
//! exact error for each way a request can fail to authenticate. Hand-built requests are signed with
//! `aws-sigv4` (SigV4) or the harness's SigV2 signer; never with server code.

mod common;

use std::time::{Duration, SystemTime};

use aws_sdk_iam::types::StatusType;
use common::raw::{self, SigV2Method, GET_CALLER_IDENTITY};
use common::{error_code, error_status, Creds, TestServer, ACCOUNT_ID, ROOT_ACCESS_KEY_ID};

fn root_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:root")
}

async fn user_with_key(server: &TestServer, name: &str) -> Creds {
    let iam = server.iam();
    iam.create_user().user_name(name).send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    Creds::new(key.access_key_id, key.secret_access_key)
}

#[tokio::test]
async fn wrong_secret_is_signature_does_not_match() {
    let server = TestServer::start();
    let creds = Creds::new(
        ROOT_ACCESS_KEY_ID,
        "not-the-secret-not-the-secret-not-the-sec",
    );
    let err = server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .expect_err("wrong secret");
    assert_eq!(error_code(&err), "SignatureDoesNotMatch");
    assert_eq!(error_status(&err), Some(403));

    let err = server
        .iam_with(&creds)
        .list_users()
        .send()
        .await
        .expect_err("wrong secret on IAM");
    assert_eq!(error_code(&err), "SignatureDoesNotMatch");
}

#[tokio::test]
async fn unknown_key_is_invalid_client_token_id() {
    let server = TestServer::start();
    let creds = Creds::new("AKIAZZZZZZZZZZZZZZZZ", "whatever-secret");
    let err = server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .expect_err("unknown key");
    assert_eq!(error_code(&err), "InvalidClientTokenId");
    assert_eq!(error_status(&err), Some(403));
}

#[tokio::test]
async fn bogus_session_token_is_invalid_client_token_id() {
    let server = TestServer::start();
    let mut creds = server.root_creds();
    creds.session_token = Some("bm90LWEtcmVhbC10b2tlbg==".into());
    let err = server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .expect_err("a session token nobody issued");
    assert_eq!(error_code(&err), "InvalidClientTokenId");
    assert_eq!(error_status(&err), Some(403));
}

#[tokio::test]
async fn no_authentication_is_missing_authentication_token() {
    let server = TestServer::start();
    let raw = server.raw();
    let response = raw.post_unsigned(GET_CALLER_IDENTITY.as_bytes()).await;
    assert_eq!(response.status, 403, "{response:?}");
    assert_eq!(
        response.error_code().as_deref(),
        Some("MissingAuthenticationToken"),
        "{response:?}"
    );

    let response = raw
        .post_unsigned(b"Action=ListUsers&Version=2010-05-08")
        .await;
    assert_eq!(response.status, 403, "{response:?}");
    assert_eq!(
        response.error_code().as_deref(),
        Some("MissingAuthenticationToken")
    );

    let response = raw
        .get(&raw.url("/?Action=GetCallerIdentity&Version=2011-06-15"))
        .await;
    assert_eq!(
        response.error_code().as_deref(),
        Some("MissingAuthenticationToken"),
        "{response:?}"
    );
}

#[tokio::test]
async fn iam_user_without_policies_is_denied() {
    let server = TestServer::start();
    let creds = user_with_key(&server, "intern").await;
    let err = server
        .iam_with(&creds)
        .list_users()
        .send()
        .await
        .expect_err("a user without an identity policy is denied");
    assert_eq!(error_code(&err), "AccessDenied");
    assert_eq!(error_status(&err), Some(403));

    // GetCallerIdentity needs no permission.
    let me = server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity is always allowed");
    assert_eq!(
        me.arn.as_deref(),
        Some(format!("arn:aws:iam::{ACCOUNT_ID}:user/intern").as_str())
    );
}

#[tokio::test]
async fn inactive_key_is_rejected_and_reactivated_key_works() {
    let server = TestServer::start();
    let creds = user_with_key(&server, "sleeper").await;
    let iam = server.iam();
    iam.update_access_key()
        .user_name("sleeper")
        .access_key_id(&creds.access_key_id)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let err = server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .expect_err("inactive key");
    assert_eq!(error_code(&err), "InvalidClientTokenId");
    assert_eq!(error_status(&err), Some(403));

    iam.update_access_key()
        .user_name("sleeper")
        .access_key_id(&creds.access_key_id)
        .status(StatusType::Active)
        .send()
        .await
        .unwrap();
    server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .expect("reactivated key works again");
}

#[tokio::test]
async fn deleted_key_is_rejected_at_once() {
    let server = TestServer::start();
    let creds = user_with_key(&server, "leaver").await;
    let sts = server.sts_with(&creds);
    // Use it first, so any cache of the key is warm.
    sts.get_caller_identity().send().await.unwrap();
    server
        .iam()
        .delete_access_key()
        .user_name("leaver")
        .access_key_id(&creds.access_key_id)
        .send()
        .await
        .unwrap();
    let err = sts
        .get_caller_identity()
        .send()
        .await
        .expect_err("deleted key must stop working immediately");
    assert_eq!(error_code(&err), "InvalidClientTokenId");
}

#[tokio::test]
async fn clock_skew_beyond_fifteen_minutes_is_request_expired() {
    let server = TestServer::start();
    let raw = server.raw();
    let creds = server.root_creds();
    let now = SystemTime::now();

    let fresh = raw
        .post_sigv4(&creds, "sts", GET_CALLER_IDENTITY.as_bytes(), now)
        .await;
    assert_eq!(fresh.status, 200, "{fresh:?}");
    assert_eq!(fresh.xml_value("Arn"), Some(root_arn()));

    let ten_minutes_ago = raw
        .post_sigv4(
            &creds,
            "sts",
            GET_CALLER_IDENTITY.as_bytes(),
            now - Duration::from_secs(10 * 60),
        )
        .await;
    assert_eq!(ten_minutes_ago.status, 200, "within the 15-minute window");

    let stale = raw
        .post_sigv4(
            &creds,
            "sts",
            GET_CALLER_IDENTITY.as_bytes(),
            now - Duration::from_secs(20 * 60),
        )
        .await;
    assert_eq!(
        stale.error_code().as_deref(),
        Some("RequestExpired"),
        "{stale:?}"
    );
    assert_eq!(stale.status, 400, "{stale:?}");
}

#[tokio::test]
async fn sigv4_header_on_a_get_with_query() {
    let server = TestServer::start();
    let raw = server.raw();
    let creds = server.root_creds();
    // Parameters in the query, in an order that is not the canonical one.
    let url = raw.url("/?Version=2011-06-15&Action=GetCallerIdentity");
    let headers = raw::sigv4_headers("GET", &url, &[], b"", &creds, "sts", SystemTime::now());
    let response = raw.send("GET", &url, &headers, Vec::new()).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.xml_value("Arn"), Some(root_arn()));
}

#[tokio::test]
async fn body_changed_after_signing_is_signature_does_not_match() {
    let server = TestServer::start();
    let raw = server.raw();
    let creds = server.root_creds();
    let url = raw.url("/");
    let mut headers = vec![(
        "content-type".to_string(),
        raw::FORM_CONTENT_TYPE.to_string(),
    )];
    headers.extend(raw::sigv4_headers(
        "POST",
        &url,
        &headers,
        GET_CALLER_IDENTITY.as_bytes(),
        &creds,
        "sts",
        SystemTime::now(),
    ));
    let response = raw
        .send(
            "POST",
            &url,
            &headers,
            b"Action=ListUsers&Version=2010-05-08".to_vec(),
        )
        .await;
    assert_eq!(
        response.error_code().as_deref(),
        Some("SignatureDoesNotMatch"),
        "{response:?}"
    );
    assert_eq!(response.status, 403);
}

/// Structurally broken SigV4 `Authorization` headers are `IncompleteSignature` (400) in AWS; where
/// AWS's answer depends on its endpoint (a scope naming an unknown service), any 4xx AWS error is
/// accepted.
#[tokio::test]
async fn malformed_authorization_headers_are_client_errors() {
    let server = TestServer::start();
    let raw = server.raw();
    let cases: [(&str, Option<&str>); 8] = [
        ("AWS4-HMAC-SHA256", Some("IncompleteSignature")),
        ("AWS4-HMAC-SHA256 Credential=", Some("IncompleteSignature")),
        (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/sts/aws4_request",
            Some("IncompleteSignature"),
        ),
        // "Credential must have exactly 5 slash-delimited elements".
        (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE, SignedHeaders=host, Signature=00",
            Some("IncompleteSignature"),
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x/y/z/aws4_request, SignedHeaders=host;x-amz-date, Signature=zz",
            None,
        ),
        (
            "AWS4-HMAC-SHA512 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00",
            Some("IncompleteSignature"),
        ),
        ("Bearer abc", None),
        ("\u{00e9}\u{00e9}", None),
    ];
    let mut failures = Vec::new();
    for (header, expected) in cases {
        let headers = vec![
            (
                "content-type".to_string(),
                raw::FORM_CONTENT_TYPE.to_string(),
            ),
            ("x-amz-date".to_string(), "20260101T000000Z".to_string()),
            ("authorization".to_string(), header.to_string()),
        ];
        let response = raw
            .send(
                "POST",
                &raw.url("/"),
                &headers,
                GET_CALLER_IDENTITY.as_bytes().to_vec(),
            )
            .await;
        let code = response.error_code().unwrap_or_default();
        let ok = match expected {
            Some(expected) => code == expected && response.status == 400,
            None => (400..500).contains(&response.status) && !code.is_empty(),
        };
        if !ok {
            failures.push(format!(
                "Authorization {header:?}: expected {}, got {} {code}",
                expected.unwrap_or("a 4xx AWS error"),
                response.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn presigned_get_caller_identity() {
    let server = TestServer::start();
    let raw = server.raw();
    let creds = server.root_creds();
    let url = raw::presign(
        &raw.url("/?Action=GetCallerIdentity&Version=2011-06-15"),
        &creds,
        "sts",
        SystemTime::now(),
        Duration::from_secs(900),
    );
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let response = raw.get(&url).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.xml_value("Arn"), Some(root_arn()));
    assert_eq!(response.xml_value("Account").as_deref(), Some(ACCOUNT_ID));

    // The same URL with one character of the signature changed.
    let tampered = match url.strip_suffix('0') {
        Some(prefix) => format!("{prefix}1"),
        None => format!("{}0", &url[..url.len() - 1]),
    };
    let response = raw.get(&tampered).await;
    assert_eq!(
        response.error_code().as_deref(),
        Some("SignatureDoesNotMatch"),
        "{response:?}"
    );
}

#[tokio::test]
async fn expired_presigned_url_is_rejected() {
    let server = TestServer::start();
    let raw = server.raw();
    let creds = server.root_creds();
    let url = raw::presign(
        &raw.url("/?Action=GetCallerIdentity&Version=2011-06-15"),
        &creds,
        "sts",
        SystemTime::now() - Duration::from_secs(2 * 3600),
        Duration::from_secs(3600),
    );
    let response = raw.get(&url).await;
    assert_eq!(
        response.error_code().as_deref(),
        Some("RequestExpired"),
        "{response:?}"
    );
    assert_eq!(response.status, 400, "{response:?}");
}

#[tokio::test]
async fn presigned_expiry_beyond_seven_days_is_rejected() {
    let server = TestServer::start();
    let raw = server.raw();
    let url = raw::presign(
        &raw.url("/?Action=GetCallerIdentity&Version=2011-06-15"),
        &server.root_creds(),
        "sts",
        SystemTime::now(),
        Duration::from_secs(604_801),
    );
    let response = raw.get(&url).await;
    assert!(
        (400..500).contains(&response.status),
        "X-Amz-Expires above 604800 must be refused: {response:?}"
    );
}

#[tokio::test]
async fn sigv2_query_requests() {
    let server = TestServer::start();
    let raw = server.raw();
    let creds = server.root_creds();
    let timestamp = raw::iso8601(SystemTime::now());
    for method in [SigV2Method::HmacSha256, SigV2Method::HmacSha1] {
        let query = raw::sigv2_query(
            "GET",
            server.host(),
            "/",
            &[
                ("Action", "GetCallerIdentity"),
                ("Version", "2011-06-15"),
                ("Timestamp", &timestamp),
            ],
            &creds,
            method,
        );
        let response = raw.get(&raw.url(&format!("/?{query}"))).await;
        assert_eq!(response.status, 200, "{method:?}: {response:?}");
        assert_eq!(response.xml_value("Arn"), Some(root_arn()), "{method:?}");

        // Tampered: a parameter changed after signing.
        let tampered = query.replace("Version=2011-06-15", "Version=2011-06-16");
        let response = raw.get(&raw.url(&format!("/?{tampered}"))).await;
        assert_eq!(
            response.error_code().as_deref(),
            Some("SignatureDoesNotMatch"),
            "{method:?} tampered: {response:?}"
        );
        assert_eq!(response.status, 403);
    }

    // SigV2 reaches IAM too (the action decides the service: there is no credential scope).
    let query = raw::sigv2_query(
        "GET",
        server.host(),
        "/",
        &[
            ("Action", "ListUsers"),
            ("Version", "2010-05-08"),
            ("Timestamp", &timestamp),
        ],
        &creds,
        SigV2Method::HmacSha256,
    );
    let response = raw.get(&raw.url(&format!("/?{query}"))).await;
    assert_eq!(response.status, 200, "SigV2 ListUsers: {response:?}");
    assert!(response.body.contains("ListUsersResult"), "{response:?}");

    // POSTed as a form, the same signature scheme applies with method POST.
    let body = raw::sigv2_query(
        "POST",
        server.host(),
        "/",
        &[
            ("Action", "GetCallerIdentity"),
            ("Version", "2011-06-15"),
            ("Timestamp", &timestamp),
        ],
        &creds,
        SigV2Method::HmacSha256,
    );
    let headers = vec![(
        "content-type".to_string(),
        raw::FORM_CONTENT_TYPE.to_string(),
    )];
    let response = raw
        .send("POST", &raw.url("/"), &headers, body.into_bytes())
        .await;
    assert_eq!(response.status, 200, "SigV2 POST: {response:?}");
}

#[tokio::test]
async fn sigv2_stale_timestamp_and_past_expires_are_request_expired() {
    let server = TestServer::start();
    let raw = server.raw();
    let creds = server.root_creds();
    let stale = raw::iso8601(SystemTime::now() - Duration::from_secs(20 * 60));
    let past = raw::iso8601(SystemTime::now() - Duration::from_secs(60));
    let future = raw::iso8601(SystemTime::now() + Duration::from_secs(5 * 60));
    for (what, param, value, expect_ok) in [
        (
            "Timestamp 20 minutes old",
            "Timestamp",
            stale.as_str(),
            false,
        ),
        ("Expires in the past", "Expires", past.as_str(), false),
        ("Expires in the future", "Expires", future.as_str(), true),
    ] {
        let query = raw::sigv2_query(
            "GET",
            server.host(),
            "/",
            &[
                ("Action", "GetCallerIdentity"),
                ("Version", "2011-06-15"),
                (param, value),
            ],
            &creds,
            SigV2Method::HmacSha256,
        );
        let response = raw.get(&raw.url(&format!("/?{query}"))).await;
        if expect_ok {
            assert_eq!(response.status, 200, "{what}: {response:?}");
        } else {
            assert_eq!(
                response.error_code().as_deref(),
                Some("RequestExpired"),
                "{what}: {response:?}"
            );
            assert_eq!(response.status, 400, "{what}: {response:?}");
        }
    }
}

#[tokio::test]
async fn unknown_action_is_invalid_action() {
    let server = TestServer::start();
    let raw = server.raw();
    let creds = server.root_creds();
    for (service, body) in [
        ("sts", "Action=GetFreeMoney&Version=2011-06-15"),
        ("iam", "Action=DeleteEverything&Version=2010-05-08"),
    ] {
        let response = raw
            .post_sigv4(&creds, service, body.as_bytes(), SystemTime::now())
            .await;
        assert_eq!(
            response.error_code().as_deref(),
            Some("InvalidAction"),
            "{service}: {response:?}"
        );
        assert_eq!(response.status, 400, "{service}: {response:?}");
    }
}

#[tokio::test]
async fn invalid_utf8_bodies_are_bad_requests() {
    let server = TestServer::start();
    let raw = server.raw();
    let creds = server.root_creds();
    let bodies: [&[u8]; 3] = [
        b"Action=GetCallerIdentity&Version=2011-06-15&Junk=\xff\xfe",
        b"Action=GetCallerIdentity&Version=2011-06-15&Junk=%FF%FE",
        b"\xc3\x28=\xa0\xa1",
    ];
    for body in bodies {
        let response = raw.post_sigv4(&creds, "sts", body, SystemTime::now()).await;
        assert_eq!(response.status, 400, "body {body:?}: {response:?}");
        assert!(
            response.error_code().is_some(),
            "an AWS error envelope: {response:?}"
        );
    }
    // A user name that is not valid UTF-8 once decoded.
    let response = raw
        .post_sigv4(
            &creds,
            "iam",
            b"Action=CreateUser&Version=2010-05-08&UserName=%C3%28",
            SystemTime::now(),
        )
        .await;
    assert_eq!(response.status, 400, "{response:?}");
}

#[tokio::test]
async fn oversized_body_is_rejected_without_a_server_error() {
    let server = TestServer::start();
    let creds = server.root_creds();
    let mut body = GET_CALLER_IDENTITY.as_bytes().to_vec();
    body.extend_from_slice(b"&Padding=");
    body.resize(8 * 1024 * 1024, b'a');
    let url = server.raw().url("/");
    let content_type = (
        "content-type".to_string(),
        raw::FORM_CONTENT_TYPE.to_string(),
    );
    let signed = raw::sigv4_headers(
        "POST",
        &url,
        std::slice::from_ref(&content_type),
        &body,
        &creds,
        "sts",
        SystemTime::now(),
    );
    let mut head = format!(
        "POST / HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\n{}: {}\r\n",
        server.host(),
        body.len(),
        content_type.0,
        content_type.1
    );
    for (name, value) in &signed {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("connection: close\r\n\r\n");
    let host = server.host().to_string();
    let (status, response) =
        tokio::task::spawn_blocking(move || raw::send_over_tcp(&host, &head, &body))
            .await
            .expect("send");
    assert!(
        status == 413 || (status == 400 && response.contains("<Code>")),
        "an 8 MiB Query body: expected 413 or a 400 AWS error, got {}",
        &response[..response.len().min(600)]
    );

    // And the server is still fine.
    let response = server
        .raw()
        .post_sigv4(
            &creds,
            "sts",
            GET_CALLER_IDENTITY.as_bytes(),
            SystemTime::now(),
        )
        .await;
    assert_eq!(response.status, 200, "{response:?}");
}

#[tokio::test]
async fn missing_action_is_missing_action() {
    let server = TestServer::start();
    let raw = server.raw();
    let creds = server.root_creds();
    for (service, body) in [("sts", "Version=2011-06-15"), ("iam", "Version=2010-05-08")] {
        let response = raw
            .post_sigv4(&creds, service, body.as_bytes(), SystemTime::now())
            .await;
        assert_eq!(
            response.error_code().as_deref(),
            Some("MissingAction"),
            "{service}: {response:?}"
        );
        assert_eq!(response.status, 400, "{service}: {response:?}");
    }
}

#[tokio::test]
async fn health_and_requests_for_no_known_service() {
    let server = TestServer::start();
    let raw = server.raw();
    let response = raw.get(&raw.url("/_tessera/health")).await;
    assert_eq!(response.status, 200);
    // An empty unsigned POST names no action and carries no credentials: whatever the answer, it
    // is an AWS error envelope and never an internal server error.
    let response = raw.post_unsigned(b"").await;
    assert_ne!(response.status, 500, "empty POST: {response:?}");
    assert!(response.error_code().is_some(), "empty POST: {response:?}");
    let response = raw.get(&raw.url("/_tessera/health")).await;
    assert_eq!(response.status, 200);
}
