//! AWS's policy evaluation logic over the policy sets that apply to one request.
//!
//! Owns: explicit deny wins; identity ∩ permissions boundary ∩ session policies; resource-policy
//! grants within an account and across accounts, with AWS's documented same-account cases; the
//! account root; and the reason AWS gives in `AccessDenied`. Must never allocate on the allow path
//! of a request whose policies contain no variables, nor do I/O.
//!
//! Same-account resource-policy grants, as AWS documents them:
//! - naming the caller exactly (user ARN, role-session ARN, federated-user ARN) allows on its
//!   own: no identity policy, boundary or session policy is needed;
//! - naming the role (or the IAM user behind a federated user) allows without an identity
//!   policy, but boundaries and session policies still limit it;
//! - naming the account delegates to identity policies and allows nothing on its own;
//! - `"*"` allows like an exact name for users and anonymous callers and like the role for
//!   sessions.
//!
//! Across accounts, the caller's side (identity ∩ boundary ∩ session) and a resource-policy grant
//! are both needed.

use crate::action::{split_action, LoweredAction};
use crate::arn_match::{ArnPattern, RequestArn};
use crate::context::{Context, Env};
use crate::document::{Effect, Polarity, Policy, PolicyKind, Statement};
use crate::principal::{Grant, PrincipalInfo, PrincipalKind};

/// One request to authorize.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub principal: &'a PrincipalInfo,
    /// `service:Action`, e.g. `iam:GetUser`.
    pub action: &'a str,
    /// The resource ARN, or `*` for actions without a resource.
    pub resource: &'a str,
    pub context: &'a Context,
}

/// The policies that apply to one request.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'a> {
    /// The caller's identity policies: user (inline and managed) and its groups', or the role's.
    pub identity: Vec<&'a Policy>,
    /// The permissions boundary of the user or role, if one is set.
    pub boundary: Option<&'a Policy>,
    /// `Some` when the session carries session policies (inline and `PolicyArns`, whose union
    /// limits the session); `Some(vec![])` allows nothing (a federated user without a policy).
    pub session: Option<Vec<&'a Policy>>,
    /// The resource's policy (trust policy, queue policy, bucket policy).
    pub resource: Option<&'a Policy>,
    /// The account that owns the resource; when `None`, the account segment of the resource ARN,
    /// and when that is empty too (S3 buckets), the caller's account.
    pub resource_account: Option<&'a str>,
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Allow,
    ImplicitDeny,
    ExplicitDeny,
}

/// Which kind of policy decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    Identity,
    PermissionsBoundary,
    Session,
    Resource,
    /// The root user's implicit access to its own account.
    AccountRoot,
}

/// The statement that decided: `policy_index` indexes the list of its [`PolicyType`] in the
/// [`PolicySet`] (0 for the boundary and the resource policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatementRef<'a> {
    pub policy_index: usize,
    pub statement_index: usize,
    pub sid: Option<&'a str>,
}

/// A decision and why it was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decision<'a> {
    pub verdict: Verdict,
    /// For denials, the policy type AWS names in its message.
    pub policy_type: PolicyType,
    /// The matching statement (allows and explicit denies); `None` for implicit denials.
    pub statement: Option<StatementRef<'a>>,
}

impl Decision<'_> {
    pub fn is_allowed(&self) -> bool {
        self.verdict == Verdict::Allow
    }

    /// The end of AWS's `AccessDenied` message: "because no identity-based policy allows the
    /// iam:GetUser action", "with an explicit deny in a resource-based policy", …
    pub fn reason(&self, action: &str) -> Option<String> {
        let (article, what) = match self.policy_type {
            PolicyType::Identity => ("an", "identity-based policy"),
            PolicyType::PermissionsBoundary => ("a", "permissions boundary"),
            PolicyType::Session => ("a", "session policy"),
            PolicyType::Resource => ("a", "resource-based policy"),
            PolicyType::AccountRoot => return None,
        };
        match self.verdict {
            Verdict::Allow => None,
            Verdict::ExplicitDeny => Some(format!("with an explicit deny in {article} {what}")),
            Verdict::ImplicitDeny => Some(format!("because no {what} allows the {action} action")),
        }
    }

    /// AWS's whole `AccessDenied` message for a denied request.
    pub fn access_denied_message(&self, req: &Request<'_>) -> Option<String> {
        let reason = self.reason(req.action)?;
        let who = if req.principal.kind == PrincipalKind::Anonymous {
            "anonymous".to_owned()
        } else {
            req.principal.arn.clone()
        };
        Some(format!(
            "User: {who} is not authorized to perform: {} on resource: {} {reason}",
            req.action, req.resource
        ))
    }
}

