//! Who is asking, and the `Principal`/`NotPrincipal` element that names who may ask.
//!
//! Owns: parsing principal blocks (with AWS's "Invalid principal" wording) and deciding how a
//! principal is named by a resource policy. Must never look anything up: whether a named user or
//! role exists is the IAM service's question.

use crate::error::PolicyError;
use crate::json::Json;

/// The kinds of callers AWS distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// The root user of an account.
    Root,
    /// An IAM user with long-term or GetSessionToken credentials.
    User,
    /// A role session (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`).
    AssumedRole,
    /// A GetFederationToken session (`arn:aws:sts::ACCOUNT:federated-user/NAME`).
    FederatedUser,
    /// A SAML or OIDC identity calling AssumeRoleWithSAML/AssumeRoleWithWebIdentity; `provider`
    /// names the identity provider.
    WebIdentity,
    /// An AWS service principal; `arn` holds its name (`sqs.amazonaws.com`).
    Service,
    /// An unsigned request.
    Anonymous,
}

impl PrincipalKind {
    /// The value of `aws:PrincipalType`.
    pub fn principal_type(self) -> &'static str {
        match self {
            PrincipalKind::Root => "Account",
            PrincipalKind::User => "User",
            PrincipalKind::AssumedRole => "AssumedRole",
            PrincipalKind::FederatedUser => "FederatedUser",
            PrincipalKind::WebIdentity => "WebIdentityUser",
            PrincipalKind::Service => "Service",
            PrincipalKind::Anonymous => "Anonymous",
        }
    }
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalInfo {
    pub kind: PrincipalKind,
    /// The caller's own ARN (user ARN, session ARN, `arn:aws:iam::ACCOUNT:root`; the service
    /// name for services; empty for anonymous callers).
    pub arn: String,
    /// The caller's 12-digit account (empty for anonymous callers and services).
    pub account: String,
    /// `aws:userid`, e.g. `AIDA…` or `AROA…:session`.
    pub userid: String,
    /// `aws:username`: set only for IAM users.
    pub username: Option<String>,
    /// The identity the session came from: the role ARN (with its path) of an assumed-role
    /// session, the IAM user ARN of a federated user.
    pub parent_arn: Option<String>,
    /// The identity provider of a [`PrincipalKind::WebIdentity`] caller (`accounts.google.com`,
    /// `arn:aws:iam::ACCOUNT:saml-provider/NAME`).
    pub provider: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AwsPrincipal {
    Account(String),
    Arn(String),
}

/// A compiled `Principal`/`NotPrincipal` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PrincipalSet {
    everyone: bool,
    aws: Vec<AwsPrincipal>,
    federated: Vec<String>,
    service: Vec<String>,
    canonical_user: Vec<String>,
}

/// How a resource policy named the caller. The order matters: a better grade is preferred and
/// decides which of AWS's same-account special cases applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grant {
    /// Named through its account (`123456789012`, `arn:aws:iam::123456789012:root`): AWS
    /// delegates to the account's identity policies, so this alone allows nothing in the same
    /// account.
    Account,
    /// Named through the identity the session came from (role ARN, or the IAM user behind a
    /// federated user): boundaries and session policies still limit it.
    Parent,
    /// `"*"`: treated like [`Grant::Parent`] for sessions and like [`Grant::Direct`] otherwise.
    Everyone,
    /// Named exactly (user ARN, session ARN, federated-user ARN, service, provider).
    Direct,
}

impl PrincipalSet {
    pub(crate) fn parse(value: &Json) -> Result<PrincipalSet, PolicyError> {
        let mut set = PrincipalSet::default();
        match value {
            Json::String(s) if s == "*" => set.everyone = true,
            Json::Object(members) if !members.is_empty() => {
                for (kind, values) in members {
                    for v in string_list(values)? {
                        set.add(kind, v)?;
                    }
                }
            }
            _ => return Err(PolicyError::syntax()),
        }
        Ok(set)
    }

    fn add(&mut self, kind: &str, value: &str) -> Result<(), PolicyError> {
        let invalid = || {
            PolicyError::owned(format!(
                "Invalid principal in policy: \"{kind}\":\"{value}\""
            ))
        };
        if value.is_empty() {
            return Err(invalid());
        }
        match kind {
            "AWS" if value == "*" => self.everyone = true,
            "AWS" => self.aws.push(parse_aws(value).ok_or_else(invalid)?),
            "Federated" if value.contains('*') => return Err(invalid()),
            "Federated" => self.federated.push(value.to_owned()),
            "Service" if value == "*" => self.everyone = true,
            "Service" if value.contains('*') => return Err(invalid()),
            "Service" => self.service.push(value.to_ascii_lowercase()),
            "CanonicalUser" => self.canonical_user.push(value.to_owned()),
            _ => return Err(PolicyError::syntax()),
        }
        Ok(())
    }

