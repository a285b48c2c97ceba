//! Customer managed policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, their versions
//! (at most five; ids never reused), and attaching them to users, groups and roles
//! (Attach/Detach/ListAttached…, ListEntitiesForPolicy).
//!
//! It owns the policy record, its attachment count and the attachment indexes; it must never
//! change a user, group or role record.

use tessera_core::ids::{unique_id, IdPrefix};
use tessera_core::{AccountId, Arn};
use tessera_protocol::XmlWriter;
use tessera_store::Tx;

use crate::entity::{self, EntityRef, Kind};
use crate::model::{Attachment, EntityKind, ManagedPolicy, PolicyVersion, Tag};
use crate::validate::{self, Input, POLICY_NAME_MAX};
use crate::{db, keys, xml, Ctx, Iam, IamError, Output};

/// AWS's quota on a managed policy document (non-whitespace characters).
const POLICY_SIZE_QUOTA: usize = 6144;
const MAX_VERSIONS: usize = 5;
/// AWS's default quota of managed policies attached to one user, group or role.
const MAX_ATTACHED: usize = 10;

/// Where a policy ARN of the caller's account points: the record key, path and name.
fn locate(account: &AccountId, arn: &str) -> Result<Option<String>, IamError> {
    let parsed =
        Arn::parse(arn).map_err(|_| IamError::InvalidInput(format!("ARN {arn} is not valid.")))?;
    if parsed.service != "iam" || !parsed.resource.starts_with("policy/") {
        return Err(IamError::InvalidInput(format!("ARN {arn} is not valid.")));
    }
    if parsed.account != account.as_str() {
        return Ok(None);
    }
    let name = keys::child_part(&parsed.resource);
    Ok(Some(keys::entity(account, name)))
}

/// The policy an ARN names, in the caller's account; `NoSuchEntity` in AWS's words otherwise
/// (AWS managed policies do not exist in tessera).
pub(crate) fn load_by_arn(
    tx: &mut dyn Tx,
    account: &AccountId,
    arn: &str,
) -> Result<(String, ManagedPolicy), IamError> {
    let Some(key) = locate(account, arn)? else {
        return Err(IamError::no_such_policy(arn));
    };
    match db::get::<ManagedPolicy>(tx, keys::POLICY, &key)? {
        Some(p) if p.arn() == arn => Ok((key, p)),
        _ => Err(IamError::no_such_policy(arn)),
    }
}

/// Like [`load_by_arn`], in the words AWS uses when attaching.
pub(crate) fn load_attachable(
    tx: &mut dyn Tx,
    account: &AccountId,
    arn: &str,
) -> Result<(String, ManagedPolicy), IamError> {
    load_by_arn(tx, account, arn).map_err(|e| match e {
        IamError::NoSuchEntity(_) => IamError::not_attachable(arn),
        other => other,
    })
}

/// Validates a managed policy document: grammar, then AWS's size quota.
pub(crate) fn check_document(doc: &str) -> Result<(), IamError> {
    let size = validate::identity_policy(doc)?;
    if size > POLICY_SIZE_QUOTA {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for PolicySize: {POLICY_SIZE_QUOTA}"
        )));
    }
    Ok(())
}

pub(crate) struct NewPolicy {
    pub name: String,
    pub path: String,
    pub document: String,
    pub description: Option<String>,
    pub tags: Vec<Tag>,
}

pub(crate) fn create(
    tx: &mut dyn Tx,
    account: &AccountId,
    now: u64,
    new: NewPolicy,
) -> Result<ManagedPolicy, IamError> {
    let key = keys::entity(account, &new.name);
    if tx.get(keys::POLICY, &key)?.is_some() {
        return Err(IamError::EntityAlreadyExists(format!(
            "A policy called {} already exists. Duplicate names are not allowed.",
            new.name
        )));
    }
    let policy = ManagedPolicy {
        account: account.clone(),
        name: new.name,
        id: unique_id(IdPrefix::ManagedPolicy),
        path: new.path,
        created: now,
        updated: now,
        description: new.description,
        default_version: 1,
        next_version: 2,
        versions: vec![PolicyVersion {
            number: 1,
            document: new.document,
            created: now,
        }],
        attachment_count: 0,
        boundary_count: 0,
        tags: new.tags,
    };
    db::put(tx, keys::POLICY, &key, &policy)?;
    Ok(policy)
}

