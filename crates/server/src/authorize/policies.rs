//! The policies that apply to one request, fetched from IAM and compiled once.
//!
//! Two caches keep the store and the JSON parser off the hot path:
//! - compiled policies by their exact text: an edited policy is a new text and compiles anew, so
//!   nothing needs invalidating (bounded; cleared when full);
//! - the compiled identity side of each user and role (and role records, for trust policies),
//!   kept while IAM's write generation is unchanged and for at most [`IDENTITY_TTL`], because
//!   another node may write: a policy change on this node applies to the very next request.

use super::AuthzRequest;
use crate::app::App;
use crate::classify::Service;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_core::{AccountId, Arn, Principal};
use tessera_iam::model::{Role, User};
use tessera_iam::IdentityPolicies;
use tessera_policy::{Policy, PolicyKind, PolicySet, PolicyType};
use tessera_protocol::AwsError;
use tessera_token::SessionKind;

/// Compiled policies kept at most.
const CACHE_ENTRIES: usize = 10_000;
/// How long a user's or role's compiled identity is served without asking the store again.
const IDENTITY_TTL: Duration = Duration::from_secs(1);

/// What a federated user of the root identity may do before its session policies narrow it: the
/// root identity may do everything in its account.
const ROOT_EQUIVALENT: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// A user's or role's identity side, compiled.
#[derive(Default)]
pub struct Identity {
    policies: Vec<Arc<Policy>>,
    /// Where each of `policies` came from ("inline policy P of ARN", or a policy ARN).
    sources: Vec<String>,
    boundary: Option<Arc<Policy>>,
    boundary_source: Option<String>,
    /// The user's or role's tags (`aws:PrincipalTag/…`).
    tags: Vec<(String, String)>,
}

type Cached<T> = (u64, Instant, Option<Arc<T>>);

#[derive(Default)]
pub struct PolicyCache {
    /// Indexed by [`kind_index`].
    compiled: RwLock<[HashMap<String, Arc<Policy>>; 3]>,
    identities: Mutex<HashMap<String, Cached<Identity>>>,
    roles: Mutex<HashMap<String, Cached<Role>>>,
    users: Mutex<HashMap<String, Cached<User>>>,
}

fn kind_index(kind: PolicyKind) -> usize {
    match kind {
        PolicyKind::Identity => 0,
        PolicyKind::Resource => 1,
        PolicyKind::Trust => 2,
    }
}

