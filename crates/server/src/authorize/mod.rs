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
//! GetCallerIdentity on STS. `sts:GetCallerIdentity` and `sts:GetSessionToken` are never denied
//! (AWS does not subject authentication operations to policies).
//!
//! A policy denial carries an encoded authorization message ([`message`], sealed by STS) that
//! `sts:DecodeAuthorizationMessage` turns back into the statement and context that decided.

mod context;
mod message;
mod policies;
mod resource;

/// The response header that carries the encoded authorization message of an `AccessDenied`.
pub const AUTHORIZATION_MESSAGE_HEADER: &str = "x-tessera-authorization-message";

pub use policies::PolicyCache;
pub(crate) use policies::{role, user};

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
    /// The request proved MFA with `SerialNumber` + `TokenCode` (see [`crate::mfa`]).
    pub mfa: bool,
    /// The resource ARN when the service computed it (SQS queues, S3 buckets and objects);
    /// `None` derives it from the Query parameters (IAM, STS).
    pub resource: Option<&'a str>,
    /// The resource's owner and own policy (a queue or bucket policy), evaluated beside the
    /// caller's.
    pub resource_policy: Option<ResourcePolicy<'a>>,
    /// Service-specific condition keys of this request (`s3:prefix`, …).
    pub conditions: &'a [(&'static str, String)],
}

/// The account that owns a queue or bucket (which decides whether the request is cross-account)
/// and the resource's policy, if it has one.
#[derive(Clone, Copy, Debug)]
pub struct ResourcePolicy<'a> {
    pub document: Option<&'a str>,
    pub account: &'a str,
    /// The ARN the policy belongs to, for the audit log ("policy of ARN").
    pub owner_arn: &'a str,
}

/// The outcome, with what the audit log and the error need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Why, in a few words (audit log).
    pub reason: String,
    /// AWS's `AccessDenied` message when denied.
    pub message: Option<String>,
    /// The sealed description of a policy denial, for `sts:DecodeAuthorizationMessage`.
    pub encoded_message: Option<String>,
}

impl Decision {
    fn allow(reason: impl Into<String>) -> Self {
        Self {
            allowed: true,
            reason: reason.into(),
            message: None,
            encoded_message: None,
        }
    }

    fn deny(reason: impl Into<String>, message: String) -> Self {
        Self {
            allowed: false,
            reason: reason.into(),
            message: Some(message),
            encoded_message: None,
        }
    }

    /// The `AccessDenied` error for a denied decision. The message is AWS's exactly; the encoded
    /// authorization message travels in the `x-tessera-authorization-message` header.
    pub fn to_error(&self) -> AwsError {
        let message = self
            .message
            .clone()
            .unwrap_or_else(|| "Access denied".into());
        let err = AwsError::new("AccessDenied", 403, message);
        match &self.encoded_message {
            Some(m) => err.with_header(AUTHORIZATION_MESSAGE_HEADER, m.clone()),
            None => err,
        }
    }
}

