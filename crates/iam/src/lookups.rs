//! Read-only lookups for the crates that come after IAM: STS (roles, users, trust policies) and
//! the policy engine (the identity policies and boundary of a user or role, with those inherited
//! from groups). Each lookup is one consistent read transaction, short enough to run inline
//! (`Store::read_short`): an entity and its policies are bounded by IAM's quotas.
//!
//! It must never write the store.

use tessera_core::{AccountId, Arn};
use tessera_store::Tx;

use crate::entity::{self, Kind};
use crate::model::{ManagedPolicy, Role, Tag, User};
use crate::{db, groups, inline_policies, keys, managed_policies, Iam, IamError};

/// One policy document and where it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedPolicy {
    /// The inline policy's name, or the managed policy's name.
    pub name: String,
    /// For inline policies the ARN of the user, group or role that holds it; for managed
    /// policies the policy's ARN.
    pub source: String,
    pub document: String,
}

/// Everything that grants (or bounds) a user's or role's permissions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdentityPolicies {
    /// Inline policies of the entity, then of each of its groups.
    pub inline: Vec<NamedPolicy>,
    /// Default versions of attached managed policies (the entity's, then its groups').
    pub managed: Vec<NamedPolicy>,
    /// The permissions boundary's default version, if one is set.
    pub boundary: Option<NamedPolicy>,
    /// The user's or role's own tags: `aws:PrincipalTag/…` in policy conditions.
    pub tags: Vec<Tag>,
}

fn managed_default(
    tx: &mut dyn Tx,
    account: &AccountId,
    arn: &str,
) -> Result<Option<NamedPolicy>, IamError> {
    match managed_policies::load_by_arn(tx, account, arn) {
        Ok((_, p)) => Ok(p.default_document().map(|d| NamedPolicy {
            name: p.name.clone(),
            source: p.arn(),
            document: d.to_owned(),
        })),
        Err(IamError::NoSuchEntity(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Adds an entity's inline and attached policies.
fn collect(
    tx: &mut dyn Tx,
    account: &AccountId,
    entity_id: &str,
    entity_arn: &str,
    out: &mut IdentityPolicies,
) -> Result<(), IamError> {
    for p in inline_policies::of(tx, entity_id)? {
        out.inline.push(NamedPolicy {
            name: p.name,
            source: entity_arn.to_owned(),
            document: p.document,
        });
    }
    for (_, arn) in managed_policies::attached_to(tx, entity_id)? {
        if let Some(p) = managed_default(tx, account, &arn)? {
            out.managed.push(p);
        }
    }
    Ok(())
}

/// What `SimulatePrincipalPolicy` reads about its `PolicySourceArn`: the entity's unique id, ARN
/// and policies (a user's include its groups'; a group has no boundary or tags). `NoSuchEntity`
/// if the entity does not exist.
pub(crate) fn entity_policies(
    tx: &mut dyn Tx,
    kind: Kind,
    account: &AccountId,
    name: &str,
) -> Result<(String, String, IdentityPolicies), IamError> {
    let mut out = IdentityPolicies::default();
    let (id, arn, boundary) = match kind {
        Kind::User => {
            let user = entity::load_user(tx, account, name)?;
            collect(tx, account, &user.id, &user.arn(), &mut out)?;
            for g in groups::groups_of(tx, &user.id)? {
                collect(tx, account, &g.id, &g.arn(), &mut out)?;
            }
            out.tags.clone_from(&user.tags);
            (user.id.clone(), user.arn(), user.permissions_boundary)
        }
        Kind::Group => {
            let group = entity::load_group(tx, account, name)?;
            collect(tx, account, &group.id, &group.arn(), &mut out)?;
            (group.id.clone(), group.arn(), None)
        }
        Kind::Role => {
            let role = entity::load_role(tx, account, name)?;
            collect(tx, account, &role.id, &role.arn(), &mut out)?;
            out.tags.clone_from(&role.tags);
            (role.id.clone(), role.arn(), role.permissions_boundary)
        }
    };
    if let Some(b) = &boundary {
        out.boundary = managed_default(tx, account, b)?;
    }
    Ok((id, arn, out))
}

impl Iam {
    /// A number that changes whenever this node writes IAM data. Callers that cache what the
    /// lookups return keep an entry only while the generation is unchanged (and, because other
    /// nodes may write, only for a short time).
    pub fn write_generation(&self) -> u64 {
        self.inner.cache.generation()
    }

    pub async fn get_user(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<User>, IamError> {
        let key = keys::entity(account, name);
        self.read_short(move |tx| db::get::<User>(tx, keys::USER, &key))
            .await
    }

    /// A role with its trust policy text, maximum session duration, id, ARN and path.
    pub async fn get_role(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<Role>, IamError> {
        let key = keys::entity(account, name);
        self.read_short(move |tx| db::get::<Role>(tx, keys::ROLE, &key))
            .await
    }

    /// A managed policy by ARN (e.g. STS's `PolicyArns`); `None` if it does not exist.
    pub async fn managed_policy(&self, arn: &str) -> Result<Option<ManagedPolicy>, IamError> {
        let Some(account) = Arn::parse(arn)
            .ok()
            .and_then(|a| AccountId::parse(&a.account).ok())
        else {
            return Ok(None);
        };
        let arn = arn.to_owned();
        self.read_short(
            move |tx| match managed_policies::load_by_arn(tx, &account, &arn) {
                Ok((_, p)) => Ok(Some(p)),
                Err(IamError::NoSuchEntity(_) | IamError::InvalidInput(_)) => Ok(None),
                Err(e) => Err(e),
            },
        )
        .await
    }

    /// The identity policies of a user (its own and its groups') and its boundary; `None` if the
    /// user does not exist.
    pub async fn user_policies(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<IdentityPolicies>, IamError> {
        let (account, name) = (account.clone(), name.to_owned());
        self.read_short(move |tx| {
            let user = match entity::load_user(tx, &account, &name) {
                Ok(u) => u,
                Err(IamError::NoSuchEntity(_)) => return Ok(None),
                Err(e) => return Err(e),
            };
            let mut out = IdentityPolicies {
                tags: user.tags.clone(),
                ..IdentityPolicies::default()
            };
            collect(tx, &account, &user.id, &user.arn(), &mut out)?;
            for g in groups::groups_of(tx, &user.id)? {
                collect(tx, &account, &g.id, &g.arn(), &mut out)?;
            }
            if let Some(arn) = &user.permissions_boundary {
                out.boundary = managed_default(tx, &account, arn)?;
            }
            Ok(Some(out))
        })
        .await
    }

    /// The identity policies and boundary of a role; `None` if the role does not exist.
    pub async fn role_policies(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<IdentityPolicies>, IamError> {
        let (account, name) = (account.clone(), name.to_owned());
        self.read_short(move |tx| {
            let role = match entity::load_role(tx, &account, &name) {
                Ok(r) => r,
                Err(IamError::NoSuchEntity(_)) => return Ok(None),
                Err(e) => return Err(e),
            };
            let mut out = IdentityPolicies {
                tags: role.tags.clone(),
                ..IdentityPolicies::default()
            };
            collect(tx, &account, &role.id, &role.arn(), &mut out)?;
            if let Some(arn) = &role.permissions_boundary {
                out.boundary = managed_default(tx, &account, arn)?;
            }
            Ok(Some(out))
        })
        .await
    }
}