impl PolicyCache {
    /// The compiled form of `doc`; `None` (and a warning) for a document that does not compile,
    /// which can only be one stored by an older, laxer version: it then grants nothing.
    fn compiled(&self, doc: &str, kind: PolicyKind) -> Option<Arc<Policy>> {
        let i = kind_index(kind);
        if let Some(p) = self.compiled.read()[i].get(doc) {
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
        let mut maps = self.compiled.write();
        if maps[i].len() >= CACHE_ENTRIES {
            maps[i].clear();
        }
        maps[i].insert(doc.to_owned(), compiled.clone());
        Some(compiled)
    }

    /// A queue's or bucket's policy, compiled (cached by text like every other policy).
    pub fn resource(&self, doc: &str) -> Option<Arc<Policy>> {
        self.compiled(doc, PolicyKind::Resource)
    }

    fn compile_identity(&self, found: &IdentityPolicies) -> Identity {
        let mut out = Identity::default();
        for p in &found.inline {
            if let Some(c) = self.compiled(&p.document, PolicyKind::Identity) {
                out.policies.push(c);
                out.sources
                    .push(format!("inline policy {} of {}", p.name, p.source));
            }
        }
        for p in &found.managed {
            if let Some(c) = self.compiled(&p.document, PolicyKind::Identity) {
                out.policies.push(c);
                out.sources.push(p.source.clone());
            }
        }
        if let Some(b) = &found.boundary {
            out.boundary = self.compiled(&b.document, PolicyKind::Identity);
            out.boundary_source = Some(b.source.clone());
        }
        out.tags = found
            .tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        out
    }
}

/// Serves `key` from `map` while fresh, else runs `load` and remembers its answer.
async fn cached<T, F>(
    app: &App,
    map: &Mutex<HashMap<String, Cached<T>>>,
    key: String,
    load: F,
) -> Result<Option<Arc<T>>, AwsError>
where
    F: Future<Output = Result<Option<T>, tessera_iam::IamError>>,
{
    let generation = app.iam().write_generation();
    if let Some((g, at, value)) = map.lock().get(&key) {
        if *g == generation && at.elapsed() < IDENTITY_TTL {
            return Ok(value.clone());
        }
    }
    let value = load.await.map_err(internal)?.map(Arc::new);
    let mut map = map.lock();
    if map.len() >= CACHE_ENTRIES {
        map.clear();
    }
    map.insert(key, (generation, Instant::now(), value.clone()));
    Ok(value)
}

async fn user_identity(
    app: &App,
    account: &AccountId,
    name: &str,
) -> Result<Option<Arc<Identity>>, AwsError> {
    let cache = app.policy_cache();
    let key = format!("user/{account}/{}", name.to_ascii_lowercase());
    cached(app, &cache.identities, key, async {
        Ok(app
            .iam()
            .user_policies(account, name)
            .await?
            .map(|found| cache.compile_identity(&found)))
    })
    .await
}

async fn role_identity(
    app: &App,
    account: &AccountId,
    name: &str,
) -> Result<Option<Arc<Identity>>, AwsError> {
    let cache = app.policy_cache();
    let key = format!("role/{account}/{}", name.to_ascii_lowercase());
    cached(app, &cache.identities, key, async {
        Ok(app
            .iam()
            .role_policies(account, name)
            .await?
            .map(|found| cache.compile_identity(&found)))
    })
    .await
}

/// A user record, cached like the identity side (authentication checks on every request signed
/// with a user's session that the user still exists).
pub(crate) async fn user(
    app: &App,
    account: &AccountId,
    name: &str,
) -> Result<Option<Arc<User>>, AwsError> {
    let key = format!("{account}/{}", name.to_ascii_lowercase());
    cached(
        app,
        &app.policy_cache().users,
        key,
        app.iam().get_user(account, name),
    )
    .await
}

/// A role record, cached like the identity side (trust policies; the parent of role sessions).
pub(crate) async fn role(
    app: &App,
    account: &AccountId,
    name: &str,
) -> Result<Option<Arc<Role>>, AwsError> {
    let key = format!("{account}/{}", name.to_ascii_lowercase());
    cached(
        app,
        &app.policy_cache().roles,
        key,
        app.iam().get_role(account, name),
    )
    .await
}

/// The compiled inputs of one evaluation, with where each policy came from (for the audit log
/// and the authorization message).
#[derive(Default)]
pub struct Inputs {
    identity: Option<Arc<Identity>>,
    session: Option<Vec<Arc<Policy>>>,
    session_sources: Vec<String>,
    resource: Option<Arc<Policy>>,
    resource_source: Option<String>,
    resource_account: Option<String>,
}

impl Inputs {
    pub fn policy_set(&self) -> PolicySet<'_> {
        let identity = self.identity.as_deref();
        PolicySet {
            identity: identity
                .map(|i| i.policies.iter().map(Arc::as_ref).collect())
                .unwrap_or_default(),
            boundary: identity.and_then(|i| i.boundary.as_deref()),
            session: self
                .session
                .as_ref()
                .map(|s| s.iter().map(Arc::as_ref).collect()),
            resource: self.resource.as_deref(),
            resource_account: self.resource_account.as_deref(),
        }
    }

    /// The user's or role's tags (`aws:PrincipalTag/…`); session tags take precedence.
    pub fn principal_tags(&self) -> &[(String, String)] {
        self.identity.as_deref().map_or(&[], |i| i.tags.as_slice())
    }