/// Decides `req`. Store failures become an internal error, never an allow.
pub async fn authorize(app: &App, req: &AuthzRequest<'_>) -> Result<Decision, AwsError> {
    let full_action = format!("{}:{}", req.service.name(), req.action);
    // Authentication operations are not subject to policies (AWS: "No permissions are required
    // for a user to get a session token").
    match full_action.as_str() {
        "sts:GetCallerIdentity" => {
            return Ok(Decision::allow("GetCallerIdentity is always allowed"))
        }
        "sts:GetSessionToken" if req.caller.session.is_none() => {
            return Ok(Decision::allow(
                "GetSessionToken needs no permission (an authentication operation)",
            ))
        }
        "sts:GetSessionToken" => {
            return Ok(Decision::deny(
                "temporary credentials cannot call GetSessionToken",
                "Cannot call GetSessionToken with session credentials".to_owned(),
            ))
        }
        _ => {}
    }
    let principal = &req.caller.principal;
    let resource = match req.resource {
        Some(r) => r.to_owned(),
        None => resource::arn(req.service, req.action, req.params, principal),
    };
    if let Some(limit) = temporary_credential_limit(req) {
        let message = format!(
            "User: {} is not authorized to perform: {full_action} on resource: {resource} {limit}",
            principal.arn()
        );
        return Ok(Decision::deny(limit, message));
    }
    let info = principal_info(principal, req.caller);
    let inputs = policies::gather(app, req, principal).await?;
    let ctx = context::build(app, req, inputs.principal_tags());
    let set = inputs.policy_set();
    // Passing session tags or a source identity to AssumeRole needs its own permission, on the
    // same role, from both sides (AWS's sts:TagSession and sts:SetSourceIdentity).
    let mut extra: Vec<&'static str> = Vec::new();
    if req.service == Service::Sts && req.action == "AssumeRole" {
        if !req.params.structs("Tags.member").is_empty() {
            extra.push("sts:TagSession");
        }
        if req.params.get("SourceIdentity").is_some() {
            extra.push("sts:SetSourceIdentity");
        }
    }
    let (mut request, mut decision) = evaluate_one(&info, &full_action, &resource, &ctx, &set);
    if decision.is_allowed() {
        for action in extra {
            let (r, d) = evaluate_one(&info, action, &resource, &ctx, &set);
            if !d.is_allowed() {
                (request, decision) = (r, d);
                break;
            }
        }
    }
    let full_action = request.action.to_owned();
    let statement = decision.statement.map(|st| {
        let source = inputs
            .source(decision.policy_type, st.policy_index)
            .unwrap_or("a policy");
        match st.sid {
            Some(sid) => format!("{source}, statement {} (Sid {sid})", st.statement_index + 1),
            None => format!("{source}, statement {}", st.statement_index + 1),
        }
    });
    if decision.is_allowed() {
        let reason = match &statement {
            Some(s) => format!("allowed by {s}"),
            None => "allowed: the account's root identity".to_owned(),
        };
        return Ok(Decision::allow(reason));
    }
    let message = decision.access_denied_message(&request).unwrap_or_else(|| {
        format!(
            "User: {} is not authorized to perform: {full_action} on resource: {resource}",
            principal.arn()
        )
    });
    let reason = match (&statement, decision.reason(&full_action)) {
        (Some(s), Some(r)) => format!("{r} ({s})"),
        (None, Some(r)) => r,
        (_, None) => "denied".to_owned(),
    };
    let decoded = message::describe(
        &request,
        decision.verdict == tessera_policy::Verdict::ExplicitDeny,
        statement.as_deref(),
        &ctx,
    );
    let mut denied = Decision::deny(reason, message);
    denied.encoded_message = Some(app.sts().seal_authorization_message(&decoded));
    Ok(denied)
}

/// An unsigned S3 request: only the resource's policy can allow it (statements whose principal
/// is `*`); explicit denies apply as for everyone.
pub fn authorize_anonymous(
    app: &App,
    full_action: &str,
    resource: &str,
    policy: Option<ResourcePolicy<'_>>,
    remote: SocketAddr,
    conditions: &[(&'static str, String)],
) -> Decision {
    let info = PrincipalInfo {
        kind: PrincipalKind::Anonymous,
        arn: String::new(),
        account: String::new(),
        userid: "anonymous".to_owned(),
        username: None,
        parent_arn: None,
        provider: None,
    };
    let ctx = context::anonymous(app, remote, conditions);
    let compiled = policy
        .and_then(|p| p.document)
        .and_then(|doc| app.policy_cache().resource(doc));
    let set = tessera_policy::PolicySet {
        resource: compiled.as_deref(),
        resource_account: policy.map(|p| p.account),
        ..tessera_policy::PolicySet::default()
    };
    let (_, decision) = evaluate_one(&info, full_action, resource, &ctx, &set);
    let owner = policy.map_or(resource, |p| p.owner_arn);
    match decision.verdict {
        tessera_policy::Verdict::Allow => {
            Decision::allow(format!("allowed by the resource policy of {owner}"))
        }
        tessera_policy::Verdict::ExplicitDeny => Decision::deny(
            format!("explicitly denied by the resource policy of {owner}"),
            "Access Denied".to_owned(),
        ),
        tessera_policy::Verdict::ImplicitDeny => Decision::deny(
            "anonymous request and no resource policy allows it",
            "Access Denied".to_owned(),
        ),
    }
}

/// One action through the policy engine.
fn evaluate_one<'a>(
    principal: &'a PrincipalInfo,
    action: &'a str,
    resource: &'a str,
    context: &'a tessera_policy::Context,
    set: &tessera_policy::PolicySet<'a>,
) -> (tessera_policy::Request<'a>, tessera_policy::Decision<'a>) {
    let request = tessera_policy::Request {
        principal,
        action,
        resource,
        context,
    };
    let decision = tessera_policy::evaluate(&request, set);
    (request, decision)
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