/// Attaches a policy to an entity; attaching twice is a no-op, as at AWS.
pub(crate) fn attach(
    tx: &mut dyn Tx,
    account: &AccountId,
    e: &EntityRef,
    arn: &str,
) -> Result<(), IamError> {
    let (pkey, mut policy) = load_by_arn(tx, account, arn)?;
    let akey = keys::child(&e.id, &policy.id);
    if tx.get(keys::ATTACH, &akey)?.is_some() {
        return Ok(());
    }
    if db::keys(tx, keys::ATTACH, &keys::children(&e.id))?.len() >= MAX_ATTACHED {
        let quota = match e.kind {
            Kind::User => "PoliciesPerUser",
            Kind::Group => "PoliciesPerGroup",
            Kind::Role => "PoliciesPerRole",
        };
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for {quota}: {MAX_ATTACHED}"
        )));
    }
    let a = Attachment {
        policy_name: policy.name.clone(),
        policy_arn: policy.arn(),
        policy_key: pkey.clone(),
    };
    db::put(tx, keys::ATTACH, &akey, &a)?;
    db::put(
        tx,
        keys::ATTACHED_TO,
        &keys::child(&policy.id, &e.id),
        &e.kind.model(),
    )?;
    policy.attachment_count += 1;
    db::put(tx, keys::POLICY, &pkey, &policy)
}

fn detach(tx: &mut dyn Tx, account: &AccountId, e: &EntityRef, arn: &str) -> Result<(), IamError> {
    let (pkey, mut policy) = load_by_arn(tx, account, arn)?;
    if !db::delete(tx, keys::ATTACH, &keys::child(&e.id, &policy.id))? {
        return Err(IamError::NoSuchEntity(format!(
            "Policy {arn} was not found."
        )));
    }
    db::delete(tx, keys::ATTACHED_TO, &keys::child(&policy.id, &e.id))?;
    policy.attachment_count = policy.attachment_count.saturating_sub(1);
    db::put(tx, keys::POLICY, &pkey, &policy)
}

/// The policies attached to an entity, as (name, ARN).
pub(crate) fn attached_to(
    tx: &mut dyn Tx,
    entity_id: &str,
) -> Result<Vec<(String, String)>, IamError> {
    Ok(
        db::scan_all::<Attachment>(tx, keys::ATTACH, &keys::children(entity_id))?
            .into_iter()
            .map(|(_, a)| (a.policy_name, a.policy_arn))
            .collect(),
    )
}

/// The path part of a policy ARN (`arn:aws:iam::1:policy/a/b/name` → `/a/b/`).
fn arn_path(arn: &str) -> &str {
    arn.split_once(":policy")
        .and_then(|(_, rest)| rest.rfind('/').map(|i| &rest[..=i]))
        .unwrap_or("/")
}

fn version_number(i: &Input<'_>) -> Result<(String, u32), IamError> {
    let v = i.required("VersionId")?;
    let n = v
        .strip_prefix('v')
        .filter(|d| !d.starts_with('0'))
        .and_then(|d| d.parse::<u32>().ok())
        .ok_or_else(|| {
            IamError::validation(
                Some(v),
                "versionId",
                "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
            )
        })?;
    Ok((v.to_owned(), n))
}

fn no_such_version(arn: &str, v: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "Policy {arn} version {v} does not exist or is not attachable."
    ))
}

fn policy_xml(p: &ManagedPolicy) -> String {
    let mut w = XmlWriter::new();
    w.open("Policy");
    xml::policy_fields(&mut w, p, true);
    w.close("Policy");
    w.finish()
}