    /// Where the policy a decision names came from: "inline policy P of ARN" or a policy ARN.
    pub fn source(&self, policy_type: PolicyType, index: usize) -> Option<&str> {
        let identity = self.identity.as_deref();
        match policy_type {
            PolicyType::Identity => identity
                .and_then(|i| i.sources.get(index))
                .map(String::as_str),
            PolicyType::PermissionsBoundary => identity.and_then(|i| i.boundary_source.as_deref()),
            PolicyType::Session => self.session_sources.get(index).map(String::as_str),
            PolicyType::Resource => self.resource_source.as_deref(),
            PolicyType::AccountRoot => None,
        }
    }
}

fn internal(e: impl std::fmt::Display) -> AwsError {
    crate::respond::internal_failure(format_args!("reading policies: {e}"))
}

pub async fn gather(
    app: &App,
    req: &AuthzRequest<'_>,
    principal: &Principal,
) -> Result<Inputs, AwsError> {
    let cache = app.policy_cache();
    let identity = match principal {
        Principal::Root { .. } => None,
        Principal::User { account, name, .. } => user_identity(app, account, name).await?,
        Principal::AssumedRole {
            account, role_name, ..
        } => role_identity(app, account, role_name).await?,
        Principal::FederatedUser { .. } => {
            let parent = req.caller.session.as_ref().map(|s| s.parent_arn.as_str());
            match parent.and_then(|a| Arn::parse(a).ok()) {
                Some(arn) if arn.resource == "root" => Some(Arc::new(Identity {
                    policies: cache
                        .compiled(ROOT_EQUIVALENT, PolicyKind::Identity)
                        .into_iter()
                        .collect(),
                    sources: vec![arn.to_string()],
                    ..Identity::default()
                })),
                Some(arn) => {
                    let account = AccountId::parse(&arn.account).map_err(internal)?;
                    let name = arn.resource.rsplit('/').next().unwrap_or("");
                    user_identity(app, &account, name).await?
                }
                None => None,
            }
        }
    };
    let mut inputs = Inputs {
        identity,
        ..Inputs::default()
    };
    if let Some(session) = &req.caller.session {
        let limited = session.kind == SessionKind::Federated
            || session.session_policy.is_some()
            || !session.policy_arns.is_empty();
        if limited {
            let mut list = Vec::new();
            if let Some(p) = session
                .session_policy
                .as_deref()
                .and_then(|doc| cache.compiled(doc, PolicyKind::Identity))
            {
                list.push(p);
                inputs
                    .session_sources
                    .push("inline session policy".to_owned());
            }
            for arn in &session.policy_arns {
                let Some(policy) = app.iam().managed_policy(arn).await.map_err(internal)? else {
                    continue;
                };
                if let Some(p) = policy
                    .default_document()
                    .and_then(|doc| cache.compiled(doc, PolicyKind::Identity))
                {
                    list.push(p);
                    inputs.session_sources.push(arn.clone());
                }
            }
            inputs.session = Some(list);
        }
    }
    if let Some(policy) = &req.resource_policy {
        inputs.resource = policy
            .document
            .and_then(|doc| cache.compiled(doc, PolicyKind::Resource));
        inputs.resource_source = Some(format!("resource policy of {}", policy.owner_arn));
        inputs.resource_account = Some(policy.account.to_owned());
    } else if req.service == Service::Sts && req.action == "AssumeRole" {
        if let Some((account, name)) = req
            .params
            .get("RoleArn")
            .and_then(tessera_sts::parse_role_arn)
        {
            if let Some(role) = role(app, &account, &name).await? {
                inputs.resource = cache.compiled(&role.assume_role_policy, PolicyKind::Trust);
                inputs.resource_source = Some(format!("trust policy of {}", role.arn()));
                inputs.resource_account = Some(account.to_string());
            }
        }
    }
    Ok(inputs)
}