/// Evaluates `req` against `set` as AWS does.
pub fn evaluate<'a>(req: &Request<'_>, set: &PolicySet<'a>) -> Decision<'a> {
    let action = LoweredAction::new(req.action);
    let ev = Evaluator::new(req, action.as_str());
    let kind = req.principal.kind;
    // Identity-side policies apply to IAM identities and their sessions only.
    let has_identity = matches!(
        kind,
        PrincipalKind::User | PrincipalKind::AssumedRole | PrincipalKind::FederatedUser
    );
    let deny = |policy_type, statement| Decision {
        verdict: Verdict::ExplicitDeny,
        policy_type,
        statement: Some(statement),
    };

    let identity = if has_identity {
        ev.scan(&set.identity)
    } else {
        Scan::default()
    };
    if let Some(s) = identity.deny {
        return deny(PolicyType::Identity, s);
    }
    let boundary = set.boundary.filter(|_| has_identity).map(|b| ev.scan(&[b]));
    if let Some(s) = boundary.and_then(|b| b.deny) {
        return deny(PolicyType::PermissionsBoundary, s);
    }
    let session = set
        .session
        .as_deref()
        .filter(|_| has_identity)
        .map(|s| ev.scan(s));
    if let Some(s) = session.and_then(|s| s.deny) {
        return deny(PolicyType::Session, s);
    }
    let resource = set
        .resource
        .map(|r| ev.scan_resource(r))
        .unwrap_or_default();
    if let Some(s) = resource.deny {
        return deny(PolicyType::Resource, s);
    }
    // A role's trust policy must itself allow the caller: unlike other resource policies, an
    // identity policy alone never lets anyone assume a role.
    if set.resource.is_some_and(|r| r.kind() == PolicyKind::Trust) && resource.allow.is_none() {
        return Decision {
            verdict: Verdict::ImplicitDeny,
            policy_type: PolicyType::Resource,
            statement: None,
        };
    }

    let allow = |policy_type, statement| Decision {
        verdict: Verdict::Allow,
        policy_type,
        statement,
    };
    let implicit = |policy_type| Decision {
        verdict: Verdict::ImplicitDeny,
        policy_type,
        statement: None,
    };
    let boundary_ok = boundary.is_none_or(|b| b.allow.is_some());
    let session_ok = session.is_none_or(|s| s.allow.is_some());
    // Why the caller's own side fails, if it does.
    let identity_gap = if kind == PrincipalKind::Root {
        None
    } else if identity.allow.is_none() {
        Some(PolicyType::Identity)
    } else if !boundary_ok {
        Some(PolicyType::PermissionsBoundary)
    } else if !session_ok {
        Some(PolicyType::Session)
    } else {
        None
    };

    if !has_identity && kind != PrincipalKind::Root {
        // Anonymous callers, services and web identities: only a resource policy can allow.
        return match resource.allow {
            Some((s, g)) if g != Grant::Account => allow(PolicyType::Resource, Some(s)),
            _ => implicit(PolicyType::Resource),
        };
    }

    let resource_account = set
        .resource_account
        .or_else(|| ev.resource.account())
        .unwrap_or(&req.principal.account);
    if resource_account != req.principal.account {
        return match (identity_gap, resource.allow) {
            (Some(gap), _) => implicit(gap),
            (None, None) => implicit(PolicyType::Resource),
            (None, Some((s, _))) => allow(PolicyType::Resource, Some(s)),
        };
    }

    if kind == PrincipalKind::Root {
        return allow(PolicyType::AccountRoot, None);
    }
    if let Some((s, grant)) = resource.allow {
        let session_like = matches!(
            kind,
            PrincipalKind::AssumedRole | PrincipalKind::FederatedUser
        );
        let limited = match grant {
            Grant::Direct => Some(false),
            Grant::Everyone => Some(session_like),
            Grant::Parent => Some(true),
            Grant::Account => None,
        };
        match limited {
            Some(false) => return allow(PolicyType::Resource, Some(s)),
            Some(true) if boundary_ok && session_ok => return allow(PolicyType::Resource, Some(s)),
            Some(true) => {
                let gap = if boundary_ok {
                    PolicyType::Session
                } else {
                    PolicyType::PermissionsBoundary
                };
                return implicit(gap);
            }
            None => {}
        }
    }
    match identity_gap {
        Some(gap) => implicit(gap),
        None => allow(PolicyType::Identity, identity.allow),
    }
}

