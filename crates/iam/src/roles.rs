//! IAM roles: CreateRole (the trust policy validated as one), GetRole, UpdateRole,
//! UpdateAssumeRolePolicy, DeleteRole (DeleteConflict while policies remain) and ListRoles.
//!
//! It must never change another entity's records except through their owners' helpers.

use tessera_core::ids::{unique_id, IdPrefix};
use tessera_core::AccountId;
use tessera_protocol::XmlWriter;
use tessera_store::Tx;

use crate::entity::{self, Kind};
use crate::model::{Role, Tag};
use crate::validate::{self, Input, ROLE_NAME_MAX};
use crate::{boundaries, db, keys, xml, Ctx, Iam, IamError, Output};

/// AWS's default quota on a trust policy (non-whitespace characters).
const TRUST_POLICY_QUOTA: usize = 2048;
pub(crate) const DEFAULT_MAX_SESSION: u32 = 3600;
const MIN_SESSION: i64 = 3600;
const MAX_SESSION: i64 = 43200;

/// Validates a trust policy: grammar, then AWS's size quota.
pub(crate) fn check_trust_policy(doc: &str) -> Result<(), IamError> {
    if validate::trust_policy(doc)? > TRUST_POLICY_QUOTA {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_QUOTA}"
        )));
    }
    Ok(())
}

/// Checks a `MaxSessionDuration` given outside a request (the bootstrap file).
pub(crate) fn check_max_session(seconds: u32) -> Result<(), IamError> {
    if (MIN_SESSION..=MAX_SESSION).contains(&i64::from(seconds)) {
        Ok(())
    } else {
        Err(IamError::validation(
            Some(&seconds.to_string()),
            "maxSessionDuration",
            "Member must have value between 3600 and 43200",
        ))
    }
}

pub(crate) struct NewRole {
    pub name: String,
    pub path: String,
    pub trust_policy: String,
    pub description: Option<String>,
    pub max_session_duration: u32,
    pub boundary: Option<String>,
    pub tags: Vec<Tag>,
}

pub(crate) fn create(
    tx: &mut dyn Tx,
    account: &AccountId,
    now: u64,
    new: NewRole,
) -> Result<Role, IamError> {
    let key = keys::entity(account, &new.name);
    if tx.get(keys::ROLE, &key)?.is_some() {
        return Err(IamError::already_exists("Role", &new.name));
    }
    let mut role = Role {
        account: account.clone(),
        name: new.name,
        id: unique_id(IdPrefix::Role),
        path: new.path,
        created: now,
        assume_role_policy: new.trust_policy,
        description: new.description,
        max_session_duration: new.max_session_duration,
        permissions_boundary: None,
        tags: new.tags,
    };
    if let Some(arn) = new.boundary {
        boundaries::set(tx, account, &role.id, None, Some(&arn))?;
        role.permissions_boundary = Some(arn);
    }
    db::put(tx, keys::ROLE, &key, &role)?;
    entity::index_id(tx, &role.id, Kind::Role, &key)?;
    Ok(role)
}

fn role_xml(r: &Role) -> String {
    let mut w = XmlWriter::new();
    w.open("Role");
    xml::role_fields(&mut w, r, true);
    w.close("Role");
    w.finish()
}

fn max_session(i: &Input<'_>) -> Result<Option<u32>, IamError> {
    Ok(i.int_in("MaxSessionDuration", MIN_SESSION, MAX_SESSION)?
        .and_then(|n| u32::try_from(n).ok()))
}

impl Iam {
    pub(crate) async fn create_role(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let name = i.name("RoleName", ROLE_NAME_MAX)?;
        let path = i.path("Path")?;
        let trust_policy = i.document("AssumeRolePolicyDocument")?;
        let description = i.role_description()?;
        let max_session_duration = max_session(i)?.unwrap_or(DEFAULT_MAX_SESSION);
        let boundary = i.opt_arn("PermissionsBoundary")?;
        let tags = i.tags("Tags")?;
        check_trust_policy(&trust_policy)?;
        let new = NewRole {
            name,
            path,
            trust_policy,
            description,
            max_session_duration,
            boundary,
            tags,
        };
        let role = self
            .write(move |tx| create(tx, &ctx.account, ctx.now, new))
            .await?;
        Ok(Some(role_xml(&role)))
    }

    pub(crate) async fn get_role_action(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name("RoleName", ROLE_NAME_MAX)?;
        let role = self
            .read_short(move |tx| entity::load_role(tx, &ctx.account, &name))
            .await?;
        Ok(Some(role_xml(&role)))
    }

    pub(crate) async fn update_role(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let name = i.name("RoleName", ROLE_NAME_MAX)?;
        let description = i.role_description()?;
        let max = max_session(i)?;
        self.write(move |tx| {
            let mut r = entity::load_role(tx, &ctx.account, &name)?;
            if let Some(d) = description {
                r.description = Some(d);
            }
            if let Some(m) = max {
                r.max_session_duration = m;
            }
            db::put(tx, keys::ROLE, &keys::entity(&ctx.account, &r.name), &r)
        })
        .await?;
        // UpdateRole has an (empty) output structure, so AWS sends an empty Result element.
        Ok(Some(String::new()))
    }

    pub(crate) async fn update_assume_role_policy(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name("RoleName", ROLE_NAME_MAX)?;
        let doc = i.document("PolicyDocument")?;
        check_trust_policy(&doc)?;
        self.write(move |tx| {
            let mut r = entity::load_role(tx, &ctx.account, &name)?;
            r.assume_role_policy = doc;
            db::put(tx, keys::ROLE, &keys::entity(&ctx.account, &r.name), &r)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn delete_role(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let name = i.name("RoleName", ROLE_NAME_MAX)?;
        self.write(move |tx| {
            let r = entity::load_role(tx, &ctx.account, &name)?;
            let own = keys::children(&r.id);
            if db::any(tx, keys::INLINE, &own)? {
                return Err(IamError::conflict("delete policies"));
            }
            if db::any(tx, keys::ATTACH, &own)? {
                return Err(IamError::conflict("detach all policies"));
            }
            boundaries::set(
                tx,
                &ctx.account,
                &r.id,
                r.permissions_boundary.as_deref(),
                None,
            )?;
            db::delete(tx, keys::ROLE, &keys::entity(&ctx.account, &r.name))?;
            db::delete(tx, keys::ID, &r.id)?;
            Ok(())
        })
        .await?;
        Ok(None)
    }
}
