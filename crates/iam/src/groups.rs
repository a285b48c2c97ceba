//! IAM groups and membership: CreateGroup, GetGroup (with its users), UpdateGroup, DeleteGroup,
//! ListGroups, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser.
//!
//! Membership is two index rows (`iam.member_of`, `iam.group_members`) keyed by unique ids, so
//! renames never touch it. This module must never change a user record.

use tessera_core::ids::{unique_id, IdPrefix};
use tessera_core::AccountId;
use tessera_protocol::XmlWriter;
use tessera_store::Tx;

use crate::entity::{self, Kind};
use crate::model::{Group, User};
use crate::validate::{Input, EXISTING_USER_NAME_MAX, GROUP_NAME_MAX};
use crate::{db, keys, xml, Ctx, Iam, IamError, Output};

/// AWS's quota of groups one user may belong to.
const MAX_GROUPS_PER_USER: usize = 10;

pub(crate) fn create(
    tx: &mut dyn Tx,
    account: &AccountId,
    now: u64,
    name: String,
    path: String,
) -> Result<Group, IamError> {
    let key = keys::entity(account, &name);
    if tx.get(keys::GROUP, &key)?.is_some() {
        return Err(IamError::already_exists("Group", &name));
    }
    let g = Group {
        account: account.clone(),
        name,
        id: unique_id(IdPrefix::Group),
        path,
        created: now,
    };
    db::put(tx, keys::GROUP, &key, &g)?;
    entity::index_id(tx, &g.id, Kind::Group, &key)?;
    Ok(g)
}

/// Adds a user to a group; adding twice is a no-op, as at AWS.
pub(crate) fn add_member(tx: &mut dyn Tx, user: &User, group: &Group) -> Result<(), IamError> {
    let k = keys::child(&user.id, &group.id);
    if tx.get(keys::MEMBER_OF, &k)?.is_some() {
        return Ok(());
    }
    if db::keys(tx, keys::MEMBER_OF, &keys::children(&user.id))?.len() >= MAX_GROUPS_PER_USER {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}"
        )));
    }
    db::put(tx, keys::MEMBER_OF, &k, &())?;
    db::put(tx, keys::MEMBERS, &keys::child(&group.id, &user.id), &())
}

/// The groups a user belongs to.
pub(crate) fn groups_of(tx: &mut dyn Tx, user_id: &str) -> Result<Vec<Group>, IamError> {
    let mut out = Vec::new();
    for k in db::keys(tx, keys::MEMBER_OF, &keys::children(user_id))? {
        if let Some(g) = entity::record_by_id::<Group>(tx, keys::child_part(&k))? {
            out.push(g);
        }
    }
    out.sort_by_key(|g| g.name.to_ascii_lowercase());
    Ok(out)
}

fn group_xml(w: &mut XmlWriter, g: &Group) {
    w.open("Group");
    xml::group_fields(w, g);
    w.close("Group");
}

impl Iam {
    pub(crate) async fn create_group(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let name = i.name("GroupName", GROUP_NAME_MAX)?;
        let path = i.path("Path")?;
        let g = self
            .write(move |tx| create(tx, &ctx.account, ctx.now, name, path))
            .await?;
        let mut w = XmlWriter::new();
        group_xml(&mut w, &g);
        Ok(Some(w.finish()))
    }

    pub(crate) async fn get_group(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let name = i.name("GroupName", GROUP_NAME_MAX)?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let (g, page) = self
            .read(move |tx| {
                let g = entity::load_group(tx, &ctx.account, &name)?;
                let page = db::page(
                    tx,
                    keys::MEMBERS,
                    &keys::children(&g.id),
                    marker.as_deref(),
                    max,
                    |tx, k, (): ()| entity::record_by_id::<User>(tx, keys::child_part(k)),
                )?;
                Ok((g, page))
            })
            .await?;
        let mut w = XmlWriter::new();
        group_xml(&mut w, &g);
        xml::list(&mut w, "Users", &page.items, |w, u| {
            xml::user_fields(w, u, false)
        });
        xml::truncation(&mut w, page.marker.as_deref());
        Ok(Some(w.finish()))
    }

    pub(crate) async fn update_group(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let name = i.name("GroupName", GROUP_NAME_MAX)?;
        let new_name = i.opt_name("NewGroupName", GROUP_NAME_MAX)?;
        let new_path = i.opt_path("NewPath")?;
        self.write(move |tx| {
            let mut g = entity::load_group(tx, &ctx.account, &name)?;
            let old_key = keys::entity(&ctx.account, &g.name);
            if let Some(p) = new_path {
                g.path = p;
            }
            if let Some(n) = new_name {
                let new_key = keys::entity(&ctx.account, &n);
                if new_key != old_key {
                    if tx.get(keys::GROUP, &new_key)?.is_some() {
                        return Err(IamError::already_exists("Group", &n));
                    }
                    db::delete(tx, keys::GROUP, &old_key)?;
                    entity::index_id(tx, &g.id, Kind::Group, &new_key)?;
                }
                g.name = n;
            }
            db::put(tx, keys::GROUP, &keys::entity(&ctx.account, &g.name), &g)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn delete_group(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let name = i.name("GroupName", GROUP_NAME_MAX)?;
        self.write(move |tx| {
            let g = entity::load_group(tx, &ctx.account, &name)?;
            let own = keys::children(&g.id);
            if db::any(tx, keys::MEMBERS, &own)? {
                return Err(IamError::DeleteConflict(
                    "Cannot delete entity, must remove users from group first.".to_owned(),
                ));
            }
            if db::any(tx, keys::INLINE, &own)? {
                return Err(IamError::conflict("delete policies"));
            }
            if db::any(tx, keys::ATTACH, &own)? {
                return Err(IamError::conflict("detach all policies"));
            }
            db::delete(tx, keys::GROUP, &keys::entity(&ctx.account, &g.name))?;
            db::delete(tx, keys::ID, &g.id)?;
            Ok(())
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn add_user_to_group(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let group = i.name("GroupName", GROUP_NAME_MAX)?;
        let user = i.name("UserName", EXISTING_USER_NAME_MAX)?;
        self.write(move |tx| {
            let g = entity::load_group(tx, &ctx.account, &group)?;
            let u = entity::load_user(tx, &ctx.account, &user)?;
            add_member(tx, &u, &g)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn remove_user_from_group(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let group = i.name("GroupName", GROUP_NAME_MAX)?;
        let user = i.name("UserName", EXISTING_USER_NAME_MAX)?;
        self.write(move |tx| {
            let g = entity::load_group(tx, &ctx.account, &group)?;
            let u = entity::load_user(tx, &ctx.account, &user)?;
            if !db::delete(tx, keys::MEMBER_OF, &keys::child(&u.id, &g.id))? {
                return Err(IamError::no_such("user", &u.name));
            }
            db::delete(tx, keys::MEMBERS, &keys::child(&g.id, &u.id))?;
            Ok(())
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn list_groups_for_user(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let user = i.name("UserName", EXISTING_USER_NAME_MAX)?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let groups = self
            .read(move |tx| {
                let u = entity::load_user(tx, &ctx.account, &user)?;
                groups_of(tx, &u.id)
            })
            .await?;
        let page = db::page_vec(groups, marker.as_deref(), max)?;
        let mut w = XmlWriter::new();
        xml::list(&mut w, "Groups", &page.items, xml::group_fields);
        xml::truncation(&mut w, page.marker.as_deref());
        Ok(Some(w.finish()))
    }
}