    /// The best grade under which this block names `p`, if any.
    pub(crate) fn grant_for(&self, p: &PrincipalInfo) -> Option<Grant> {
        let mut best = self.everyone.then_some(Grant::Everyone);
        let mut raise = |g: Grant| {
            if best.is_none_or(|b| b < g) {
                best = Some(g);
            }
        };
        match p.kind {
            PrincipalKind::Anonymous => {}
            PrincipalKind::Service => {
                if self.service.iter().any(|s| s.eq_ignore_ascii_case(&p.arn)) {
                    raise(Grant::Direct);
                }
            }
            PrincipalKind::WebIdentity => {
                if let Some(provider) = &p.provider {
                    if self.federated.iter().any(|f| f == provider) {
                        raise(Grant::Direct);
                    }
                }
            }
            _ => {
                for named in &self.aws {
                    match named {
                        AwsPrincipal::Account(a) if *a == p.account => raise(Grant::Account),
                        AwsPrincipal::Arn(arn) if *arn == p.arn => raise(Grant::Direct),
                        AwsPrincipal::Arn(arn) if p.parent_arn.as_deref() == Some(arn) => {
                            raise(Grant::Parent);
                        }
                        _ => {}
                    }
                }
            }
        }
        best
    }

    /// `NotPrincipal`: AWS excludes a caller only when every identity it acts as is listed — its
    /// own ARN, its parent's ARN and its account — hence its advice to list all of them.
    pub(crate) fn excludes(&self, p: &PrincipalInfo) -> bool {
        if self.everyone {
            return true;
        }
        let arn_listed = |arn: &str| {
            self.aws
                .iter()
                .any(|n| matches!(n, AwsPrincipal::Arn(a) if a == arn))
        };
        let account_listed = || {
            self.aws
                .iter()
                .any(|n| matches!(n, AwsPrincipal::Account(a) if *a == p.account))
        };
        match p.kind {
            PrincipalKind::Anonymous => false,
            PrincipalKind::Service => self.service.iter().any(|s| s.eq_ignore_ascii_case(&p.arn)),
            PrincipalKind::WebIdentity => p
                .provider
                .as_ref()
                .is_some_and(|provider| self.federated.contains(provider)),
            PrincipalKind::Root => account_listed(),
            _ => {
                arn_listed(&p.arn)
                    && p.parent_arn.as_deref().is_none_or(arn_listed)
                    && account_listed()
            }
        }
    }

