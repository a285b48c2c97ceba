//! Permissions boundaries of users and roles: Put/Delete…PermissionsBoundary, and the bookkeeping
//! (the policy's usage count and the `iam.boundary_of` index) that CreateUser, CreateRole and the
//! deletes share.
//!
//! It must never attach policies as permissions; that is `managed_policies`.

use tessera_core::AccountId;
use tessera_store::Tx;

use crate::entity::{self, Kind};
use crate::model::EntityKind;
use crate::validate::Input;
use crate::{db, keys, managed_policies, Ctx, Iam, IamError, Output};

/// Moves an entity's boundary from `old` to `new` (either may be absent), keeping the policies'
/// usage counts and the reverse index right. `new` must name a policy of the account.
pub(crate) fn set(
    tx: &mut dyn Tx,
    account: &AccountId,
    entity_id: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(), IamError> {
    if old == new {
        return Ok(());
    }
    let kind = if entity_id.starts_with("AROA") {
        EntityKind::Role
    } else {
        EntityKind::User
    };
    if let Some(arn) = new {
        let (key, mut p) = managed_policies::load_attachable(tx, account, arn)?;
        p.boundary_count += 1;
        db::put(tx, keys::BOUNDARY_OF, &keys::child(&p.id, entity_id), &kind)?;
        db::put(tx, keys::POLICY, &key, &p)?;
    }
    if let Some(arn) = old {
        // The old policy cannot have been deleted while it was in use; tolerate it anyway.
        if let Ok((key, mut p)) = managed_policies::load_by_arn(tx, account, arn) {
            p.boundary_count = p.boundary_count.saturating_sub(1);
            db::delete(tx, keys::BOUNDARY_OF, &keys::child(&p.id, entity_id))?;
            db::put(tx, keys::POLICY, &key, &p)?;
        }
    }
    Ok(())
}

/// Sets or clears the boundary of a user or role by name.
pub(crate) fn put(
    tx: &mut dyn Tx,
    kind: Kind,
    account: &AccountId,
    name: &str,
    arn: Option<String>,
) -> Result<(), IamError> {
    match kind {
        Kind::User => {
            let mut u = entity::load_user(tx, account, name)?;
            set(
                tx,
                account,
                &u.id,
                u.permissions_boundary.as_deref(),
                arn.as_deref(),
            )?;
            u.permissions_boundary = arn;
            db::put(tx, keys::USER, &keys::entity(account, &u.name), &u)
        }
        Kind::Role => {
            let mut r = entity::load_role(tx, account, name)?;
            set(
                tx,
                account,
                &r.id,
                r.permissions_boundary.as_deref(),
                arn.as_deref(),
            )?;
            r.permissions_boundary = arn;
            db::put(tx, keys::ROLE, &keys::entity(account, &r.name), &r)
        }
        Kind::Group => Err(IamError::InvalidInput(
            "Groups have no permissions boundary.".to_owned(),
        )),
    }
}

impl Iam {
    pub(crate) async fn put_boundary(
        &self,
        kind: Kind,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name(kind.name_param(), kind.name_max())?;
        let arn = i.arn("PermissionsBoundary")?;
        self.write(move |tx| put(tx, kind, &ctx.account, &name, Some(arn)))
            .await?;
        Ok(None)
    }

    pub(crate) async fn delete_boundary(
        &self,
        kind: Kind,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name(kind.name_param(), kind.name_max())?;
        self.write(move |tx| put(tx, kind, &ctx.account, &name, None))
            .await?;
        Ok(None)
    }
}
