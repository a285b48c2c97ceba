//! Authorization: may this principal perform this action?
//!
//! Until the policy engine is wired in, the rule is AWS's behaviour for an account with no
//! policies at all: the root identity may do everything in its account, every other principal is
//! denied, and `sts:GetCallerIdentity` is allowed for everyone (AWS never denies it).

use crate::classify::Service;
use tessera_core::Principal;
use tessera_protocol::AwsError;

/// The outcome of authorization, with the reason recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: &'static str,
}

pub fn authorize(principal: &Principal, service: Service, action: &str) -> Decision {
    if service == Service::Sts && action == "GetCallerIdentity" {
        return Decision {
            allowed: true,
            reason: "GetCallerIdentity is always allowed",
        };
    }
    if principal.is_root() {
        return Decision {
            allowed: true,
            reason: "the account's root identity",
        };
    }
    Decision {
        allowed: false,
        reason: "no identity-based policy allows the action",
    }
}

/// AWS's `AccessDenied` for a denied decision.
pub fn access_denied(principal: &Principal, service: Service, action: &str) -> AwsError {
    let full = format!("{}:{action}", service.name());
    AwsError::new(
        "AccessDenied",
        403,
        format!(
            "User: {} is not authorized to perform: {full} because no identity-based policy allows the {full} action",
            principal.arn()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::AccountId;

    fn account() -> AccountId {
        AccountId::parse("123456789012").unwrap()
    }

    #[test]
    fn root_may_everything_users_only_get_caller_identity() {
        let root = Principal::Root { account: account() };
        let user = Principal::User {
            account: account(),
            name: "bob".into(),
            path: "/".into(),
            user_id: "AIDA".into(),
        };
        assert!(authorize(&root, Service::Iam, "CreateUser").allowed);
        assert!(!authorize(&user, Service::Iam, "ListUsers").allowed);
        assert!(authorize(&user, Service::Sts, "GetCallerIdentity").allowed);
        let msg = access_denied(&user, Service::Iam, "ListUsers").message;
        assert!(msg.starts_with(
            "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:ListUsers"
        ));
    }
}
