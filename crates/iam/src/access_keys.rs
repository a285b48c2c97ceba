//! Long-term access keys of users and of accounts' root identities: CreateAccessKey,
//! ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed, and the lookup request
//! authentication uses ([`Iam::access_key`], cached) with its usage log ([`Iam::record_key_use`]).
//!
//! Secrets are stored sealed by the server's [`crate::SecretCipher`]; a plaintext secret leaves
//! this module only in CreateAccessKey's response and in [`AccessKeyRecord`]. It must never log
//! a secret.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use parking_lot::Mutex;
use tessera_core::ids::{access_key_id, secret_access_key, IdPrefix};
use tessera_core::{AccountId, Principal};
use tessera_protocol::XmlWriter;
use tessera_store::Tx;

use crate::model::{KeyStatus, KeyUse, StoredKey, User};
use crate::validate::{Input, EXISTING_USER_NAME_MAX};
use crate::{db, entity, keys, xml, Ctx, Iam, IamError, Output, SecretCipher};

/// AWS's quota of access keys per user (and per root identity).
const MAX_KEYS: usize = 2;
/// How often recorded key usage is written to the store.
const USAGE_FLUSH_INTERVAL: Duration = Duration::from_secs(10);

/// A long-term key as request authentication needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeyRecord {
    pub access_key_id: String,
    /// The plaintext secret (unsealed).
    pub secret_access_key: String,
    /// `false` for keys set Inactive: requests signed with them are refused.
    pub active: bool,
    pub principal: Principal,
}

impl fmt::Debug for AccessKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("active", &self.active)
            .field("principal", &self.principal)
            .finish()
    }
}

/// Key usage recorded in memory and written to the store in batches, so that authenticating a
/// request never waits for a write.
#[derive(Default)]
pub(crate) struct UsageLog {
    pending: Mutex<HashMap<String, KeyUse>>,
    last_flush: Mutex<Option<Instant>>,
}

/// Whose keys (or MFA devices) an action manages: the named user, else the caller.
pub(crate) enum Owner {
    Root,
    User(String),
}

pub(crate) fn owner(ctx: &Ctx, i: &Input<'_>) -> Result<Owner, IamError> {
    if let Some(name) = i.opt_name("UserName", EXISTING_USER_NAME_MAX)? {
        return Ok(Owner::User(name));
    }
    match &ctx.caller {
        Principal::Root { .. } => Ok(Owner::Root),
        Principal::User { name, .. } => Ok(Owner::User(name.clone())),
        Principal::AssumedRole { .. } | Principal::FederatedUser { .. } => {
            Err(IamError::Validation(
                "Must specify userName when calling with non-User credentials".to_owned(),
            ))
        }
    }
}

/// The owner id keys are indexed under, and the user name reported with them.
pub(crate) fn resolve(
    tx: &mut dyn Tx,
    account: &AccountId,
    owner: &Owner,
) -> Result<(String, Option<String>), IamError> {
    match owner {
        Owner::Root => Ok((account.to_string(), None)),
        Owner::User(name) => {
            let u = entity::load_user(tx, account, name)?;
            Ok((u.id, Some(u.name)))
        }
    }
}

/// Stores a key with a given id and secret. Used for generated keys and for fixed ones (root keys
/// from the environment, bootstrap keys).
pub(crate) fn insert(
    tx: &mut dyn Tx,
    cipher: &dyn SecretCipher,
    account: &AccountId,
    user_id: Option<&str>,
    id: &str,
    secret: &str,
    now: u64,
) -> Result<(), IamError> {
    let key = StoredKey {
        id: id.to_owned(),
        account: account.clone(),
        user_id: user_id.map(str::to_owned),
        status: KeyStatus::Active,
        created: now,
        sealed_secret: STANDARD.encode(cipher.seal(secret, id)),
        last_used: None,
    };
    db::put(tx, keys::ACCESS_KEY, id, &key)?;
    let owner = user_id.map_or_else(|| account.to_string(), str::to_owned);
    db::put(tx, keys::OWNER_KEYS, &keys::child(&owner, id), &())
}

/// Makes sure a fixed key exists for its owner with this secret: creates it, or re-seals a changed
/// secret; a key id that belongs to someone else is refused. Idempotent.
pub(crate) fn ensure_fixed(
    tx: &mut dyn Tx,
    cipher: &dyn SecretCipher,
    account: &AccountId,
    user_id: Option<&str>,
    id: &str,
    secret: &str,
    now: u64,
) -> Result<(), IamError> {
    match db::get::<StoredKey>(tx, keys::ACCESS_KEY, id)? {
        None => insert(tx, cipher, account, user_id, id, secret, now),
        Some(k) if k.account == *account && k.user_id.as_deref() == user_id => {
            if open(cipher, &k)?.as_str() == secret {
                return Ok(());
            }
            let k = StoredKey {
                sealed_secret: STANDARD.encode(cipher.seal(secret, id)),
                ..k
            };
            db::put(tx, keys::ACCESS_KEY, id, &k)
        }
        Some(_) => Err(IamError::EntityAlreadyExists(format!(
            "The access key {id} already belongs to another identity."
        ))),
    }
}

