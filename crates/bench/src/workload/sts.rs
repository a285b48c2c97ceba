//! STS workloads: who-am-I with long-term or session credentials, and AssumeRole as an IAM user.

use super::{
    not_set_up, request_loop, required_field, setup_call, status_only, unique_suffix, BoxFuture,
    SignedQuery, Target, Workload,
};
use crate::error::BenchError;
use crate::runner::Lane;
use crate::sigv4::Credentials;

const STS_VERSION: &str = "2011-06-15";
const IAM_VERSION: &str = "2010-05-08";

/// `sts-get-caller-identity` (command-line credentials) and `sts-get-caller-identity-session`
/// (session credentials that set-up obtains from `GetSessionToken`, so every request also pays
/// for unsealing the session token).
pub struct GetCallerIdentity {
    session: bool,
    query: Option<SignedQuery>,
}

impl GetCallerIdentity {
    pub fn long_term() -> Self {
        Self {
            session: false,
            query: None,
        }
    }

    pub fn session() -> Self {
        Self {
            session: true,
            query: None,
        }
    }
}

impl Workload for GetCallerIdentity {
    fn name(&self) -> &'static str {
        if self.session {
            "sts-get-caller-identity-session"
        } else {
            "sts-get-caller-identity"
        }
    }

    fn setup<'a>(&'a mut self, target: &'a Target) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let base = target.credentials(self.name())?;
            let creds = if self.session {
                let action = "GetSessionToken";
                let xml = setup_call(
                    target,
                    base,
                    "sts",
                    &[("Action", action), ("Version", STS_VERSION)],
                )
                .await?;
                credentials_in(&xml, action)?
            } else {
                base.clone()
            };
            self.query = Some(SignedQuery::new(
                target,
                creds,
                "sts",
                &[("Action", "GetCallerIdentity"), ("Version", STS_VERSION)],
            ));
            Ok(())
        })
    }

    fn drive<'a>(&'a self, lane: &'a mut Lane) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let query = self.query.as_ref().ok_or(not_set_up(self.name()))?;
            request_loop(lane, || query.request(), status_only).await
        })
    }
}

/// `sts-assume-role`: set-up (as the command-line principal, normally root) creates a user with an
/// access key and an inline policy allowing `sts:AssumeRole`, and a role whose trust policy allows
/// the account; the load is `AssumeRole` signed as that user: authentication, two policy
/// evaluations (identity and trust), a store read of the role and a sealed session token.
#[derive(Default)]
pub struct AssumeRole {
    query: Option<SignedQuery>,
}

impl Workload for AssumeRole {
    fn name(&self) -> &'static str {
        "sts-assume-role"
    }

    fn setup<'a>(&'a mut self, target: &'a Target) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let root = target.credentials(self.name())?;
            let suffix = unique_suffix();
            let user = format!("bench-assumer-{suffix}");
            let role = format!("bench-role-{suffix}");

            let who = setup_call(
                target,
                root,
                "sts",
                &[("Action", "GetCallerIdentity"), ("Version", STS_VERSION)],
            )
            .await?;
            let account = required_field(&who, "GetCallerIdentity", "Account")?;

            let iam = |params: Vec<(&'a str, String)>| async move {
                let pairs: Vec<(&str, &str)> =
                    params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                setup_call(target, root, "iam", &pairs).await
            };
            iam(vec![
                ("Action", "CreateUser".into()),
                ("Version", IAM_VERSION.into()),
                ("UserName", user.clone()),
            ])
            .await?;
            iam(vec![
                ("Action", "PutUserPolicy".into()),
                ("Version", IAM_VERSION.into()),
                ("UserName", user.clone()),
                ("PolicyName", "bench-assume-role".into()),
                (
                    "PolicyDocument",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#.into(),
                ),
            ])
            .await?;
            let trust = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
            );
            let created = iam(vec![
                ("Action", "CreateRole".into()),
                ("Version", IAM_VERSION.into()),
                ("RoleName", role),
                ("AssumeRolePolicyDocument", trust),
            ])
            .await?;
            let role_arn = required_field(&created, "CreateRole", "Arn")?;
            let key = iam(vec![
                ("Action", "CreateAccessKey".into()),
                ("Version", IAM_VERSION.into()),
                ("UserName", user),
            ])
            .await?;
            let user_creds = credentials_in(&key, "CreateAccessKey")?;

            self.query = Some(SignedQuery::new(
                target,
                user_creds,
                "sts",
                &[
                    ("Action", "AssumeRole"),
                    ("Version", STS_VERSION),
                    ("RoleArn", &role_arn),
                    ("RoleSessionName", "tessera-bench"),
                ],
            ));
            Ok(())
        })
    }

    fn drive<'a>(&'a self, lane: &'a mut Lane) -> BoxFuture<'a, Result<(), BenchError>> {
        Box::pin(async move {
            let query = self.query.as_ref().ok_or(not_set_up(self.name()))?;
            request_loop(lane, || query.request(), status_only).await
        })
    }
}

/// The key pair (and token, when there is one) in a `CreateAccessKey` or STS response.
pub(super) fn credentials_in(xml: &str, action: &str) -> Result<Credentials, BenchError> {
    Ok(Credentials {
        access_key_id: required_field(xml, action, "AccessKeyId")?,
        secret_access_key: required_field(xml, action, "SecretAccessKey")?,
        session_token: crate::query::xml_text(xml, "SessionToken"),
    })
}