impl Iam {
    pub(crate) async fn create_policy(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let name = i.name("PolicyName", POLICY_NAME_MAX)?;
        let path = i.path("Path")?;
        let document = i.document("PolicyDocument")?;
        let description = i.description("Description", 1000)?;
        let tags = i.tags("Tags")?;
        check_document(&document)?;
        let new = NewPolicy {
            name,
            path,
            document,
            description,
            tags,
        };
        let p = self
            .write(move |tx| create(tx, &ctx.account, ctx.now, new))
            .await?;
        Ok(Some(policy_xml(&p)))
    }

    pub(crate) async fn get_policy(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let arn = i.arn("PolicyArn")?;
        let (_, p) = self
            .read(move |tx| load_by_arn(tx, &ctx.account, &arn))
            .await?;
        Ok(Some(policy_xml(&p)))
    }

    pub(crate) async fn list_policies(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let scope = i.opt("Scope").unwrap_or("All");
        if !["All", "AWS", "Local"].contains(&scope) {
            return Err(IamError::validation(
                Some(scope),
                "scope",
                "Member must satisfy enum value set: [All, AWS, Local]",
            ));
        }
        let usage = i.opt("PolicyUsageFilter");
        if let Some(u) = usage.filter(|u| !["PermissionsPolicy", "PermissionsBoundary"].contains(u))
        {
            return Err(IamError::validation(
                Some(u),
                "policyUsageFilter",
                "Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]",
            ));
        }
        let usage = usage.map(str::to_owned);
        let only_attached = i.bool("OnlyAttached")?.unwrap_or(false);
        let prefix = i.path_prefix("PathPrefix")?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        // tessera has no AWS managed policies, so the AWS scope is always empty.
        let aws_only = scope == "AWS";
        let page = self
            .read(move |tx| {
                db::page(
                    tx,
                    keys::POLICY,
                    &keys::account_prefix(&ctx.account),
                    marker.as_deref(),
                    max,
                    |_, _, p: ManagedPolicy| {
                        let used = match usage.as_deref() {
                            Some("PermissionsPolicy") => p.attachment_count > 0,
                            Some(_) => p.boundary_count > 0,
                            None => p.attachment_count > 0 || p.boundary_count > 0,
                        };
                        let keep = !aws_only
                            && p.path.starts_with(&prefix)
                            && (!only_attached || p.attachment_count > 0)
                            && (usage.is_none() || used);
                        Ok(keep.then_some(p))
                    },
                )
            })
            .await?;
        let mut w = XmlWriter::new();
        xml::list(&mut w, "Policies", &page.items, |w, p| {
            xml::policy_fields(w, p, false)
        });
        xml::truncation(&mut w, page.marker.as_deref());
        Ok(Some(w.finish()))
    }

