//! IAM users: CreateUser, GetUser (the caller when no name is given, including root), UpdateUser,
//! DeleteUser (with AWS's DeleteConflict rules, enabled MFA devices included) and ListUsers.
//!
//! Each writing action is one store transaction; this module must never touch another entity's
//! records except through the helpers of the module that owns them.

use tessera_core::ids::{unique_id, IdPrefix};
use tessera_core::{AccountId, Principal};
use tessera_protocol::XmlWriter;
use tessera_store::Tx;

use crate::entity::{self, Kind};
use crate::model::{Account, Tag, User};
use crate::validate::{Input, EXISTING_USER_NAME_MAX, USER_NAME_MAX};
use crate::{boundaries, db, keys, xml, Ctx, Iam, IamError, Output};

/// What a new user starts with.
pub(crate) struct NewUser {
    pub name: String,
    pub path: String,
    pub boundary: Option<String>,
    pub tags: Vec<Tag>,
}

/// Creates a user; `EntityAlreadyExists` if the name is taken in any case.
pub(crate) fn create(
    tx: &mut dyn Tx,
    account: &AccountId,
    now: u64,
    new: NewUser,
) -> Result<User, IamError> {
    let key = keys::entity(account, &new.name);
    if tx.get(keys::USER, &key)?.is_some() {
        return Err(IamError::already_exists("User", &new.name));
    }
    let mut user = User {
        account: account.clone(),
        name: new.name,
        id: unique_id(IdPrefix::User),
        path: new.path,
        created: now,
        permissions_boundary: None,
        tags: new.tags,
    };
    if let Some(arn) = new.boundary {
        boundaries::set(tx, account, &user.id, None, Some(&arn))?;
        user.permissions_boundary = Some(arn);
    }
    db::put(tx, keys::USER, &key, &user)?;
    entity::index_id(tx, &user.id, Kind::User, &key)?;
    Ok(user)
}

fn user_xml(user: &User) -> String {
    let mut w = XmlWriter::new();
    w.open("User");
    xml::user_fields(&mut w, user, true);
    w.close("User");
    w.finish()
}

/// The root identity as GetUser reports it: the account id as UserId and the root ARN.
fn root_xml(account: &AccountId, created: u64) -> String {
    let mut w = XmlWriter::new();
    w.open("User");
    w.leaf("UserId", account.as_str());
    w.leaf("Arn", &account.root_arn());
    xml::date(&mut w, "CreateDate", created);
    w.close("User");
    w.finish()
}

impl Iam {
    pub(crate) async fn create_user(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let new = NewUser {
            name: i.name("UserName", USER_NAME_MAX)?,
            path: i.path("Path")?,
            boundary: i.opt_arn("PermissionsBoundary")?,
            tags: i.tags("Tags")?,
        };
        let user = self
            .write(move |tx| create(tx, &ctx.account, ctx.now, new))
            .await?;
        Ok(Some(user_xml(&user)))
    }

    pub(crate) async fn get_user_action(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let name = match i.opt_name("UserName", EXISTING_USER_NAME_MAX)? {
            Some(n) => n,
            None => match &ctx.caller {
                Principal::User { name, .. } => name.clone(),
                Principal::Root { account } => {
                    let account = account.clone();
                    let id = account.clone();
                    let created = self
                        .read(move |tx| db::get::<Account>(tx, keys::ACCOUNT, id.as_str()))
                        .await?
                        .map_or(ctx.now, |a| a.created);
                    return Ok(Some(root_xml(&account, created)));
                }
                Principal::AssumedRole { .. } | Principal::FederatedUser { .. } => {
                    return Err(IamError::Validation(
                        "Must specify userName when calling with non-User credentials".to_owned(),
                    ))
                }
            },
        };
        let user = self
            .read_short(move |tx| entity::load_user(tx, &ctx.account, &name))
            .await?;
        Ok(Some(user_xml(&user)))
    }

    pub(crate) async fn update_user(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let name = i.name("UserName", EXISTING_USER_NAME_MAX)?;
        let new_name = i.opt_name("NewUserName", USER_NAME_MAX)?;
        let new_path = i.opt_path("NewPath")?;
        self.write(move |tx| {
            let mut user = entity::load_user(tx, &ctx.account, &name)?;
            let old_key = keys::entity(&ctx.account, &user.name);
            if let Some(p) = new_path {
                user.path = p;
            }
            if let Some(n) = new_name {
                let new_key = keys::entity(&ctx.account, &n);
                if new_key != old_key {
                    if tx.get(keys::USER, &new_key)?.is_some() {
                        return Err(IamError::already_exists("User", &n));
                    }
                    db::delete(tx, keys::USER, &old_key)?;
                    entity::index_id(tx, &user.id, Kind::User, &new_key)?;
                }
                user.name = n;
            }
            db::put(
                tx,
                keys::USER,
                &keys::entity(&ctx.account, &user.name),
                &user,
            )
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn delete_user(&self, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        let name = i.name("UserName", EXISTING_USER_NAME_MAX)?;
        self.write(move |tx| {
            let user = entity::load_user(tx, &ctx.account, &name)?;
            let own = keys::children(&user.id);
            if db::any(tx, keys::OWNER_KEYS, &own)? {
                return Err(IamError::conflict("delete access keys"));
            }
            if db::any(tx, keys::INLINE, &own)? {
                return Err(IamError::conflict("delete policies"));
            }
            if db::any(tx, keys::ATTACH, &own)? {
                return Err(IamError::conflict("detach all policies"));
            }
            if db::any(tx, keys::MEMBER_OF, &own)? {
                return Err(IamError::conflict("remove user from all groups"));
            }
            if db::any(tx, keys::OWNER_MFA, &own)? {
                return Err(IamError::conflict("delete MFA device"));
            }
            boundaries::set(
                tx,
                &ctx.account,
                &user.id,
                user.permissions_boundary.as_deref(),
                None,
            )?;
            db::delete(tx, keys::USER, &keys::entity(&ctx.account, &user.name))?;
            db::delete(tx, keys::ID, &user.id)?;
            Ok(())
        })
        .await?;
        Ok(None)
    }
}
