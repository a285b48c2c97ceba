//! What users, groups and roles share: their namespaces, nouns in AWS messages, inline-policy size
//! quotas, loading one by name into an [`EntityRef`] that keys its dependents (inline
//! policies, attachments) by unique id, and listing them by path (`ListUsers`, `ListGroups`,
//! `ListRoles`).
//!
//! It must never write the store.

use serde::de::DeserializeOwned;
use tessera_core::AccountId;
use tessera_protocol::XmlWriter;
use tessera_store::{Namespace, Tx};

use crate::model::{EntityKind, Group, IdRef, Role, User};
use crate::validate::Input;
use crate::validate::{EXISTING_USER_NAME_MAX, GROUP_NAME_MAX, ROLE_NAME_MAX};
use crate::{db, keys, xml, Ctx, Iam, IamError, Output};

/// An entity that `List…` pages through, one account at a time, filtered by `PathPrefix`.
pub(crate) trait Listed: DeserializeOwned + Send + 'static {
    const NS: Namespace;
    /// The list element of the response (`Users`, `Groups`, `Roles`).
    const LIST: &'static str;
    fn path(&self) -> &str;
    fn write(&self, w: &mut XmlWriter);
}

impl Listed for User {
    const NS: Namespace = keys::USER;
    const LIST: &'static str = "Users";
    fn path(&self) -> &str {
        &self.path
    }
    fn write(&self, w: &mut XmlWriter) {
        xml::user_fields(w, self, false);
    }
}

impl Listed for Group {
    const NS: Namespace = keys::GROUP;
    const LIST: &'static str = "Groups";
    fn path(&self) -> &str {
        &self.path
    }
    fn write(&self, w: &mut XmlWriter) {
        xml::group_fields(w, self);
    }
}

impl Listed for Role {
    const NS: Namespace = keys::ROLE;
    const LIST: &'static str = "Roles";
    fn path(&self) -> &str {
        &self.path
    }
    fn write(&self, w: &mut XmlWriter) {
        xml::role_fields(w, self, false);
    }
}

