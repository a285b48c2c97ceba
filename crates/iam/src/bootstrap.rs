//! The bootstrap file: accounts, users with fixed access keys, groups, roles, managed policies and
//! OpenID Connect providers declared in TOML and applied idempotently at start.
//!
//! Everything is validated as the IAM API would validate it before anything is written; each
//! account is then applied in one transaction. This module must never read files (the server
//! parses the file and hands over a [`Bootstrap`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use tessera_core::AccountId;
use tessera_store::Tx;

use crate::entity::{self, EntityRef, Kind};
use crate::model::{InlinePolicy, ManagedPolicy, PolicyVersion, Tag};
use crate::validate::{self, GROUP_NAME_MAX, POLICY_NAME_MAX, ROLE_NAME_MAX, USER_NAME_MAX};
use crate::{
    access_keys, accounts, boundaries, db, groups, inline_policies, keys, managed_policies,
    oidc_providers, roles, tags, users, Iam, IamError, SecretCipher,
};

/// The declared initial state. A complete example (also in `examples/bootstrap.toml`):
///
/// ```toml
/// [[account]]
/// id = "000000000000"
/// display_name = "ci"                       # S3 owner display name (optional)
/// canonical_user_id = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
/// root_access_key_id = "AKIAROOTEXAMPLE00001"
/// root_secret_access_key = "rootsecretrootsecretrootsecretrootsecret"
///
/// [[account.policy]]
/// name = "ReadQueues"
/// path = "/app/"
/// description = "Read every queue"
/// document = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:Receive*","Resource":"*"}]}'''
///
/// [[account.group]]
/// name = "developers"
/// managed_policies = ["arn:aws:iam::000000000000:policy/app/ReadQueues"]
/// inline_policies = { ListAll = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:List*","Resource":"*"}]}''' }
///
/// [[account.user]]
/// name = "alice"
/// path = "/staff/"
/// groups = ["developers"]
/// permissions_boundary = "arn:aws:iam::000000000000:policy/app/ReadQueues"
/// tags = { team = "platform" }
/// inline_policies = { OwnBucket = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::alice/*"}]}''' }
///
/// [[account.user.access_key]]
/// id = "AKIAALICEEXAMPLE0001"
/// secret = "alicesecretalicesecretalicesecretalices0"
///
/// [[account.role]]
/// name = "deployer"
/// description = "Assumed by CI"
/// max_session_duration = 7200
/// trust_policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}'''
/// managed_policies = ["arn:aws:iam::000000000000:policy/app/ReadQueues"]
/// tags = { purpose = "ci" }
///
/// [[account.oidc_provider]]
/// url = "https://token.actions.githubusercontent.com"
/// client_ids = ["sts.amazonaws.com"]
/// thumbprints = ["6938fd4d98bab03faadb97b34396831e3780aea1"]   # optional
/// tags = { purpose = "ci" }
/// ```
///
/// Applying it twice changes nothing the second time. Entities that already exist are completed,
/// never removed: missing memberships, attachments, inline policies, tags, access keys and OIDC
/// client ids are added; a declared trust policy, session duration, description, boundary,
/// thumbprint list or managed policy document that differs replaces the stored one (a changed
/// managed policy document becomes a new default version).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bootstrap {
    #[serde(default)]
    pub account: Vec<BootstrapAccount>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapAccount {
    pub id: AccountId,
    pub display_name: Option<String>,
    pub canonical_user_id: Option<String>,
    pub root_access_key_id: Option<String>,
    pub root_secret_access_key: Option<String>,
    #[serde(default)]
    pub user: Vec<BootstrapUser>,
    #[serde(default)]
    pub group: Vec<BootstrapGroup>,
    #[serde(default)]
    pub role: Vec<BootstrapRole>,
    #[serde(default)]
    pub policy: Vec<BootstrapPolicy>,
    #[serde(default)]
    pub oidc_provider: Vec<BootstrapOidcProvider>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapUser {
    pub name: String,
    pub path: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// ARNs of managed policies to attach.
    #[serde(default)]
    pub managed_policies: Vec<String>,
    /// Inline policies, name → JSON document.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub access_key: Vec<BootstrapAccessKey>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapAccessKey {
    pub id: String,
    pub secret: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapGroup {
    pub name: String,
    pub path: Option<String>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapRole {
    pub name: String,
    pub path: Option<String>,
    /// The trust (assume-role) policy, JSON.
    pub trust_policy: String,
    pub max_session_duration: Option<u32>,
    pub description: Option<String>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapPolicy {
    pub name: String,
    pub path: Option<String>,
    pub document: String,
    pub description: Option<String>,
}

/// An OpenID Connect provider for `AssumeRoleWithWebIdentity`, e.g. a CI system's token issuer.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapOidcProvider {
    /// The issuer, `https://host[/path]`.
    pub url: String,
    /// Accepted audiences.
    #[serde(default)]
    pub client_ids: Vec<String>,
    /// SHA-1 certificate thumbprints (optional, at most five).
    #[serde(default)]
    pub thumbprints: Vec<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// The declared provider, validated as CreateOpenIDConnectProvider validates it.
fn oidc_declared(o: &BootstrapOidcProvider) -> Result<oidc_providers::Declared, IamError> {
    let (url, host_and_path) = oidc_providers::check_url(&o.url)?;
    Ok(oidc_providers::Declared {
        url,
        host_and_path,
        client_ids: oidc_providers::check_client_ids(o.client_ids.iter().map(String::as_str))?,
        thumbprints: oidc_providers::check_thumbprints(o.thumbprints.iter().map(String::as_str))?,
        tags: tag_list(&o.tags)?,
    })
}

/// Names the bootstrap item an error is about, so the operator can find it in the file.
fn at(item: String) -> impl FnOnce(IamError) -> IamError {
    move |e| IamError::Bootstrap {
        item,
        source: Box::new(e),
    }
}

fn path_of(p: Option<&String>) -> String {
    p.cloned().unwrap_or_else(|| "/".to_owned())
}

fn tag_list(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, IamError> {
    if tags.len() > 50 {
        return Err(IamError::LimitExceeded(
            "An entity can have at most 50 tags.".to_owned(),
        ));
    }
    tags.iter()
        .map(|(k, v)| {
            validate::check_tag_key(k)?;
            validate::check_tag_value(v)?;
            Ok(Tag {
                key: k.clone(),
                value: v.clone(),
            })
        })
        .collect()
}

fn check_inline(policies: &BTreeMap<String, String>) -> Result<(), IamError> {
    for (name, doc) in policies {
        validate::check_name(name, "PolicyName", POLICY_NAME_MAX)?;
        validate::check_document(doc, "PolicyDocument")?;
        validate::identity_policy(doc)?;
    }
    Ok(())
}

/// Validates an account's declarations as the API would, before anything is written.
fn check(a: &BootstrapAccount) -> Result<(), IamError> {
    let acct = a.id.as_str();
    if a.root_access_key_id.is_some() != a.root_secret_access_key.is_some() {
        return Err(at(format!("account {acct}"))(IamError::InvalidInput(
            "root_access_key_id and root_secret_access_key go together.".to_owned(),
        )));
    }
    if let Some(id) = &a.root_access_key_id {
        check_key(id).map_err(at(format!("account {acct} root key")))?;
    }
    for p in &a.policy {
        (|| {
            validate::check_name(&p.name, "PolicyName", POLICY_NAME_MAX)?;
            validate::check_path(&path_of(p.path.as_ref()), "Path")?;
            validate::check_document(&p.document, "PolicyDocument")?;
            managed_policies::check_document(&p.document)
        })()
        .map_err(at(format!("account {acct} policy {}", p.name)))?;
    }
    for g in &a.group {
        (|| {
            validate::check_name(&g.name, "GroupName", GROUP_NAME_MAX)?;
            validate::check_path(&path_of(g.path.as_ref()), "Path")?;
            check_inline(&g.inline_policies)
        })()
        .map_err(at(format!("account {acct} group {}", g.name)))?;
    }
    for u in &a.user {
        (|| {
            validate::check_name(&u.name, "UserName", USER_NAME_MAX)?;
            validate::check_path(&path_of(u.path.as_ref()), "Path")?;
            check_inline(&u.inline_policies)?;
            tag_list(&u.tags)?;
            u.access_key.iter().try_for_each(|k| check_key(&k.id))
        })()
        .map_err(at(format!("account {acct} user {}", u.name)))?;
    }
    for r in &a.role {
        (|| {
            validate::check_name(&r.name, "RoleName", ROLE_NAME_MAX)?;
            validate::check_path(&path_of(r.path.as_ref()), "Path")?;
            validate::check_document(&r.trust_policy, "AssumeRolePolicyDocument")?;
            roles::check_trust_policy(&r.trust_policy)?;
            if let Some(m) = r.max_session_duration {
                roles::check_max_session(m)?;
            }
            check_inline(&r.inline_policies)?;
            tag_list(&r.tags).map(drop)
        })()
        .map_err(at(format!("account {acct} role {}", r.name)))?;
    }
    for o in &a.oidc_provider {
        oidc_declared(o).map_err(at(format!("account {acct} oidc_provider {}", o.url)))?;
    }
    Ok(())
}

fn check_key(id: &str) -> Result<(), IamError> {
    let ok = (16..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(IamError::InvalidInput(format!(
            "{id} is not a valid access key id."
        )))
    }
}

/// Puts the declared inline policies that are missing or differ.
fn ensure_inline(
    tx: &mut dyn Tx,
    e: &EntityRef,
    policies: &BTreeMap<String, String>,
) -> Result<(), IamError> {
    for (name, doc) in policies {
        let current = db::get::<InlinePolicy>(tx, keys::INLINE, &keys::inline(&e.id, name))?;
        if current.is_none_or(|p| p.document != *doc || p.name != *name) {
            inline_policies::put(tx, e, name, doc)?;
        }
    }
    Ok(())
}

fn ensure_attached(
    tx: &mut dyn Tx,
    account: &AccountId,
    e: &EntityRef,
    arns: &[String],
) -> Result<(), IamError> {
    arns.iter()
        .try_for_each(|arn| managed_policies::attach(tx, account, e, arn))
}

fn ensure_policy(
    tx: &mut dyn Tx,
    account: &AccountId,
    now: u64,
    p: &BootstrapPolicy,
) -> Result<(), IamError> {
    let key = keys::entity(account, &p.name);
    let Some(mut current) = db::get::<ManagedPolicy>(tx, keys::POLICY, &key)? else {
        let new = managed_policies::NewPolicy {
            name: p.name.clone(),
            path: path_of(p.path.as_ref()),
            document: p.document.clone(),
            description: p.description.clone(),
            tags: Vec::new(),
        };
        return managed_policies::create(tx, account, now, new).map(drop);
    };
    if current.default_document() == Some(p.document.as_str()) {
        return Ok(());
    }
    // A changed document becomes the new default version; the oldest other version makes room.
    if current.versions.len() >= 5 {
        let default = current.default_version;
        if let Some(pos) = current.versions.iter().position(|v| v.number != default) {
            current.versions.remove(pos);
        }
    }
    let number = current.next_version;
    current.versions.push(PolicyVersion {
        number,
        document: p.document.clone(),
        created: now,
    });
    current.next_version += 1;
    current.default_version = number;
    current.updated = now;
    db::put(tx, keys::POLICY, &key, &current)
}

fn ensure_group(
    tx: &mut dyn Tx,
    account: &AccountId,
    now: u64,
    g: &BootstrapGroup,
) -> Result<(), IamError> {
    if db::get::<crate::model::Group>(tx, keys::GROUP, &keys::entity(account, &g.name))?.is_none() {
        groups::create(tx, account, now, g.name.clone(), path_of(g.path.as_ref()))?;
    }
    let e = entity::load(tx, Kind::Group, account, &g.name)?;
    ensure_inline(tx, &e, &g.inline_policies)?;
    ensure_attached(tx, account, &e, &g.managed_policies)
}

fn ensure_user(
    tx: &mut dyn Tx,
    cipher: &dyn SecretCipher,
    account: &AccountId,
    now: u64,
    u: &BootstrapUser,
) -> Result<(), IamError> {
    let declared_tags = tag_list(&u.tags)?;
    let user = match db::get::<crate::model::User>(tx, keys::USER, &keys::entity(account, &u.name))?
    {
        None => users::create(
            tx,
            account,
            now,
            users::NewUser {
                name: u.name.clone(),
                path: path_of(u.path.as_ref()),
                boundary: u.permissions_boundary.clone(),
                tags: declared_tags,
            },
        )?,
        Some(mut user) => {
            let mut merged = user.tags.clone();
            tags::merge(&mut merged, declared_tags)?;
            if merged != user.tags {
                user.tags = merged;
                db::put(tx, keys::USER, &keys::entity(account, &user.name), &user)?;
            }
            if u.permissions_boundary.is_some()
                && u.permissions_boundary != user.permissions_boundary
            {
                boundaries::put(
                    tx,
                    Kind::User,
                    account,
                    &user.name,
                    u.permissions_boundary.clone(),
                )?;
            }
            user
        }
    };
    let e = entity::load(tx, Kind::User, account, &user.name)?;
    for g in &u.groups {
        let group = entity::load_group(tx, account, g)?;
        groups::add_member(tx, &user, &group)?;
    }
    ensure_inline(tx, &e, &u.inline_policies)?;
    ensure_attached(tx, account, &e, &u.managed_policies)?;
    for k in &u.access_key {
        access_keys::ensure_fixed(tx, cipher, account, Some(&user.id), &k.id, &k.secret, now)?;
    }
    Ok(())
}

fn ensure_role(
    tx: &mut dyn Tx,
    account: &AccountId,
    now: u64,
    r: &BootstrapRole,
) -> Result<(), IamError> {
    let declared_tags = tag_list(&r.tags)?;
    match db::get::<crate::model::Role>(tx, keys::ROLE, &keys::entity(account, &r.name))? {
        None => {
            let new = roles::NewRole {
                name: r.name.clone(),
                path: path_of(r.path.as_ref()),
                trust_policy: r.trust_policy.clone(),
                description: r.description.clone(),
                max_session_duration: r.max_session_duration.unwrap_or(roles::DEFAULT_MAX_SESSION),
                boundary: r.permissions_boundary.clone(),
                tags: declared_tags,
            };
            roles::create(tx, account, now, new)?;
        }
        Some(role) => {
            let mut updated = role.clone();
            updated.assume_role_policy.clone_from(&r.trust_policy);
            if let Some(m) = r.max_session_duration {
                updated.max_session_duration = m;
            }
            if r.description.is_some() {
                updated.description.clone_from(&r.description);
            }
            tags::merge(&mut updated.tags, declared_tags)?;
            if updated != role {
                db::put(tx, keys::ROLE, &keys::entity(account, &role.name), &updated)?;
            }
            if r.permissions_boundary.is_some()
                && r.permissions_boundary != role.permissions_boundary
            {
                boundaries::put(
                    tx,
                    Kind::Role,
                    account,
                    &role.name,
                    r.permissions_boundary.clone(),
                )?;
            }
        }
    }
    let e = entity::load(tx, Kind::Role, account, &r.name)?;
    ensure_inline(tx, &e, &r.inline_policies)?;
    ensure_attached(tx, account, &e, &r.managed_policies)
}

fn apply_account(
    tx: &mut dyn Tx,
    cipher: &dyn SecretCipher,
    now: u64,
    a: &BootstrapAccount,
) -> Result<(), IamError> {
    let id = &a.id;
    accounts::ensure(
        tx,
        id,
        now,
        a.display_name.as_deref(),
        a.canonical_user_id.as_deref(),
    )
    .map_err(at(format!("account {id}")))?;
    if let (Some(kid), Some(secret)) = (&a.root_access_key_id, &a.root_secret_access_key) {
        access_keys::ensure_fixed(tx, cipher, id, None, kid, secret, now)
            .map_err(at(format!("account {id} root key")))?;
    }
    for p in &a.policy {
        ensure_policy(tx, id, now, p).map_err(at(format!("account {id} policy {}", p.name)))?;
    }
    for g in &a.group {
        ensure_group(tx, id, now, g).map_err(at(format!("account {id} group {}", g.name)))?;
    }
    for u in &a.user {
        ensure_user(tx, cipher, id, now, u).map_err(at(format!("account {id} user {}", u.name)))?;
    }
    for r in &a.role {
        ensure_role(tx, id, now, r).map_err(at(format!("account {id} role {}", r.name)))?;
    }
    for o in &a.oidc_provider {
        let item = || format!("account {id} oidc_provider {}", o.url);
        let declared = oidc_declared(o).map_err(at(item()))?;
        oidc_providers::ensure(tx, id, now, declared).map_err(at(item()))?;
    }
    Ok(())
}

impl Iam {
    /// Applies a bootstrap declaration: validates all of it, then applies each account in one
    /// transaction. Idempotent.
    pub async fn apply_bootstrap(&self, b: &Bootstrap) -> Result<(), IamError> {
        b.account.iter().try_for_each(check)?;
        for a in &b.account {
            let a = a.clone();
            let cipher = Arc::clone(&self.inner.cipher);
            let now = self.now();
            self.write(move |tx| apply_account(tx, cipher.as_ref(), now, &a))
                .await?;
        }
        Ok(())
    }
}
