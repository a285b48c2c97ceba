//! Accounts: creating them idempotently (`ensure_account`) with their S3 canonical identity.
//!
//! Accounts are created by the server (default account) and the bootstrap file, never by an IAM
//! action. This module must never create users or keys.

use tessera_core::ids::canonical_user_id;
use tessera_core::AccountId;
use tessera_store::Tx;

use crate::model::Account;
use crate::{db, keys, Iam, IamError};

/// Creates the account if missing; applies a given display name or canonical id if they differ.
pub(crate) fn ensure(
    tx: &mut dyn Tx,
    id: &AccountId,
    now: u64,
    display_name: Option<&str>,
    canonical: Option<&str>,
) -> Result<Account, IamError> {
    let existing = db::get::<Account>(tx, keys::ACCOUNT, id.as_str())?;
    let mut account = existing.clone().unwrap_or_else(|| Account {
        id: id.clone(),
        canonical_user_id: canonical_user_id(),
        display_name: format!("tessera-{id}"),
        created: now,
    });
    if let Some(d) = display_name {
        d.clone_into(&mut account.display_name);
    }
    if let Some(c) = canonical {
        c.clone_into(&mut account.canonical_user_id);
    }
    if existing.as_ref() != Some(&account) {
        db::put(tx, keys::ACCOUNT, id.as_str(), &account)?;
    }
    Ok(account)
}

impl Iam {
    /// Creates the account if it does not exist; idempotent. A display name or canonical user id
    /// given here replaces the stored one.
    pub async fn ensure_account(
        &self,
        id: &AccountId,
        display_name: Option<&str>,
        canonical_user_id: Option<&str>,
    ) -> Result<Account, IamError> {
        let (id, now) = (id.clone(), self.now());
        let display_name = display_name.map(str::to_owned);
        let canonical = canonical_user_id.map(str::to_owned);
        let read_id = id.clone();
        // Most calls find the account as wanted; only write when something would change.
        if let Some(a) = self
            .read(move |tx| db::get::<Account>(tx, keys::ACCOUNT, read_id.as_str()))
            .await?
        {
            let same = display_name.as_deref().is_none_or(|d| d == a.display_name)
                && canonical
                    .as_deref()
                    .is_none_or(|c| c == a.canonical_user_id);
            if same {
                return Ok(a);
            }
        }
        self.write(move |tx| ensure(tx, &id, now, display_name.as_deref(), canonical.as_deref()))
            .await
    }

    /// The account, if it exists.
    pub async fn get_account(&self, id: &AccountId) -> Result<Option<Account>, IamError> {
        let id = id.clone();
        self.read_short(move |tx| db::get::<Account>(tx, keys::ACCOUNT, id.as_str()))
            .await
    }
}
