//! Inline policies of users, groups and roles: Put/Get/List/Delete{User,Group,Role}Policy.
//!
//! AWS's quota applies to the total size of an entity's inline policies (users 2048, groups 5120,
//! roles 10240 non-whitespace characters). Policy names compare case-insensitively. This module
//! must never change the entity records themselves.

use tessera_core::AccountId;
use tessera_protocol::XmlWriter;
use tessera_store::Tx;

use crate::entity::{self, EntityRef, Kind};
use crate::model::InlinePolicy;
use crate::validate::{self, Input, POLICY_NAME_MAX};
use crate::{db, keys, xml, Ctx, Iam, IamError, Output};

/// Stores (or replaces) an inline policy after checking the entity's total size quota.
pub(crate) fn put(
    tx: &mut dyn Tx,
    e: &EntityRef,
    name: &str,
    document: &str,
) -> Result<(), IamError> {
    let size = validate::identity_policy(document)?;
    let key = keys::inline(&e.id, name);
    let others: usize = db::scan_all::<InlinePolicy>(tx, keys::INLINE, &keys::children(&e.id))?
        .into_iter()
        .filter(|(k, _)| *k != key)
        .map(|(_, p)| tessera_policy::policy_size(&p.document))
        .sum();
    let quota = e.kind.inline_quota();
    if others + size > quota {
        return Err(IamError::LimitExceeded(format!(
            "Maximum policy size of {quota} bytes exceeded for {} {}",
            e.kind.noun(),
            e.name
        )));
    }
    db::put(
        tx,
        keys::INLINE,
        &key,
        &InlinePolicy {
            name: name.to_owned(),
            document: document.to_owned(),
        },
    )
}

/// The inline policies of an entity, in name order.
pub(crate) fn of(tx: &mut dyn Tx, entity_id: &str) -> Result<Vec<InlinePolicy>, IamError> {
    Ok(
        db::scan_all::<InlinePolicy>(tx, keys::INLINE, &keys::children(entity_id))?
            .into_iter()
            .map(|(_, p)| p)
            .collect(),
    )
}

fn no_such_policy(kind: Kind, name: &str) -> IamError {
    IamError::NoSuchEntity(format!(
        "The {} policy with name {name} cannot be found.",
        kind.noun()
    ))
}

fn load(
    tx: &mut dyn Tx,
    kind: Kind,
    account: &AccountId,
    entity: &str,
    policy: &str,
) -> Result<(EntityRef, InlinePolicy), IamError> {
    let e = entity::load(tx, kind, account, entity)?;
    let p = db::get::<InlinePolicy>(tx, keys::INLINE, &keys::inline(&e.id, policy))?
        .ok_or_else(|| no_such_policy(kind, policy))?;
    Ok((e, p))
}

impl Iam {
    pub(crate) async fn put_inline(
        &self,
        kind: Kind,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name(kind.name_param(), kind.name_max())?;
        let policy = i.name("PolicyName", POLICY_NAME_MAX)?;
        let doc = i.document("PolicyDocument")?;
        validate::identity_policy(&doc)?;
        self.write(move |tx| {
            let e = entity::load(tx, kind, &ctx.account, &name)?;
            put(tx, &e, &policy, &doc)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn get_inline(
        &self,
        kind: Kind,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name(kind.name_param(), kind.name_max())?;
        let policy = i.name("PolicyName", POLICY_NAME_MAX)?;
        let (e, p) = self
            .read(move |tx| load(tx, kind, &ctx.account, &name, &policy))
            .await?;
        let mut w = XmlWriter::new();
        w.leaf(kind.name_param(), &e.name);
        w.leaf("PolicyName", &p.name);
        w.leaf("PolicyDocument", &xml::encode_document(&p.document));
        Ok(Some(w.finish()))
    }

    pub(crate) async fn list_inline(
        &self,
        kind: Kind,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name(kind.name_param(), kind.name_max())?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let page = self
            .read(move |tx| {
                let e = entity::load(tx, kind, &ctx.account, &name)?;
                db::page(
                    tx,
                    keys::INLINE,
                    &keys::children(&e.id),
                    marker.as_deref(),
                    max,
                    |_, _, p: InlinePolicy| Ok(Some(p.name)),
                )
            })
            .await?;
        let mut w = XmlWriter::new();
        xml::string_list(&mut w, "PolicyNames", &page.items);
        xml::truncation(&mut w, page.marker.as_deref());
        Ok(Some(w.finish()))
    }

    pub(crate) async fn delete_inline(
        &self,
        kind: Kind,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = i.name(kind.name_param(), kind.name_max())?;
        let policy = i.name("PolicyName", POLICY_NAME_MAX)?;
        self.write(move |tx| {
            let (e, p) = load(tx, kind, &ctx.account, &name, &policy)?;
            db::delete(tx, keys::INLINE, &keys::inline(&e.id, &p.name))?;
            Ok(())
        })
        .await?;
        Ok(None)
    }
}
