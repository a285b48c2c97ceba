//! Who made a request, after authentication.
//!
//! The variants are the principal types AWS's `aws:PrincipalType` distinguishes. Each carries
//! what the policy engine, the audit log and `GetCallerIdentity` need, without a store lookup.

use crate::AccountId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The account's root identity.
    Root { account: AccountId },
    /// An IAM user signing with a long-term key, or with GetSessionToken credentials.
    User {
        account: AccountId,
        name: String,
        path: String,
        user_id: String,
    },
    /// A role session from AssumeRole / AssumeRoleWithWebIdentity.
    AssumedRole {
        account: AccountId,
        role_name: String,
        role_path: String,
        role_id: String,
        session_name: String,
    },
    /// A federated user from GetFederationToken.
    FederatedUser { account: AccountId, name: String },
}

impl Principal {
    pub fn account(&self) -> &AccountId {
        match self {
            Principal::Root { account }
            | Principal::User { account, .. }
            | Principal::AssumedRole { account, .. }
            | Principal::FederatedUser { account, .. } => account,
        }
    }

    /// The caller's ARN as `GetCallerIdentity` reports it.
    pub fn arn(&self) -> String {
        match self {
            Principal::Root { account } => account.root_arn(),
            Principal::User {
                account,
                name,
                path,
                ..
            } => format!("arn:aws:iam::{account}:user{path}{name}"),
            Principal::AssumedRole {
                account,
                role_name,
                session_name,
                ..
            } => format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"),
            Principal::FederatedUser { account, name } => {
                format!("arn:aws:sts::{account}:federated-user/{name}")
            }
        }
    }

    /// The caller's unique id as `GetCallerIdentity` reports it (`aws:userid`).
    pub fn user_id(&self) -> String {
        match self {
            Principal::Root { account } => account.to_string(),
            Principal::User { user_id, .. } => user_id.clone(),
            Principal::AssumedRole {
                role_id,
                session_name,
                ..
            } => format!("{role_id}:{session_name}"),
            Principal::FederatedUser { account, name } => format!("{account}:{name}"),
        }
    }

    /// `aws:PrincipalType`.
    pub fn principal_type(&self) -> &'static str {
        match self {
            Principal::Root { .. } => "Account",
            Principal::User { .. } => "User",
            Principal::AssumedRole { .. } => "AssumedRole",
            Principal::FederatedUser { .. } => "FederatedUser",
        }
    }

    pub fn is_root(&self) -> bool {
        matches!(self, Principal::Root { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct() -> AccountId {
        AccountId::parse("123456789012").unwrap()
    }

    #[test]
    fn arns_and_ids_follow_aws() {
        let root = Principal::Root { account: acct() };
        assert_eq!(root.arn(), "arn:aws:iam::123456789012:root");
        assert_eq!(root.user_id(), "123456789012");
        let user = Principal::User {
            account: acct(),
            name: "bob".into(),
            path: "/dev/".into(),
            user_id: "AIDAEXAMPLE".into(),
        };
        assert_eq!(user.arn(), "arn:aws:iam::123456789012:user/dev/bob");
        let role = Principal::AssumedRole {
            account: acct(),
            role_name: "r".into(),
            role_path: "/".into(),
            role_id: "AROAEXAMPLE".into(),
            session_name: "s".into(),
        };
        assert_eq!(role.arn(), "arn:aws:sts::123456789012:assumed-role/r/s");
        assert_eq!(role.user_id(), "AROAEXAMPLE:s");
        let fed = Principal::FederatedUser {
            account: acct(),
            name: "f".into(),
        };
        assert_eq!(fed.user_id(), "123456789012:f");
    }
}
