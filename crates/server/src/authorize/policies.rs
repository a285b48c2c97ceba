//! The policies that apply to one request, fetched from IAM and compiled once.
//!
//! Compiling a policy (strict JSON parse, lowering of patterns and condition values) costs far
//! more than evaluating it, so compiled policies are cached by their exact text: an edited policy
//! is a new text and compiles anew, and nothing needs invalidating. The cache is bounded; when it
//! fills it is cleared and refills with what is in use.

use super::AuthzRequest;
use crate::app::App;
use crate::classify::Service;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;
use tessera_core::{AccountId, Arn, Principal};
use tessera_iam::IdentityPolicies;
use tessera_policy::{Policy, PolicyKind, PolicySet, PolicyType};
use tessera_protocol::AwsError;
use tessera_token::SessionKind;

/// Compiled policies kept at most.
const CACHE_ENTRIES: usize = 10_000;

/// What a federated user of the root identity may do before its session policies narrow it: the
/// root identity may do everything in its account.
const ROOT_EQUIVALENT: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

#[derive(Default)]
pub struct PolicyCache {
    compiled: RwLock<HashMap<(u8, String), Arc<Policy>>>,
}

impl PolicyCache {
    /// The compiled form of `doc`; `None` (and a warning) for a document that does not compile,
    /// which can only be one stored by an older, laxer version: it then grants nothing.
    fn get(&self, doc: &str, kind: PolicyKind) -> Option<Arc<Policy>> {
        let tag = match kind {
            PolicyKind::Identity => 0,
            PolicyKind::Resource => 1,
            PolicyKind::Trust => 2,
        };
        let key = (tag, doc.to_owned());
        if let Some(p) = self.compiled.read().get(&key) {
            return Some(p.clone());
        }
        let compiled = match Policy::parse(doc, kind) {
            Ok(p) => Arc::new(p),
            Err(e) => {
                tracing::warn!(
                    "a stored policy does not compile and is ignored: {}",
                    e.message()
                );
                return None;
            }
        };
        let mut map = self.compiled.write();
        if map.len() >= CACHE_ENTRIES {
            map.clear();
        }
        map.insert(key, compiled.clone());
        Some(compiled)
    }
}

/// The compiled inputs of one evaluation, with where each policy came from (for the audit log
/// and the authorization message).
#[derive(Default)]
pub struct Inputs {
    identity: Vec<Arc<Policy>>,
    identity_sources: Vec<String>,
    boundary: Option<Arc<Policy>>,
    boundary_source: Option<String>,
    session: Option<Vec<Arc<Policy>>>,
    session_sources: Vec<String>,
    resource: Option<Arc<Policy>>,
    resource_source: Option<String>,
    resource_account: Option<String>,
    /// The user's or role's tags (`aws:PrincipalTag/…`); session tags take precedence.
    pub principal_tags: Vec<(String, String)>,
}

impl Inputs {
    pub fn policy_set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: self.identity.iter().map(Arc::as_ref).collect(),
            boundary: self.boundary.as_deref(),
            session: self
                .session
                .as_ref()
                .map(|s| s.iter().map(Arc::as_ref).collect()),
            resource: self.resource.as_deref(),
            resource_account: self.resource_account.as_deref(),
        }
    }

    /// Where the policy a decision names came from: "inline policy P of ARN" or a policy ARN.
    pub fn source(&self, policy_type: PolicyType, index: usize) -> Option<&str> {
        match policy_type {
            PolicyType::Identity => self.identity_sources.get(index).map(String::as_str),
            PolicyType::PermissionsBoundary => self.boundary_source.as_deref(),
            PolicyType::Session => self.session_sources.get(index).map(String::as_str),
            PolicyType::Resource => self.resource_source.as_deref(),
            PolicyType::AccountRoot => None,
        }
    }

    fn add_identity(&mut self, cache: &PolicyCache, found: IdentityPolicies) {
        for p in &found.inline {
            if let Some(c) = cache.get(&p.document, PolicyKind::Identity) {
                self.identity.push(c);
                self.identity_sources
                    .push(format!("inline policy {} of {}", p.name, p.source));
            }
        }
        for p in &found.managed {
            if let Some(c) = cache.get(&p.document, PolicyKind::Identity) {
                self.identity.push(c);
                self.identity_sources.push(p.source.clone());
            }
        }
        self.principal_tags = found
            .tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        if let Some(b) = found.boundary {
            self.boundary = cache.get(&b.document, PolicyKind::Identity);
            self.boundary_source = Some(b.source);
        }
    }
}

