//! Authorization: may this caller perform this action on this resource?
//!
//! The decision is the policy engine's (`tessera-policy`, pure); this module gathers its inputs:
//! - [`resource`]: the action's resource ARN, one table per service;
//! - [`context`]: the request's condition keys (time, source IP, MFA, tags, STS keys);
//! - [`policies`]: the caller's identity policies, boundary and session policies, and the
//!   resource's policy (a role's trust policy), compiled once and cached by document text.
//!
//! Before the policy engine runs, AWS's built-in limits on temporary credentials apply:
//! GetSessionToken sessions cannot call IAM without MFA and may call only AssumeRole and
//! GetCallerIdentity on STS; GetFederationToken sessions cannot call IAM and may call only
//! GetCallerIdentity on STS. `sts:GetCallerIdentity` is never denied.

mod context;
mod policies;
mod resource;

pub use policies::PolicyCache;

use crate::app::App;
use crate::auth::Caller;
use crate::classify::Service;
use std::net::SocketAddr;
use tessera_core::Principal;
use tessera_policy::{PrincipalInfo, PrincipalKind};
use tessera_protocol::{AwsError, QueryParams};
use tessera_token::SessionKind;

/// One request to authorize.
pub struct AuthzRequest<'a> {
    pub caller: &'a Caller,
    pub service: Service,
    /// The operation name, e.g. `CreateUser`.
    pub action: &'a str,
    pub params: &'a QueryParams,
    pub remote: SocketAddr,
}

/// The outcome, with what the audit log and the error need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Why, in a few words (audit log).
    pub reason: String,
    /// AWS's `AccessDenied` message when denied.
    pub message: Option<String>,
}

impl Decision {
    fn allow(reason: impl Into<String>) -> Self {
        Self {
            allowed: true,
            reason: reason.into(),
            message: None,
        }
    }

    fn deny(reason: impl Into<String>, message: String) -> Self {
        Self {
            allowed: false,
            reason: reason.into(),
            message: Some(message),
        }
    }

    /// The `AccessDenied` error for a denied decision.
    pub fn to_error(&self) -> AwsError {
        AwsError::new(
            "AccessDenied",
            403,
            self.message
                .clone()
                .unwrap_or_else(|| "Access denied".into()),
        )
    }
}

/// Decides `req`. Store failures become an internal error, never an allow.
pub async fn authorize(app: &App, req: &AuthzRequest<'_>) -> Result<Decision, AwsError> {
    let full_action = format!("{}:{}", req.service.name(), req.action);
    if full_action == "sts:GetCallerIdentity" {
        return Ok(Decision::allow("GetCallerIdentity is always allowed"));
    }
    let principal = &req.caller.principal;
    let resource = resource::arn(req.service, req.action, req.params, principal);
    if let Some(limit) = temporary_credential_limit(req) {
        let message = format!(
            "User: {} is not authorized to perform: {full_action} on resource: {resource} {limit}",
            principal.arn()
        );
        return Ok(Decision::deny(limit, message));
    }
    let info = principal_info(principal, req.caller);
    let ctx = context::build(app, req);
    let inputs = policies::gather(app, req, principal).await?;
    let set = inputs.policy_set();
    let request = tessera_policy::Request {
        principal: &info,
        action: &full_action,
        resource: &resource,
        context: &ctx,
    };
    let decision = tessera_policy::evaluate(&request, &set);
    if decision.is_allowed() {
        Ok(Decision::allow(format!(
            "allowed by {:?} policy",
            decision.policy_type
        )))
    } else {
        let message = decision.access_denied_message(&request).unwrap_or_else(|| {
            format!(
                "User: {} is not authorized to perform: {full_action} on resource: {resource}",
                principal.arn()
            )
        });
        let reason = decision
            .reason(&full_action)
            .unwrap_or_else(|| "denied".to_owned());
        Ok(Decision::deny(reason, message))
    }
}

/// AWS's fixed limits on what temporary credentials may call, whatever the policies say.
fn temporary_credential_limit(req: &AuthzRequest<'_>) -> Option<&'static str> {
    let session = req.caller.session.as_ref()?;
    match (session.kind, req.service) {
        (SessionKind::SessionToken, Service::Iam) if !session.mfa_authenticated => {
            Some("because credentials from GetSessionToken cannot call IAM unless MFA was used")
        }
        (SessionKind::SessionToken, Service::Sts) if req.action != "AssumeRole" => {
            Some("because credentials from GetSessionToken may call only AssumeRole and GetCallerIdentity on STS")
        }
        (SessionKind::Federated, Service::Iam) => {
            Some("because credentials from GetFederationToken cannot call IAM")
        }
        (SessionKind::Federated, Service::Sts) => {
            Some("because credentials from GetFederationToken may call only GetCallerIdentity on STS")
        }
        _ => None,
    }
}

/// The caller as the policy engine sees it.
fn principal_info(principal: &Principal, caller: &Caller) -> PrincipalInfo {
    let (kind, username, parent_arn) = match principal {
        Principal::Root { .. } => (PrincipalKind::Root, None, None),
        Principal::User { name, .. } => (PrincipalKind::User, Some(name.clone()), None),
        Principal::AssumedRole { .. } => (
            PrincipalKind::AssumedRole,
            None,
            caller.session.as_ref().map(|s| s.parent_arn.clone()),
        ),
        Principal::FederatedUser { .. } => (
            PrincipalKind::FederatedUser,
            None,
            caller.session.as_ref().map(|s| s.parent_arn.clone()),
        ),
    };
    PrincipalInfo {
        kind,
        arn: principal.arn(),
        account: principal.account().to_string(),
        userid: principal.user_id(),
        username,
        parent_arn,
        provider: None,
    }
}