fn open(cipher: &dyn SecretCipher, k: &StoredKey) -> Result<String, IamError> {
    STANDARD
        .decode(&k.sealed_secret)
        .ok()
        .and_then(|sealed| cipher.open(&sealed, &k.id))
        .ok_or_else(|| IamError::corrupt(format!("sealed secret of {} cannot be opened", k.id)))
}

/// The key with this id, if it belongs to `owner_id` in `account`.
fn owned_key(
    tx: &mut dyn Tx,
    account: &AccountId,
    owner_id: &str,
    id: &str,
) -> Result<StoredKey, IamError> {
    match db::get::<StoredKey>(tx, keys::ACCESS_KEY, id)? {
        Some(k)
            if k.account == *account
                && k.user_id.as_deref().unwrap_or(account.as_str()) == owner_id =>
        {
            Ok(k)
        }
        _ => Err(IamError::no_such_key(id)),
    }
}

fn metadata(w: &mut XmlWriter, user: Option<&str>, k: &StoredKey) {
    w.leaf_opt("UserName", user);
    w.leaf("AccessKeyId", &k.id);
    w.leaf("Status", k.status.as_str());
    xml::date(w, "CreateDate", k.created);
}

fn access_key_id_param(i: &Input<'_>) -> Result<String, IamError> {
    let id = i.required("AccessKeyId")?;
    let ok = (16..=128).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok {
        return Err(IamError::validation(
            Some(id),
            "accessKeyId",
            "Member must satisfy regular expression pattern: [\\w]+",
        ));
    }
    Ok(id.to_owned())
}

impl Iam {
    pub(crate) async fn create_access_key(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let owner = owner(&ctx, i)?;
        let cipher = Arc::clone(&self.inner.cipher);
        let id = access_key_id(IdPrefix::LongTermKey);
        let secret = secret_access_key();
        let (kid, ksecret) = (id.clone(), secret.clone());
        let user = self
            .write(move |tx| {
                let (owner_id, user) = resolve(tx, &ctx.account, &owner)?;
                if db::keys(tx, keys::OWNER_KEYS, &keys::children(&owner_id))?.len() >= MAX_KEYS {
                    return Err(IamError::LimitExceeded(format!(
                        "Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS}"
                    )));
                }
                let user_id = user.is_some().then_some(owner_id.as_str());
                insert(
                    tx,
                    cipher.as_ref(),
                    &ctx.account,
                    user_id,
                    &kid,
                    &ksecret,
                    ctx.now,
                )?;
                Ok(user)
            })
            .await?;
        let mut w = XmlWriter::new();
        w.open("AccessKey");
        w.leaf_opt("UserName", user.as_deref());
        w.leaf("AccessKeyId", &id);
        w.leaf("Status", "Active");
        w.leaf("SecretAccessKey", &secret);
        xml::date(&mut w, "CreateDate", ctx.now);
        w.close("AccessKey");
        Ok(Some(w.finish()))
    }

    pub(crate) async fn list_access_keys(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let owner = owner(&ctx, i)?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let (user, page) = self
            .read(move |tx| {
                let (owner_id, user) = resolve(tx, &ctx.account, &owner)?;
                let page = db::page(
                    tx,
                    keys::OWNER_KEYS,
                    &keys::children(&owner_id),
                    marker.as_deref(),
                    max,
                    |tx, k, (): ()| db::get::<StoredKey>(tx, keys::ACCESS_KEY, keys::child_part(k)),
                )?;
                Ok((user, page))
            })
            .await?;
        let mut w = XmlWriter::new();
        xml::list(&mut w, "AccessKeyMetadata", &page.items, |w, k| {
            metadata(w, user.as_deref(), k)
        });
        xml::truncation(&mut w, page.marker.as_deref());
        Ok(Some(w.finish()))
    }