fn internal(e: impl std::fmt::Display) -> AwsError {
    AwsError::new("InternalFailure", 500, format!("reading policies: {e}"))
}

pub async fn gather(
    app: &App,
    req: &AuthzRequest<'_>,
    principal: &Principal,
) -> Result<Inputs, AwsError> {
    let cache = app.policy_cache();
    let iam = app.iam();
    let mut inputs = Inputs::default();
    match principal {
        Principal::Root { .. } => {}
        Principal::User { account, name, .. } => {
            if let Some(found) = iam.user_policies(account, name).await.map_err(internal)? {
                inputs.add_identity(cache, found);
            }
        }
        Principal::AssumedRole {
            account, role_name, ..
        } => {
            if let Some(found) = iam
                .role_policies(account, role_name)
                .await
                .map_err(internal)?
            {
                inputs.add_identity(cache, found);
            }
        }
        Principal::FederatedUser { .. } => {
            let parent = req.caller.session.as_ref().map(|s| s.parent_arn.as_str());
            match parent.and_then(|a| Arn::parse(a).ok()) {
                Some(arn) if arn.resource == "root" => {
                    inputs
                        .identity
                        .extend(cache.get(ROOT_EQUIVALENT, PolicyKind::Identity));
                }
                Some(arn) => {
                    let account = AccountId::parse(&arn.account).map_err(internal)?;
                    let name = arn.resource.rsplit('/').next().unwrap_or("");
                    if let Some(found) =
                        iam.user_policies(&account, name).await.map_err(internal)?
                    {
                        inputs.add_identity(cache, found);
                    }
                }
                None => {}
            }
        }
    }
    if let Some(session) = &req.caller.session {
        let limited = session.kind == SessionKind::Federated
            || session.session_policy.is_some()
            || !session.policy_arns.is_empty();
        if limited {
            let mut list = Vec::new();
            if let Some(p) = session
                .session_policy
                .as_deref()
                .and_then(|doc| cache.get(doc, PolicyKind::Identity))
            {
                list.push(p);
                inputs
                    .session_sources
                    .push("inline session policy".to_owned());
            }
            for arn in &session.policy_arns {
                let Some(policy) = iam.managed_policy(arn).await.map_err(internal)? else {
                    continue;
                };
                if let Some(p) = policy
                    .default_document()
                    .and_then(|doc| cache.get(doc, PolicyKind::Identity))
                {
                    list.push(p);
                    inputs.session_sources.push(arn.clone());
                }
            }
            inputs.session = Some(list);
        }
    }
    if req.service == Service::Sts && req.action == "AssumeRole" {
        if let Some((account, name)) = req.params.get("RoleArn").and_then(role_of) {
            if let Some(role) = iam.get_role(&account, &name).await.map_err(internal)? {
                inputs.resource = cache.get(&role.assume_role_policy, PolicyKind::Trust);
                inputs.resource_source = Some(format!("trust policy of {}", role.arn()));
                inputs.resource_account = Some(account.to_string());
            }
        }
    }
    Ok(inputs)
}

/// The account and name of the role an ARN names.
fn role_of(role_arn: &str) -> Option<(AccountId, String)> {
    let arn = Arn::parse(role_arn).ok()?;
    let name = arn.resource.strip_prefix("role/")?.rsplit('/').next()?;
    Some((AccountId::parse(&arn.account).ok()?, name.to_owned()))
}
