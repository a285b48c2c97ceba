//! The store layout of IAM: namespaces and how keys are built.
//!
//! Entities are keyed `ACCOUNT/lowercase-name`, so uniqueness is case-insensitive and list
//! operations are ordered prefix scans. Everything that refers to an entity (inline policies,
//! attachments, memberships, access keys) is keyed by the entity's unique id, so a rename touches
//! only the entity record and the id index. This module must never read or write the store.

use tessera_core::AccountId;
use tessera_store::Namespace;

/// Account id → [`crate::model::Account`].
pub const ACCOUNT: Namespace = "iam.account";
/// `ACCOUNT/name` → [`crate::model::User`].
pub const USER: Namespace = "iam.user";
/// `ACCOUNT/name` → [`crate::model::Group`].
pub const GROUP: Namespace = "iam.group";
/// `ACCOUNT/name` → [`crate::model::Role`].
pub const ROLE: Namespace = "iam.role";
/// `ACCOUNT/name` → [`crate::model::ManagedPolicy`].
pub const POLICY: Namespace = "iam.policy";
/// Unique id of a user, group or role → [`crate::model::IdRef`].
pub const ID: Namespace = "iam.id";
/// `ENTITY_ID/policy-name` → [`crate::model::InlinePolicy`].
pub const INLINE: Namespace = "iam.inline";
/// `ENTITY_ID/POLICY_ID` → [`crate::model::Attachment`].
pub const ATTACH: Namespace = "iam.attach";
/// `POLICY_ID/ENTITY_ID` → entity kind: the reverse of [`ATTACH`].
pub const ATTACHED_TO: Namespace = "iam.attached_to";
/// `POLICY_ID/ENTITY_ID` → entity kind: users and roles the policy bounds.
pub const BOUNDARY_OF: Namespace = "iam.boundary_of";
/// `USER_ID/GROUP_ID` → empty.
pub const MEMBER_OF: Namespace = "iam.member_of";
/// `GROUP_ID/USER_ID` → empty.
pub const MEMBERS: Namespace = "iam.group_members";
/// Access key id (globally unique) → [`crate::model::StoredKey`].
pub const ACCESS_KEY: Namespace = "iam.access_key";
/// `OWNER/ACCESS_KEY_ID` → empty, where OWNER is a user's unique id or, for root keys, the
/// account id (digits, so never equal to a unique id).
pub const OWNER_KEYS: Namespace = "iam.owner_keys";
/// `ACCOUNT/lowercase-name` → [`crate::model::MfaDevice`] (names are unique per account in any
/// case and path).
pub const MFA: Namespace = "iam.mfa";
/// `OWNER/lowercase-name` → the device's key in [`MFA`]: the MFA devices enabled for a user or
/// root, with OWNER as in [`OWNER_KEYS`].
pub const OWNER_MFA: Namespace = "iam.owner_mfa";
/// `ACCOUNT/host/path` (host in lowercase) → [`crate::model::OidcProvider`].
pub const OIDC: Namespace = "iam.oidc";

/// Key of a named entity in its namespace.
pub fn entity(account: &AccountId, name: &str) -> String {
    format!("{account}/{}", name.to_ascii_lowercase())
}

/// Prefix of all entities of one account.
pub fn account_prefix(account: &AccountId) -> String {
    format!("{account}/")
}

/// Key of a row owned by `parent` (an id) and naming `child`.
pub fn child(parent: &str, child: &str) -> String {
    format!("{parent}/{child}")
}

/// Prefix of all rows owned by `parent`.
pub fn children(parent: &str) -> String {
    format!("{parent}/")
}

/// Key of an inline policy.
pub fn inline(entity_id: &str, policy_name: &str) -> String {
    child(entity_id, &policy_name.to_ascii_lowercase())
}

/// The last component of a `parent/child` key.
pub fn child_part(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_case_and_children_split() {
        let a = AccountId::parse("123456789012").unwrap_or_else(|_| unreachable!());
        assert_eq!(entity(&a, "Bob"), "123456789012/bob");
        assert!(entity(&a, "Bob").starts_with(&account_prefix(&a)));
        assert_eq!(child_part(&child("AIDA1", "AGPA2")), "AGPA2");
        assert_eq!(inline("AIDA1", "ReadOnly"), "AIDA1/readonly");
    }
}