    pub(crate) async fn update_access_key(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let owner = owner(&ctx, i)?;
        let id = access_key_id_param(i)?;
        let status = match i.required("Status")? {
            "Active" => KeyStatus::Active,
            "Inactive" => KeyStatus::Inactive,
            other => {
                return Err(IamError::validation(
                    Some(other),
                    "status",
                    "Member must satisfy enum value set: [Active, Inactive]",
                ))
            }
        };
        self.write(move |tx| {
            let (owner_id, _) = resolve(tx, &ctx.account, &owner)?;
            let k = owned_key(tx, &ctx.account, &owner_id, &id)?;
            db::put(tx, keys::ACCESS_KEY, &id, &StoredKey { status, ..k })
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn delete_access_key(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let owner = owner(&ctx, i)?;
        let id = access_key_id_param(i)?;
        self.write(move |tx| {
            let (owner_id, _) = resolve(tx, &ctx.account, &owner)?;
            owned_key(tx, &ctx.account, &owner_id, &id)?;
            db::delete(tx, keys::ACCESS_KEY, &id)?;
            db::delete(tx, keys::OWNER_KEYS, &keys::child(&owner_id, &id))?;
            Ok(())
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn get_access_key_last_used(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let id = access_key_id_param(i)?;
        let kid = id.clone();
        let (key, user) = self
            .read(move |tx| {
                let k = match db::get::<StoredKey>(tx, keys::ACCESS_KEY, &kid)? {
                    Some(k) if k.account == ctx.account => k,
                    _ => return Err(IamError::no_such_key(&kid)),
                };
                let user = match &k.user_id {
                    Some(uid) => entity::record_by_id::<User>(tx, uid)?.map(|u| u.name),
                    None => None,
                };
                Ok((k, user))
            })
            .await?;
        let pending = self.inner.usage.pending.lock().get(&id).cloned();
        let used = pending.or(key.last_used);
        let mut w = XmlWriter::new();
        w.leaf_opt("UserName", user.as_deref());
        w.open("AccessKeyLastUsed");
        match &used {
            Some(u) => {
                xml::date(&mut w, "LastUsedDate", u.at);
                w.leaf("ServiceName", &u.service);
                w.leaf("Region", &u.region);
            }
            None => {
                w.leaf("ServiceName", "N/A");
                w.leaf("Region", "N/A");
            }
        }
        w.close("AccessKeyLastUsed");
        Ok(Some(w.finish()))
    }

    /// The long-term key with this id (a user's or an account root's), for request
    /// authentication. Served from a cache that this node's IAM writes invalidate and whose
    /// entries expire after one second.
    pub async fn access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AccessKeyRecord>, IamError> {
        let cache = &self.inner.cache;
        if let Some(hit) = cache.get(access_key_id) {
            return Ok(hit);
        }
        let generation = cache.generation();
        let id = access_key_id.to_owned();
        let cipher = Arc::clone(&self.inner.cipher);
        let found = self
            .read_short(move |tx| {
                let Some(k) = db::get::<StoredKey>(tx, keys::ACCESS_KEY, &id)? else {
                    return Ok(None);
                };
                let principal = match &k.user_id {
                    None => Principal::Root {
                        account: k.account.clone(),
                    },
                    Some(uid) => match entity::record_by_id::<User>(tx, uid)? {
                        Some(u) => Principal::User {
                            account: u.account,
                            name: u.name,
                            path: u.path,
                            user_id: u.id,
                        },
                        // A key whose user is gone authenticates no one.
                        None => return Ok(None),
                    },
                };
                Ok(Some(AccessKeyRecord {
                    secret_access_key: open(cipher.as_ref(), &k)?,
                    access_key_id: k.id,
                    active: k.status == KeyStatus::Active,
                    principal,
                }))
            })
            .await?;
        cache.insert(access_key_id, generation, found.clone());
        Ok(found)
    }

    /// Notes that a key was used (for GetAccessKeyLastUsed). Kept in memory and written to the
    /// store at most every ten seconds, in the background.
    pub async fn record_key_use(&self, access_key_id: &str, service: &str, region: &str) {
        let usage = KeyUse {
            at: self.now(),
            service: service.to_owned(),
            region: region.to_owned(),
        };
        self.inner
            .usage
            .pending
            .lock()
            .insert(access_key_id.to_owned(), usage);
        let due = {
            let mut last = self.inner.usage.last_flush.lock();
            let due = last.is_none_or(|t| t.elapsed() >= USAGE_FLUSH_INTERVAL);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due {
            let iam = self.clone();
            tokio::spawn(async move {
                if let Err(e) = iam.flush_key_usage().await {
                    tracing::warn!(error = %e, "writing access key usage failed");
                }
            });
        }
    }

    /// Writes recorded key usage to the store now (the server calls this at shutdown).
    pub async fn flush_key_usage(&self) -> Result<(), IamError> {
        let batch: Vec<(String, KeyUse)> = self.inner.usage.pending.lock().drain().collect();
        if batch.is_empty() {
            return Ok(());
        }
        // Usage does not change what a lookup returns, so this write leaves the key cache alone.
        self.inner
            .store
            .write(move |tx| {
                for (id, used) in batch {
                    if let Some(k) = db::get::<StoredKey>(tx, keys::ACCESS_KEY, &id)? {
                        db::put(
                            tx,
                            keys::ACCESS_KEY,
                            &id,
                            &StoredKey {
                                last_used: Some(used),
                                ..k
                            },
                        )?;
                    }
                }
                Ok(())
            })
            .await
    }

    /// Sets an account's root key to this id and secret; idempotent.
    pub async fn set_root_key(
        &self,
        account: &AccountId,
        access_key_id: &str,
        secret: &str,
    ) -> Result<(), IamError> {
        let (account, id, secret) = (account.clone(), access_key_id.to_owned(), secret.to_owned());
        let cipher = Arc::clone(&self.inner.cipher);
        let now = self.now();
        self.write(move |tx| ensure_fixed(tx, cipher.as_ref(), &account, None, &id, &secret, now))
            .await
    }
}