/// What one policy list says about the request: its first matching deny and allow.
#[derive(Debug, Clone, Copy, Default)]
struct Scan<'a> {
    deny: Option<StatementRef<'a>>,
    allow: Option<StatementRef<'a>>,
}

/// Like [`Scan`], remembering the best grade under which an allow named the caller.
#[derive(Debug, Clone, Copy, Default)]
struct ResourceScan<'a> {
    deny: Option<StatementRef<'a>>,
    allow: Option<(StatementRef<'a>, Grant)>,
}

/// The request, pre-split once for all statements.
struct Evaluator<'r> {
    service: &'r str,
    name: &'r str,
    resource: RequestArn<'r>,
    env: Env<'r>,
}

impl<'r> Evaluator<'r> {
    /// `action` is the request's action, lower-cased.
    fn new(req: &Request<'r>, action: &'r str) -> Evaluator<'r> {
        let (service, name) = split_action(action);
        Evaluator {
            service,
            name,
            resource: RequestArn::new(req.resource),
            env: Env {
                context: req.context,
                principal: req.principal,
            },
        }
    }

    fn scan<'a>(&self, policies: &[&'a Policy]) -> Scan<'a> {
        let mut out = Scan::default();
        for (pi, policy) in policies.iter().enumerate() {
            for (si, st) in policy.candidates(self.service) {
                let wanted = match st.effect() {
                    Effect::Deny => out.deny.is_none(),
                    Effect::Allow => out.allow.is_none(),
                };
                if !wanted || self.applies(st).is_none() {
                    continue;
                }
                let r = StatementRef {
                    policy_index: pi,
                    statement_index: si,
                    sid: st.sid(),
                };
                match st.effect() {
                    Effect::Deny => {
                        return Scan {
                            deny: Some(r),
                            ..out
                        }
                    }
                    Effect::Allow => out.allow = Some(r),
                }
            }
        }
        out
    }

    fn scan_resource<'a>(&self, policy: &'a Policy) -> ResourceScan<'a> {
        let mut out = ResourceScan::default();
        for (si, st) in policy.candidates(self.service) {
            let Some(grant) = self.applies(st) else {
                continue;
            };
            let r = StatementRef {
                policy_index: 0,
                statement_index: si,
                sid: st.sid(),
            };
            match st.effect() {
                Effect::Deny => {
                    out.deny = Some(r);
                    return out;
                }
                Effect::Allow if out.allow.is_none_or(|(_, g)| g < grant) => {
                    out.allow = Some((r, grant));
                }
                Effect::Allow => {}
            }
        }
        out
    }

    /// Whether the statement applies to the request, and under which grant the caller was named
    /// (`Direct` for statements without a principal).
    fn applies(&self, st: &Statement) -> Option<Grant> {
        let action_hit = match &st.action {
            Polarity::Is(list) => list.iter().any(|a| a.matches(self.service, self.name)),
            Polarity::Not(list) => !list.iter().any(|a| a.matches(self.service, self.name)),
        };
        if !action_hit {
            return None;
        }
        let resource_hit = match &st.resource {
            None => true,
            Some(Polarity::Is(list)) => self.any_resource(list),
            Some(Polarity::Not(list)) => !self.any_resource(list),
        };
        if !resource_hit {
            return None;
        }
        let grant = match &st.principal {
            None => Grant::Direct,
            Some(Polarity::Is(set)) => set.grant_for(self.env.principal)?,
            Some(Polarity::Not(set)) if set.excludes(self.env.principal) => return None,
            Some(Polarity::Not(_)) => Grant::Everyone,
        };
        (st.condition.is_empty() || st.condition.holds(&self.env)).then_some(grant)
    }

    fn any_resource(&self, list: &[ArnPattern]) -> bool {
        let lookup = |k: &str| self.env.variable(k);
        list.iter().any(|p| p.matches(&self.resource, &lookup))
    }
}
