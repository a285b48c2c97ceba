//! The stored IAM records, as serde structures (stored as JSON by [`crate::db`]).
//!
//! These are also the types other crates read through the lookup API (`Iam::get_role`, …), so
//! their fields are public. This module owns the shape of the records and the ARNs derived from
//! them; it must never touch the store or the wire format.

use serde::{Deserialize, Serialize};
use tessera_core::{AccountId, Arn};

/// A resource tag. IAM compares keys case-insensitively and keeps their case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An account: its root identity's metadata and S3 canonical identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub canonical_user_id: String,
    pub display_name: String,
    /// Unix seconds; reported as the root identity's `CreateDate`.
    pub created: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub account: AccountId,
    pub name: String,
    /// `AIDA…`.
    pub id: String,
    pub path: String,
    pub created: u64,
    /// ARN of the managed policy that bounds this user's permissions.
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
}

impl User {
    pub fn arn(&self) -> String {
        Arn::iam(self.account.as_str(), "user", &self.path, &self.name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub account: AccountId,
    pub name: String,
    /// `AGPA…`.
    pub id: String,
    pub path: String,
    pub created: u64,
}

impl Group {
    pub fn arn(&self) -> String {
        Arn::iam(self.account.as_str(), "group", &self.path, &self.name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub account: AccountId,
    pub name: String,
    /// `AROA…`.
    pub id: String,
    pub path: String,
    pub created: u64,
    /// The trust policy (JSON text as the caller sent it).
    pub assume_role_policy: String,
    pub description: Option<String>,
    /// Seconds, 3600–43200.
    pub max_session_duration: u32,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
}

impl Role {
    pub fn arn(&self) -> String {
        Arn::iam(self.account.as_str(), "role", &self.path, &self.name)
    }
}

/// A customer managed policy and all its versions (at most five, so they live in one record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub account: AccountId,
    pub name: String,
    /// `ANPA…`.
    pub id: String,
    pub path: String,
    pub created: u64,
    pub updated: u64,
    pub description: Option<String>,
    /// Number `n` of the default version `vn`.
    pub default_version: u32,
    /// The number the next created version gets (AWS never reuses version ids).
    pub next_version: u32,
    pub versions: Vec<PolicyVersion>,
    /// Users, groups and roles it is attached to.
    pub attachment_count: u32,
    /// Users and roles it bounds.
    pub boundary_count: u32,
    pub tags: Vec<Tag>,
}

impl ManagedPolicy {
    pub fn arn(&self) -> String {
        Arn::iam(self.account.as_str(), "policy", &self.path, &self.name)
    }

    /// The document of the default version.
    pub fn default_document(&self) -> Option<&str> {
        self.versions
            .iter()
            .find(|v| v.number == self.default_version)
            .map(|v| v.document.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub number: u32,
    pub document: String,
    pub created: u64,
}

impl PolicyVersion {
    /// AWS's version id, `v1`, `v2`, ….
    pub fn version_id(&self) -> String {
        format!("v{}", self.number)
    }
}

/// An inline policy of a user, group or role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlinePolicy {
    pub name: String,
    pub document: String,
}

/// What a unique id names; the `iam.id` index maps an id to its entity's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntityKind {
    User,
    Group,
    Role,
}

/// A row of the unique-id index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdRef {
    pub kind: EntityKind,
    /// The entity's key in its namespace.
    pub key: String,
}

/// A managed policy attached to an entity (`iam.attach`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub policy_name: String,
    pub policy_arn: String,
    /// Key of the policy record, so lookups need no ARN parsing.
    pub policy_key: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }
}

/// When and where a long-term key was last used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUse {
    pub at: u64,
    pub service: String,
    pub region: String,
}

/// A stored long-term access key. The secret is sealed by the server's [`crate::SecretCipher`]
/// with the key id as associated data, so a copied record cannot be replayed under another id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub id: String,
    pub account: AccountId,
    /// The owning user's unique id; `None` for the account's root.
    pub user_id: Option<String>,
    pub status: KeyStatus,
    pub created: u64,
    /// Base64 of the sealed secret.
    pub sealed_secret: String,
    pub last_used: Option<KeyUse>,
}

/// A virtual MFA device. Its seed is sealed by the server's [`crate::SecretCipher`] with the
/// serial number as associated data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaDevice {
    pub account: AccountId,
    pub name: String,
    pub path: String,
    pub created: u64,
    /// Base64 of the sealed seed (the base64 of the 20 raw seed bytes, sealed).
    pub sealed_seed: String,
    /// Who the device is enabled for: a user's unique id, or the account id for the root identity
    /// (the convention of the owner index); `None` while unassigned.
    pub owner: Option<String>,
    /// Unix seconds when it was enabled.
    pub enabled: Option<u64>,
    /// Steps the device's clock is ahead of ours (negative: behind), measured when it was enabled
    /// or resynchronised.
    pub drift: i64,
    /// The last time step whose code was accepted: no code of this step or an earlier one is
    /// accepted again, so an observed code cannot be replayed.
    pub last_step: Option<u64>,
    pub tags: Vec<Tag>,
}

impl MfaDevice {
    /// The serial number, `arn:aws:iam::ACCOUNT:mfa/PATH/NAME`.
    pub fn serial_number(&self) -> String {
        Arn::iam(self.account.as_str(), "mfa", &self.path, &self.name)
    }
}

/// An IAM OpenID Connect identity provider, which `AssumeRoleWithWebIdentity` trusts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcProvider {
    pub account: AccountId,
    /// The issuer, `https://host[/path]`, with the host in lowercase; compared with a token's
    /// `iss` claim.
    pub url: String,
    /// Accepted audiences (`aud` claims), in the order they were added.
    pub client_ids: Vec<String>,
    /// SHA-1 thumbprints (40 lowercase hex digits) of the issuer's certificates; may be empty.
    pub thumbprints: Vec<String>,
    pub created: u64,
    pub tags: Vec<Tag>,
}

impl OidcProvider {
    /// The URL as IAM reports it and as its ARN names it: without `https://`.
    pub fn host_and_path(&self) -> &str {
        self.url
            .strip_prefix("https://")
            .or_else(|| self.url.strip_prefix("http://"))
            .unwrap_or(&self.url)
    }

    /// `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:oidc-provider/{}",
            self.account,
            self.host_and_path()
        )
    }
}
