//! STS through aws-sdk-rust: AssumeRole and GetSessionToken credentials used by the SDK against
//! IAM and STS, AWS's limits on them, expiry, tampering and revocation, each error as the SDK
//! reports it.

mod common;

use std::time::Duration;

use common::{error_code, Creds, ServerOptions, TestServer, ACCOUNT_ID};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

fn role_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:role/reader")
}

/// A user allowed to assume roles, and a role that may only read IAM users.
async fn user_and_role(server: &TestServer) -> Creds {
    let iam = server.iam();
    iam.create_user().user_name("bob").send().await.unwrap();
    iam.put_user_policy()
        .user_name("bob")
        .policy_name("assume")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:GetSessionToken"],"Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("bob")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    iam.create_role()
        .role_name("reader")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("reader")
        .policy_name("read")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    Creds::new(key.access_key_id, key.secret_access_key)
}

fn session(c: aws_sdk_sts::types::Credentials) -> Creds {
    Creds {
        access_key_id: c.access_key_id,
        secret_access_key: c.secret_access_key,
        session_token: Some(c.session_token),
    }
}

#[tokio::test]
async fn assume_role_credentials_act_as_the_role() {
    let server = TestServer::start();
    let bob = user_and_role(&server).await;
    let out = server
        .sts_with(&bob)
        .assume_role()
        .role_arn(role_arn())
        .role_session_name("sdk")
        .send()
        .await
        .unwrap();
    let user = out.assumed_role_user.unwrap();
    assert_eq!(
        user.arn,
        format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/reader/sdk")
    );
    let creds = session(out.credentials.unwrap());
    assert!(creds.access_key_id.starts_with("ASIA"));
    let me = server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn.as_deref(), Some(user.arn.as_str()));
    let got = server
        .iam_with(&creds)
        .get_user()
        .user_name("bob")
        .send()
        .await
        .unwrap();
    assert_eq!(got.user.unwrap().user_name, "bob");
    let err = server
        .iam_with(&creds)
        .list_users()
        .send()
        .await
        .expect_err("the role may only GetUser");
    assert_eq!(error_code(&err), "AccessDenied");
}

#[tokio::test]
async fn session_token_errors_as_the_sdk_sees_them() {
    let server = TestServer::start();
    let bob = user_and_role(&server).await;
    let creds = session(
        server
            .sts_with(&bob)
            .get_session_token()
            .send()
            .await
            .unwrap()
            .credentials
            .unwrap(),
    );
    // GetSessionToken credentials: no IAM without MFA.
    let err = server
        .iam_with(&creds)
        .get_user()
        .user_name("bob")
        .send()
        .await
        .expect_err("no IAM without MFA");
    assert_eq!(error_code(&err), "AccessDenied");
    // The key without its token, and with a truncated token.
    let mut without = creds.clone();
    without.session_token = None;
    let err = server
        .sts_with(&without)
        .get_caller_identity()
        .send()
        .await
        .expect_err("a key without its token is useless");
    assert_eq!(error_code(&err), "InvalidClientTokenId");
    let mut truncated = creds.clone();
    truncated.session_token = creds
        .session_token
        .as_ref()
        .map(|t| t[..t.len() / 2].to_owned());
    let err = server
        .sts_with(&truncated)
        .get_caller_identity()
        .send()
        .await
        .expect_err("a truncated token is refused");
    assert_eq!(error_code(&err), "InvalidClientTokenId");
}

#[tokio::test]
async fn short_sessions_expire() {
    let server = TestServer::start_with(ServerOptions {
        env: vec![("TESSERA_STS_MIN_DURATION_SECONDS".into(), "1".into())],
        ..ServerOptions::default()
    });
    let bob = user_and_role(&server).await;
    let creds = session(
        server
            .sts_with(&bob)
            .assume_role()
            .role_arn(role_arn())
            .role_session_name("short")
            .duration_seconds(2)
            .send()
            .await
            .unwrap()
            .credentials
            .unwrap(),
    );
    server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let err = server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .expect_err("expired");
    assert_eq!(error_code(&err), "ExpiredToken");
}

#[tokio::test]
async fn deleting_the_role_ends_its_sessions() {
    let server = TestServer::start();
    let bob = user_and_role(&server).await;
    let creds = session(
        server
            .sts_with(&bob)
            .assume_role()
            .role_arn(role_arn())
            .role_session_name("doomed")
            .send()
            .await
            .unwrap()
            .credentials
            .unwrap(),
    );
    let iam = server.iam();
    iam.delete_role_policy()
        .role_name("reader")
        .policy_name("read")
        .send()
        .await
        .unwrap();
    iam.delete_role().role_name("reader").send().await.unwrap();
    let err = server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .expect_err("the role is gone");
    assert_eq!(error_code(&err), "InvalidClientTokenId");
}
