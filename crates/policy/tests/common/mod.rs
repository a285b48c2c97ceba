//! Callers used across the evaluation tests, shaped like the AWS documentation's examples.
#![allow(dead_code)] // each test file uses a different subset

use tessera_policy::{PrincipalInfo, PrincipalKind};

pub const ACCOUNT: &str = "111122223333";
pub const OTHER: &str = "444455556666";

pub fn user(account: &str, name: &str) -> PrincipalInfo {
    PrincipalInfo {
        kind: PrincipalKind::User,
        arn: format!("arn:aws:iam::{account}:user/{name}"),
        account: account.to_owned(),
        userid: "AIDAEXAMPLEUSERID".to_owned(),
        username: Some(name.to_owned()),
        parent_arn: None,
        provider: None,
    }
}

pub fn role_session(account: &str, role: &str, session: &str) -> PrincipalInfo {
    PrincipalInfo {
        kind: PrincipalKind::AssumedRole,
        arn: format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
        account: account.to_owned(),
        userid: format!("AROAEXAMPLEROLEID:{session}"),
        username: None,
        parent_arn: Some(format!("arn:aws:iam::{account}:role/{role}")),
        provider: None,
    }
}

pub fn federated_user(account: &str, parent: &str, name: &str) -> PrincipalInfo {
    PrincipalInfo {
        kind: PrincipalKind::FederatedUser,
        arn: format!("arn:aws:sts::{account}:federated-user/{name}"),
        account: account.to_owned(),
        userid: format!("{account}:{name}"),
        username: None,
        parent_arn: Some(format!("arn:aws:iam::{account}:user/{parent}")),
        provider: None,
    }
}

pub fn root(account: &str) -> PrincipalInfo {
    PrincipalInfo {
        kind: PrincipalKind::Root,
        arn: format!("arn:aws:iam::{account}:root"),
        account: account.to_owned(),
        userid: account.to_owned(),
        username: None,
        parent_arn: None,
        provider: None,
    }
}

pub fn anonymous() -> PrincipalInfo {
    PrincipalInfo {
        kind: PrincipalKind::Anonymous,
        arn: String::new(),
        account: String::new(),
        userid: "anonymous".to_owned(),
        username: None,
        parent_arn: None,
        provider: None,
    }
}

pub fn web_identity(provider: &str) -> PrincipalInfo {
    PrincipalInfo {
        kind: PrincipalKind::WebIdentity,
        arn: String::new(),
        account: String::new(),
        userid: "web-identity-subject".to_owned(),
        username: None,
        parent_arn: None,
        provider: Some(provider.to_owned()),
    }
}

pub fn service(name: &str) -> PrincipalInfo {
    PrincipalInfo {
        kind: PrincipalKind::Service,
        arn: name.to_owned(),
        account: String::new(),
        userid: name.to_owned(),
        username: None,
        parent_arn: None,
        provider: None,
    }
}

/// An identity policy with one statement.
pub fn allow(action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}}}"#
    )
}

pub fn deny(action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Sid":"DenyIt","Effect":"Deny","Action":"{action}","Resource":"{resource}"}}}}"#
    )
}