    /// Every principal as written (`("AWS", "arn:…")`), for callers that check existence or
    /// refuse kinds (SQS refuses sessions).
    pub(crate) fn named(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.everyone {
            out.push(("AWS", "*".to_owned()));
        }
        for a in &self.aws {
            out.push((
                "AWS",
                match a {
                    AwsPrincipal::Account(id) => format!("arn:aws:iam::{id}:root"),
                    AwsPrincipal::Arn(arn) => arn.clone(),
                },
            ));
        }
        out.extend(self.federated.iter().map(|f| ("Federated", f.clone())));
        out.extend(self.service.iter().map(|s| ("Service", s.clone())));
        out.extend(
            self.canonical_user
                .iter()
                .map(|c| ("CanonicalUser", c.clone())),
        );
        out
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Account ids, account root ARNs and IAM/STS principal ARNs; AWS refuses partial wildcards.
fn parse_aws(value: &str) -> Option<AwsPrincipal> {
    if is_account_id(value) {
        return Some(AwsPrincipal::Account(value.to_owned()));
    }
    if value.contains('*') || value.contains('?') {
        return None;
    }
    let mut seg = value.splitn(6, ':');
    let (arn, _partition, service, region, account, resource) = (
        seg.next()?,
        seg.next()?,
        seg.next()?,
        seg.next()?,
        seg.next()?,
        seg.next()?,
    );
    if arn != "arn" || !region.is_empty() || !is_account_id(account) {
        return None;
    }
    let ok = match service {
        "iam" if resource == "root" => return Some(AwsPrincipal::Account(account.to_owned())),
        "iam" => resource.starts_with("user/") || resource.starts_with("role/"),
        "sts" => resource.starts_with("assumed-role/") || resource.starts_with("federated-user/"),
        _ => false,
    };
    ok.then(|| AwsPrincipal::Arn(value.to_owned()))
}

/// A string or an array of strings, as AWS allows for every list-valued element.
pub(crate) fn string_list(value: &Json) -> Result<Vec<&str>, PolicyError> {
    match value {
        Json::String(s) => Ok(vec![s.as_str()]),
        Json::Array(items) => items
            .iter()
            .map(|i| match i {
                Json::String(s) => Ok(s.as_str()),
                _ => Err(PolicyError::syntax()),
            })
            .collect(),
        _ => Err(PolicyError::syntax()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    pub(crate) fn principal(kind: PrincipalKind, arn: &str, parent: Option<&str>) -> PrincipalInfo {
        PrincipalInfo {
            kind,
            arn: arn.to_owned(),
            account: arn.split(':').nth(4).unwrap_or("").to_owned(),
            userid: "AIDAEXAMPLE".to_owned(),
            username: None,
            parent_arn: parent.map(str::to_owned),
            provider: None,
        }
    }

    fn set(text: &str) -> PrincipalSet {
        PrincipalSet::parse(&json::parse(text).unwrap()).unwrap()
    }

    #[test]
    fn grant_table() {
        let bob = principal(
            PrincipalKind::User,
            "arn:aws:iam::111122223333:user/bob",
            None,
        );
        let session = principal(
            PrincipalKind::AssumedRole,
            "arn:aws:sts::111122223333:assumed-role/admin/s1",
            Some("arn:aws:iam::111122223333:role/ops/admin"),
        );
        let cases = [
            (r#""*""#, &bob, Some(Grant::Everyone)),
            (r#"{"AWS":"111122223333"}"#, &bob, Some(Grant::Account)),
            (
                r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
                &bob,
                Some(Grant::Account),
            ),
            (r#"{"AWS":"444455556666"}"#, &bob, None),
            (
                r#"{"AWS":["111122223333","arn:aws:iam::111122223333:user/bob"]}"#,
                &bob,
                Some(Grant::Direct),
            ),
            (
                r#"{"AWS":"arn:aws:iam::111122223333:role/ops/admin"}"#,
                &session,
                Some(Grant::Parent),
            ),
            (
                r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/admin/s1"}"#,
                &session,
                Some(Grant::Direct),
            ),
            (
                r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/admin/s2"}"#,
                &session,
                None,
            ),
            (r#"{"Service":"sqs.amazonaws.com"}"#, &bob, None),
        ];
        for (text, who, want) in cases {
            assert_eq!(set(text).grant_for(who), want, "{text}");
        }
    }

    #[test]
    fn invalid_principals() {
        let cases = [
            (
                r#"{"AWS":"arn:aws:iam::111122223333:user/*"}"#,
                "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111122223333:user/*\"",
            ),
            (
                r#"{"AWS":"bob"}"#,
                "Invalid principal in policy: \"AWS\":\"bob\"",
            ),
            (
                r#"{"AWS":"arn:aws:s3:::bucket"}"#,
                "Invalid principal in policy: \"AWS\":\"arn:aws:s3:::bucket\"",
            ),
            (r#"{"Foo":"x"}"#, crate::error::SYNTAX),
            (r#"{}"#, crate::error::SYNTAX),
            (r#"{"AWS":1}"#, crate::error::SYNTAX),
        ];
        for (text, message) in cases {
            let err = PrincipalSet::parse(&json::parse(text).unwrap()).unwrap_err();
            assert_eq!(err.message(), message, "{text}");
        }
    }

    #[test]
    fn not_principal_needs_every_identity_listed() {
        let session = principal(
            PrincipalKind::AssumedRole,
            "arn:aws:sts::111122223333:assumed-role/admin/s1",
            Some("arn:aws:iam::111122223333:role/admin"),
        );
        let partial =
            set(r#"{"AWS":["arn:aws:sts::111122223333:assumed-role/admin/s1","111122223333"]}"#);
        let full = set(
            r#"{"AWS":["arn:aws:sts::111122223333:assumed-role/admin/s1","arn:aws:iam::111122223333:role/admin","111122223333"]}"#,
        );
        assert!(!partial.excludes(&session));
        assert!(full.excludes(&session));
    }
}