impl Iam {
    /// `ListUsers`, `ListGroups`, `ListRoles`: a page of the account's entities under `PathPrefix`.
    pub(crate) async fn list_by_path<T: Listed>(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let prefix = i.path_prefix("PathPrefix")?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let page = self
            .read(move |tx| {
                db::page(
                    tx,
                    T::NS,
                    &keys::account_prefix(&ctx.account),
                    marker.as_deref(),
                    max,
                    |_, _, e: T| Ok(e.path().starts_with(&prefix).then_some(e)),
                )
            })
            .await?;
        let mut w = XmlWriter::new();
        xml::list(&mut w, T::LIST, &page.items, |w, e| e.write(w));
        xml::truncation(&mut w, page.marker.as_deref());
        Ok(Some(w.finish()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
    Role,
}

impl Kind {
    pub fn ns(self) -> Namespace {
        match self {
            Kind::User => keys::USER,
            Kind::Group => keys::GROUP,
            Kind::Role => keys::ROLE,
        }
    }

    /// The noun in AWS's messages ("The user with name …").
    pub fn noun(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
        }
    }

    /// The request parameter naming the entity.
    pub fn name_param(self) -> &'static str {
        match self {
            Kind::User => "UserName",
            Kind::Group => "GroupName",
            Kind::Role => "RoleName",
        }
    }

    /// Longest name accepted when referring to an existing entity.
    pub fn name_max(self) -> usize {
        match self {
            Kind::User => EXISTING_USER_NAME_MAX,
            Kind::Group => GROUP_NAME_MAX,
            Kind::Role => ROLE_NAME_MAX,
        }
    }

    /// AWS's quota on the total size (non-whitespace characters) of an entity's inline policies.
    pub fn inline_quota(self) -> usize {
        match self {
            Kind::User => 2048,
            Kind::Group => 5120,
            Kind::Role => 10240,
        }
    }

    pub fn model(self) -> EntityKind {
        match self {
            Kind::User => EntityKind::User,
            Kind::Group => EntityKind::Group,
            Kind::Role => EntityKind::Role,
        }
    }

    pub fn from_model(kind: EntityKind) -> Self {
        match kind {
            EntityKind::User => Kind::User,
            EntityKind::Group => Kind::Group,
            EntityKind::Role => Kind::Role,
        }
    }
}

/// A user, group or role, as far as its dependents care.
#[derive(Clone, Debug)]
pub struct EntityRef {
    pub kind: Kind,
    pub id: String,
    pub name: String,
    pub path: String,
}

pub fn load_user(tx: &mut dyn Tx, account: &AccountId, name: &str) -> Result<User, IamError> {
    db::get(tx, keys::USER, &keys::entity(account, name))?
        .ok_or_else(|| IamError::no_such("user", name))
}

pub fn load_group(tx: &mut dyn Tx, account: &AccountId, name: &str) -> Result<Group, IamError> {
    db::get(tx, keys::GROUP, &keys::entity(account, name))?
        .ok_or_else(|| IamError::no_such("group", name))
}

pub fn load_role(tx: &mut dyn Tx, account: &AccountId, name: &str) -> Result<Role, IamError> {
    db::get(tx, keys::ROLE, &keys::entity(account, name))?
        .ok_or_else(|| IamError::no_such("role", name))
}

pub fn load(
    tx: &mut dyn Tx,
    kind: Kind,
    account: &AccountId,
    name: &str,
) -> Result<EntityRef, IamError> {
    Ok(match kind {
        Kind::User => {
            let u = load_user(tx, account, name)?;
            EntityRef {
                kind,
                id: u.id,
                name: u.name,
                path: u.path,
            }
        }
        Kind::Group => {
            let g = load_group(tx, account, name)?;
            EntityRef {
                kind,
                id: g.id,
                name: g.name,
                path: g.path,
            }
        }
        Kind::Role => {
            let r = load_role(tx, account, name)?;
            EntityRef {
                kind,
                id: r.id,
                name: r.name,
                path: r.path,
            }
        }
    })
}

/// The entity a unique id names, if it still exists.
pub fn by_id(tx: &mut dyn Tx, id: &str) -> Result<Option<EntityRef>, IamError> {
    let Some(r) = db::get::<IdRef>(tx, keys::ID, id)? else {
        return Ok(None);
    };
    let kind = Kind::from_model(r.kind);
    Ok(match kind {
        Kind::User => db::get::<User>(tx, keys::USER, &r.key)?.map(|u| EntityRef {
            kind,
            id: u.id,
            name: u.name,
            path: u.path,
        }),
        Kind::Group => db::get::<Group>(tx, keys::GROUP, &r.key)?.map(|g| EntityRef {
            kind,
            id: g.id,
            name: g.name,
            path: g.path,
        }),
        Kind::Role => db::get::<Role>(tx, keys::ROLE, &r.key)?.map(|x| EntityRef {
            kind,
            id: x.id,
            name: x.name,
            path: x.path,
        }),
    })
}

/// Records `id → key` in the unique-id index.
pub fn index_id(tx: &mut dyn Tx, id: &str, kind: Kind, key: &str) -> Result<(), IamError> {
    db::put(
        tx,
        keys::ID,
        id,
        &IdRef {
            kind: kind.model(),
            key: key.to_owned(),
        },
    )
}

/// The full record (`User`, `Group` or `Role`) a unique id names, if it still exists.
pub fn record_by_id<T: serde::de::DeserializeOwned>(
    tx: &mut dyn Tx,
    id: &str,
) -> Result<Option<T>, IamError> {
    let Some(r) = db::get::<IdRef>(tx, keys::ID, id)? else {
        return Ok(None);
    };
    db::get(tx, Kind::from_model(r.kind).ns(), &r.key)
}