    pub(crate) async fn delete_policy(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let arn = i.arn("PolicyArn")?;
        self.write(move |tx| {
            let (key, p) = load_by_arn(tx, &ctx.account, &arn)?;
            if p.attachment_count > 0 || p.boundary_count > 0 {
                return Err(IamError::DeleteConflict(
                    "Cannot delete a policy attached to entities.".to_owned(),
                ));
            }
            if p.versions.len() > 1 {
                return Err(IamError::DeleteConflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.".to_owned(),
                ));
            }
            db::delete(tx, keys::POLICY, &key)?;
            Ok(())
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn create_policy_version(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let arn = i.arn("PolicyArn")?;
        let document = i.document("PolicyDocument")?;
        let set_default = i.bool("SetAsDefault")?.unwrap_or(false);
        check_document(&document)?;
        let (v, default) = self
            .write(move |tx| {
                let (key, mut p) = load_by_arn(tx, &ctx.account, &arn)?;
                if p.versions.len() >= MAX_VERSIONS {
                    return Err(IamError::LimitExceeded(
                        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.".to_owned(),
                    ));
                }
                let v = PolicyVersion { number: p.next_version, document, created: ctx.now };
                p.next_version += 1;
                if set_default {
                    p.default_version = v.number;
                    p.updated = ctx.now;
                }
                p.versions.push(v.clone());
                db::put(tx, keys::POLICY, &key, &p)?;
                Ok((v, p.default_version))
            })
            .await?;
        let mut w = XmlWriter::new();
        w.open("PolicyVersion");
        xml::version_fields(&mut w, &v, default, false);
        w.close("PolicyVersion");
        Ok(Some(w.finish()))
    }

    pub(crate) async fn get_policy_version(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let arn = i.arn("PolicyArn")?;
        let (vid, n) = version_number(i)?;
        let (v, default) = self
            .read(move |tx| {
                let (_, p) = load_by_arn(tx, &ctx.account, &arn)?;
                let v = p.versions.iter().find(|v| v.number == n).cloned();
                v.map(|v| (v, p.default_version))
                    .ok_or_else(|| no_such_version(&arn, &vid))
            })
            .await?;
        let mut w = XmlWriter::new();
        w.open("PolicyVersion");
        xml::version_fields(&mut w, &v, default, true);
        w.close("PolicyVersion");
        Ok(Some(w.finish()))
    }

    pub(crate) async fn list_policy_versions(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let arn = i.arn("PolicyArn")?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let (_, p) = self
            .read(move |tx| load_by_arn(tx, &ctx.account, &arn))
            .await?;
        let mut versions = p.versions.clone();
        // Newest first, as AWS lists them.
        versions.sort_by_key(|v| std::cmp::Reverse(v.number));
        let page = db::page_vec(versions, marker.as_deref(), max)?;
        let mut w = XmlWriter::new();
        xml::list(&mut w, "Versions", &page.items, |w, v| {
            xml::version_fields(w, v, p.default_version, false);
        });
        xml::truncation(&mut w, page.marker.as_deref());
        Ok(Some(w.finish()))
    }

    pub(crate) async fn set_default_policy_version(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let arn = i.arn("PolicyArn")?;
        let (vid, n) = version_number(i)?;
        self.write(move |tx| {
            let (key, mut p) = load_by_arn(tx, &ctx.account, &arn)?;
            if !p.versions.iter().any(|v| v.number == n) {
                return Err(no_such_version(&arn, &vid));
            }
            p.default_version = n;
            p.updated = ctx.now;
            db::put(tx, keys::POLICY, &key, &p)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn delete_policy_version(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let arn = i.arn("PolicyArn")?;
        let (vid, n) = version_number(i)?;
        self.write(move |tx| {
            let (key, mut p) = load_by_arn(tx, &ctx.account, &arn)?;
            if !p.versions.iter().any(|v| v.number == n) {
                return Err(no_such_version(&arn, &vid));
            }
            if p.default_version == n {
                return Err(IamError::DeleteConflict(
                    "Cannot delete the default version of a policy.".to_owned(),
                ));
            }
            p.versions.retain(|v| v.number != n);
            db::put(tx, keys::POLICY, &key, &p)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn attach(
        &self,
        kind: Kind,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name(kind.name_param(), kind.name_max())?;
        let arn = i.arn("PolicyArn")?;
        self.write(move |tx| {
            let e = entity::load(tx, kind, &ctx.account, &name)?;
            attach(tx, &ctx.account, &e, &arn)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn detach(
        &self,
        kind: Kind,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name(kind.name_param(), kind.name_max())?;
        let arn = i.arn("PolicyArn")?;
        self.write(move |tx| {
            let e = entity::load(tx, kind, &ctx.account, &name)?;
            detach(tx, &ctx.account, &e, &arn)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn list_attached(
        &self,
        kind: Kind,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name(kind.name_param(), kind.name_max())?;
        let prefix = i.path_prefix("PathPrefix")?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let page = self
            .read(move |tx| {
                let e = entity::load(tx, kind, &ctx.account, &name)?;
                db::page(
                    tx,
                    keys::ATTACH,
                    &keys::children(&e.id),
                    marker.as_deref(),
                    max,
                    |_, _, a: Attachment| {
                        Ok(arn_path(&a.policy_arn)
                            .starts_with(&prefix)
                            .then_some((a.policy_name, a.policy_arn)))
                    },
                )
            })
            .await?;
        let mut w = XmlWriter::new();
        xml::attached(&mut w, "AttachedPolicies", &page.items);
        xml::truncation(&mut w, page.marker.as_deref());
        Ok(Some(w.finish()))
    }

    pub(crate) async fn list_entities_for_policy(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let arn = i.arn("PolicyArn")?;
        let filter = i.opt("EntityFilter");
        let kinds: Vec<Kind> = match filter {
            None | Some("All") => vec![Kind::Group, Kind::User, Kind::Role],
            Some("User") => vec![Kind::User],
            Some("Group") => vec![Kind::Group],
            Some("Role") => vec![Kind::Role],
            Some("LocalManagedPolicy" | "AWSManagedPolicy") => Vec::new(),
            Some(f) => {
                return Err(IamError::validation(
                    Some(f),
                    "entityFilter",
                    "Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]",
                ))
            }
        };
        let usage = i.opt("PolicyUsageFilter").map(str::to_owned);
        let prefix = i.path_prefix("PathPrefix")?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let entities = self
            .read(move |tx| {
                let (_, p) = load_by_arn(tx, &ctx.account, &arn)?;
                let mut ids: Vec<String> = Vec::new();
                let sources = match usage.as_deref() {
                    Some("PermissionsPolicy") => vec![keys::ATTACHED_TO],
                    Some("PermissionsBoundary") => vec![keys::BOUNDARY_OF],
                    _ => vec![keys::ATTACHED_TO, keys::BOUNDARY_OF],
                };
                for ns in sources {
                    for (k, _) in db::scan_all::<EntityKind>(tx, ns, &keys::children(&p.id))? {
                        let id = keys::child_part(&k).to_owned();
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                }
                let mut out = Vec::new();
                for id in ids {
                    if let Some(e) = entity::by_id(tx, &id)? {
                        if kinds.contains(&e.kind) && e.path.starts_with(&prefix) {
                            out.push(e);
                        }
                    }
                }
                out.sort_by(|a, b| (a.kind as u8, &a.name).cmp(&(b.kind as u8, &b.name)));
                Ok(out)
            })
            .await?;
        let page = db::page_vec(entities, marker.as_deref(), max)?;
        let of =
            |k: Kind| -> Vec<&EntityRef> { page.items.iter().filter(|e| e.kind == k).collect() };
        let mut w = XmlWriter::new();
        for (kind, list, name_tag, id_tag) in [
            (Kind::Group, "PolicyGroups", "GroupName", "GroupId"),
            (Kind::User, "PolicyUsers", "UserName", "UserId"),
            (Kind::Role, "PolicyRoles", "RoleName", "RoleId"),
        ] {
            xml::list(&mut w, list, &of(kind), |w, e| {
                w.leaf(name_tag, &e.name);
                w.leaf(id_tag, &e.id);
            });
        }
        xml::truncation(&mut w, page.marker.as_deref());
        Ok(Some(w.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_paths() {
        assert_eq!(arn_path("arn:aws:iam::123456789012:policy/a/b/p"), "/a/b/");
        assert_eq!(arn_path("arn:aws:iam::123456789012:policy/p"), "/");
    }

    #[test]
    fn locate_rejects_non_policy_arns() {
        let a = AccountId::parse("123456789012").unwrap_or_else(|_| unreachable!());
        assert!(matches!(
            locate(&a, "not-an-arn-but-long-enough"),
            Err(IamError::InvalidInput(_))
        ));
        assert!(matches!(
            locate(&a, "arn:aws:iam::123456789012:user/bob"),
            Err(IamError::InvalidInput(_))
        ));
        assert_eq!(
            locate(&a, "arn:aws:iam::aws:policy/ReadOnlyAccess").ok(),
            Some(None)
        );
        assert_eq!(
            locate(&a, "arn:aws:iam::123456789012:policy/x/P").ok(),
            Some(Some("123456789012/p".to_owned()))
        );
    }
}
