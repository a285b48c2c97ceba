//! The IAM service (API version 2010-05-08, awsQuery protocol) as a library: form parameters in,
//! XML out. The server authenticates and authorizes a request, then calls [`Iam::handle`]; it also
//! uses [`Iam::access_key`] to authenticate long-term keys and the lookups (`get_role`,
//! `user_policies`, [`Iam::verify_mfa_code`], [`Iam::oidc_provider_for_issuer`], …) for STS and
//! the policy engine.
//!
//! Must never: know HTTP or sockets, read configuration or the environment, or write the store
//! outside one `Store::write` transaction per operation (validation happens inside that
//! transaction, so concurrent requests cannot both pass a uniqueness or limit check).
//!
//! Layout:
//! - `lib.rs`: [`Iam`], the [`Action`] enum and dispatch.
//! - `error.rs`: [`IamError`] and its AWS mapping. `validate.rs`: parameter constraints.
//! - `model.rs`: stored records. `keys.rs`: the store layout. `db.rs`: typed access and paging.
//! - `xml.rs`: shared response shapes.
//! - One file per area: `accounts.rs`, `users.rs`, `groups.rs`, `roles.rs`, `access_keys.rs`,
//!   `inline_policies.rs`, `managed_policies.rs`, `boundaries.rs`, `account_details.rs`,
//!   `tags.rs`, `entity.rs` (what users, groups and roles share), `mfa.rs` (virtual MFA devices,
//!   with the RFC 6238 arithmetic in `totp.rs`), `oidc_providers.rs` (OpenID Connect providers),
//!   `simulate.rs` (the policy simulator, over `tessera-policy`).
//! - `cache.rs`: the access-key cache. `bootstrap.rs`: the TOML bootstrap. `lookups.rs`: the API
//!   for STS and the policy engine.

mod access_keys;
mod account_details;
mod accounts;
mod bootstrap;
mod boundaries;
mod cache;
mod db;
mod entity;
mod error;
mod groups;
mod inline_policies;
mod keys;
mod lookups;
mod managed_policies;
mod mfa;
pub mod model;
mod oidc_providers;
mod roles;
mod simulate;
mod tags;
pub mod totp;
mod users;
mod validate;
mod xml;

use std::sync::Arc;
use std::time::Duration;

use tessera_core::{AccountId, Clock, Principal};
use tessera_protocol::QueryParams;
use tessera_store::{Store, Tx};

pub use access_keys::AccessKeyRecord;
pub use bootstrap::{
    Bootstrap, BootstrapAccessKey, BootstrapAccount, BootstrapGroup, BootstrapOidcProvider,
    BootstrapPolicy, BootstrapRole, BootstrapUser,
};
pub use error::IamError;
pub use lookups::{IdentityPolicies, NamedPolicy};
pub use model::{Account, MfaDevice, OidcProvider};
/// The XML namespace of IAM responses, for the server's error envelope.
pub use xml::XMLNS;

use cache::KeyCache;
use validate::Input;

/// Seals and opens stored secret access keys. The server provides it (backed by its master key),
/// so this crate never holds key material and the store never holds a plaintext secret.
pub trait SecretCipher: Send + Sync {
    /// Encrypts `plaintext`, binding it to `aad` (the access key id).
    fn seal(&self, plaintext: &str, aad: &str) -> Vec<u8>;
    /// Decrypts; `None` if the data was tampered with or sealed under other `aad`.
    fn open(&self, sealed: &[u8], aad: &str) -> Option<String>;
}

/// The IAM service. Cheap to clone: all state is behind one `Arc`.
#[derive(Clone)]
pub struct Iam {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    cipher: Arc<dyn SecretCipher>,
    cache: KeyCache,
    usage: access_keys::UsageLog,
}

/// What every operation knows about its request.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub caller: Principal,
    pub account: AccountId,
    /// Unix seconds, read once per request.
    pub now: u64,
}

macro_rules! actions {
    ($($name:ident),* $(,)?) => {
        /// Every IAM action tessera serves, by its AWS name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Action { $($name),* }

        impl Action {
            /// Every action, in the order of AWS's documentation areas.
            pub const ALL: &'static [Action] = &[$(Action::$name),*];

            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($name) => Some(Action::$name),)*
                    _ => None,
                }
            }

            pub fn name(self) -> &'static str {
                match self { $(Action::$name => stringify!($name)),* }
            }
        }
    };
}

actions!(
    CreateUser,
    GetUser,
    UpdateUser,
    DeleteUser,
    ListUsers,
    TagUser,
    UntagUser,
    ListUserTags,
    CreateGroup,
    GetGroup,
    UpdateGroup,
    DeleteGroup,
    ListGroups,
    AddUserToGroup,
    RemoveUserFromGroup,
    ListGroupsForUser,
    CreateRole,
    GetRole,
    UpdateRole,
    UpdateAssumeRolePolicy,
    DeleteRole,
    ListRoles,
    TagRole,
    UntagRole,
    ListRoleTags,
    CreateAccessKey,
    ListAccessKeys,
    UpdateAccessKey,
    DeleteAccessKey,
    GetAccessKeyLastUsed,
    PutUserPolicy,
    GetUserPolicy,
    ListUserPolicies,
    DeleteUserPolicy,
    PutGroupPolicy,
    GetGroupPolicy,
    ListGroupPolicies,
    DeleteGroupPolicy,
    PutRolePolicy,
    GetRolePolicy,
    ListRolePolicies,
    DeleteRolePolicy,
    CreatePolicy,
    GetPolicy,
    ListPolicies,
    DeletePolicy,
    CreatePolicyVersion,
    GetPolicyVersion,
    ListPolicyVersions,
    SetDefaultPolicyVersion,
    DeletePolicyVersion,
    AttachUserPolicy,
    DetachUserPolicy,
    ListAttachedUserPolicies,
    AttachGroupPolicy,
    DetachGroupPolicy,
    ListAttachedGroupPolicies,
    AttachRolePolicy,
    DetachRolePolicy,
    ListAttachedRolePolicies,
    ListEntitiesForPolicy,
    PutUserPermissionsBoundary,
    DeleteUserPermissionsBoundary,
    PutRolePermissionsBoundary,
    DeleteRolePermissionsBoundary,
    GetAccountAuthorizationDetails,
    CreateVirtualMFADevice,
    EnableMFADevice,
    ResyncMFADevice,
    DeactivateMFADevice,
    DeleteVirtualMFADevice,
    ListMFADevices,
    ListVirtualMFADevices,
    TagMFADevice,
    UntagMFADevice,
    ListMFADeviceTags,
    CreateOpenIDConnectProvider,
    GetOpenIDConnectProvider,
    ListOpenIDConnectProviders,
    DeleteOpenIDConnectProvider,
    AddClientIDToOpenIDConnectProvider,
    RemoveClientIDFromOpenIDConnectProvider,
    UpdateOpenIDConnectProviderThumbprint,
    TagOpenIDConnectProvider,
    UntagOpenIDConnectProvider,
    ListOpenIDConnectProviderTags,
    SimulateCustomPolicy,
    SimulatePrincipalPolicy,
);

/// The inner XML of an action's Result element, or `None` for actions without output.
pub(crate) type Output = Option<String>;

impl Iam {
    pub fn new(store: Store, clock: Arc<dyn Clock>, secrets: Arc<dyn SecretCipher>) -> Self {
        Self::with_key_cache_ttl(store, clock, secrets, cache::DEFAULT_TTL)
    }

    /// Like [`Iam::new`] with another lifetime for cached key lookups. With several nodes on one
    /// database, this bounds how long a key deleted on another node still authenticates here.
    pub fn with_key_cache_ttl(
        store: Store,
        clock: Arc<dyn Clock>,
        secrets: Arc<dyn SecretCipher>,
        ttl: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                clock,
                cipher: secrets,
                cache: KeyCache::new(ttl),
                usage: access_keys::UsageLog::default(),
            }),
        }
    }

    /// Runs one IAM Query action for an authenticated and authorized caller and returns the XML
    /// response body. Errors are rendered by the server with [`IamError::to_aws`].
    pub async fn handle(
        &self,
        caller: &Principal,
        params: &QueryParams,
        request_id: &str,
    ) -> Result<String, IamError> {
        let name = params.action().unwrap_or_default();
        let action = Action::parse(name).ok_or_else(|| {
            IamError::InvalidAction(format!(
                "Could not find operation {name} for version 2010-05-08"
            ))
        })?;
        let ctx = Ctx {
            caller: caller.clone(),
            account: caller.account().clone(),
            now: self.inner.clock.now_unix(),
        };
        let input = Input::new(params);
        let out = self.dispatch(action, ctx, &input).await;
        if let Err(e @ (IamError::Store(_) | IamError::Corrupt(_))) = &out {
            tracing::error!(action = action.name(), error = %e, "IAM request failed");
        }
        Ok(xml::envelope(action.name(), out?.as_deref(), request_id))
    }

    async fn dispatch(&self, action: Action, ctx: Ctx, i: &Input<'_>) -> Result<Output, IamError> {
        use entity::Kind::{Group, Role, User};
        use Action as A;
        match action {
            A::CreateUser => self.create_user(ctx, i).await,
            A::GetUser => self.get_user_action(ctx, i).await,
            A::UpdateUser => self.update_user(ctx, i).await,
            A::DeleteUser => self.delete_user(ctx, i).await,
            A::ListUsers => self.list_by_path::<model::User>(ctx, i).await,
            A::TagUser => self.tag_entity(User, ctx, i).await,
            A::UntagUser => self.untag_entity(User, ctx, i).await,
            A::ListUserTags => self.list_entity_tags(User, ctx, i).await,
            A::CreateGroup => self.create_group(ctx, i).await,
            A::GetGroup => self.get_group(ctx, i).await,
            A::UpdateGroup => self.update_group(ctx, i).await,
            A::DeleteGroup => self.delete_group(ctx, i).await,
            A::ListGroups => self.list_by_path::<model::Group>(ctx, i).await,
            A::AddUserToGroup => self.add_user_to_group(ctx, i).await,
            A::RemoveUserFromGroup => self.remove_user_from_group(ctx, i).await,
            A::ListGroupsForUser => self.list_groups_for_user(ctx, i).await,
            A::CreateRole => self.create_role(ctx, i).await,
            A::GetRole => self.get_role_action(ctx, i).await,
            A::UpdateRole => self.update_role(ctx, i).await,
            A::UpdateAssumeRolePolicy => self.update_assume_role_policy(ctx, i).await,
            A::DeleteRole => self.delete_role(ctx, i).await,
            A::ListRoles => self.list_by_path::<model::Role>(ctx, i).await,
            A::TagRole => self.tag_entity(Role, ctx, i).await,
            A::UntagRole => self.untag_entity(Role, ctx, i).await,
            A::ListRoleTags => self.list_entity_tags(Role, ctx, i).await,
            A::CreateAccessKey => self.create_access_key(ctx, i).await,
            A::ListAccessKeys => self.list_access_keys(ctx, i).await,
            A::UpdateAccessKey => self.update_access_key(ctx, i).await,
            A::DeleteAccessKey => self.delete_access_key(ctx, i).await,
            A::GetAccessKeyLastUsed => self.get_access_key_last_used(ctx, i).await,
            A::PutUserPolicy => self.put_inline(User, ctx, i).await,
            A::GetUserPolicy => self.get_inline(User, ctx, i).await,
            A::ListUserPolicies => self.list_inline(User, ctx, i).await,
            A::DeleteUserPolicy => self.delete_inline(User, ctx, i).await,
            A::PutGroupPolicy => self.put_inline(Group, ctx, i).await,
            A::GetGroupPolicy => self.get_inline(Group, ctx, i).await,
            A::ListGroupPolicies => self.list_inline(Group, ctx, i).await,
            A::DeleteGroupPolicy => self.delete_inline(Group, ctx, i).await,
            A::PutRolePolicy => self.put_inline(Role, ctx, i).await,
            A::GetRolePolicy => self.get_inline(Role, ctx, i).await,
            A::ListRolePolicies => self.list_inline(Role, ctx, i).await,
            A::DeleteRolePolicy => self.delete_inline(Role, ctx, i).await,
            A::CreatePolicy => self.create_policy(ctx, i).await,
            A::GetPolicy => self.get_policy(ctx, i).await,
            A::ListPolicies => self.list_policies(ctx, i).await,
            A::DeletePolicy => self.delete_policy(ctx, i).await,
            A::CreatePolicyVersion => self.create_policy_version(ctx, i).await,
            A::GetPolicyVersion => self.get_policy_version(ctx, i).await,
            A::ListPolicyVersions => self.list_policy_versions(ctx, i).await,
            A::SetDefaultPolicyVersion => self.set_default_policy_version(ctx, i).await,
            A::DeletePolicyVersion => self.delete_policy_version(ctx, i).await,
            A::AttachUserPolicy => self.attach(User, ctx, i).await,
            A::DetachUserPolicy => self.detach(User, ctx, i).await,
            A::ListAttachedUserPolicies => self.list_attached(User, ctx, i).await,
            A::AttachGroupPolicy => self.attach(Group, ctx, i).await,
            A::DetachGroupPolicy => self.detach(Group, ctx, i).await,
            A::ListAttachedGroupPolicies => self.list_attached(Group, ctx, i).await,
            A::AttachRolePolicy => self.attach(Role, ctx, i).await,
            A::DetachRolePolicy => self.detach(Role, ctx, i).await,
            A::ListAttachedRolePolicies => self.list_attached(Role, ctx, i).await,
            A::ListEntitiesForPolicy => self.list_entities_for_policy(ctx, i).await,
            A::PutUserPermissionsBoundary => self.put_boundary(User, ctx, i).await,
            A::DeleteUserPermissionsBoundary => self.delete_boundary(User, ctx, i).await,
            A::PutRolePermissionsBoundary => self.put_boundary(Role, ctx, i).await,
            A::DeleteRolePermissionsBoundary => self.delete_boundary(Role, ctx, i).await,
            A::GetAccountAuthorizationDetails => {
                self.get_account_authorization_details(ctx, i).await
            }
            A::CreateVirtualMFADevice => self.create_virtual_mfa_device(ctx, i).await,
            A::EnableMFADevice => self.enable_mfa_device(ctx, i).await,
            A::ResyncMFADevice => self.resync_mfa_device(ctx, i).await,
            A::DeactivateMFADevice => self.deactivate_mfa_device(ctx, i).await,
            A::DeleteVirtualMFADevice => self.delete_virtual_mfa_device(ctx, i).await,
            A::ListMFADevices => self.list_mfa_devices(ctx, i).await,
            A::ListVirtualMFADevices => self.list_virtual_mfa_devices(ctx, i).await,
            A::TagMFADevice => self.tag_mfa_device(ctx, i).await,
            A::UntagMFADevice => self.untag_mfa_device(ctx, i).await,
            A::ListMFADeviceTags => self.list_mfa_device_tags(ctx, i).await,
            A::CreateOpenIDConnectProvider => self.create_oidc_provider(ctx, i).await,
            A::GetOpenIDConnectProvider => self.get_oidc_provider(ctx, i).await,
            A::ListOpenIDConnectProviders => self.list_oidc_providers(ctx).await,
            A::DeleteOpenIDConnectProvider => self.delete_oidc_provider(ctx, i).await,
            A::AddClientIDToOpenIDConnectProvider => self.add_oidc_client_id(ctx, i).await,
            A::RemoveClientIDFromOpenIDConnectProvider => self.remove_oidc_client_id(ctx, i).await,
            A::UpdateOpenIDConnectProviderThumbprint => self.update_oidc_thumbprints(ctx, i).await,
            A::TagOpenIDConnectProvider => self.tag_oidc_provider(ctx, i).await,
            A::UntagOpenIDConnectProvider => self.untag_oidc_provider(ctx, i).await,
            A::ListOpenIDConnectProviderTags => self.list_oidc_provider_tags(ctx, i).await,
            A::SimulateCustomPolicy => self.simulate_custom_policy(ctx, i).await,
            A::SimulatePrincipalPolicy => self.simulate_principal_policy(ctx, i).await,
        }
    }

    /// One write transaction. Any IAM write may change what a key lookup returns (a deleted key,
    /// a renamed or deleted user), so the key cache is invalidated after every write.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, IamError>
    where
        F: FnOnce(&mut dyn Tx) -> Result<T, IamError> + Send + 'static,
        T: Send + 'static,
    {
        let out = self.inner.store.write(f).await;
        self.inner.cache.invalidate();
        out
    }

    /// One read transaction (a consistent snapshot).
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, IamError>
    where
        F: FnOnce(&mut dyn Tx) -> Result<T, IamError> + Send + 'static,
        T: Send + 'static,
    {
        self.inner.store.read(f).await
    }

    /// [`Iam::read`] for a bounded lookup on a request's hot path (an entity and its policies):
    /// see `Store::read_short`.
    pub(crate) async fn read_short<T, F>(&self, f: F) -> Result<T, IamError>
    where
        F: FnOnce(&mut dyn Tx) -> Result<T, IamError> + Send + 'static,
        T: Send + 'static,
    {
        self.inner.store.read_short(f).await
    }

    pub(crate) fn now(&self) -> u64 {
        self.inner.clock.now_unix()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_round_trip() {
        for a in [
            Action::CreateUser,
            Action::GetAccountAuthorizationDetails,
            Action::DetachRolePolicy,
            Action::CreateVirtualMFADevice,
            Action::AddClientIDToOpenIDConnectProvider,
        ] {
            assert_eq!(Action::parse(a.name()), Some(a));
        }
        assert_eq!(Action::parse("createuser"), None);
        assert_eq!(Action::parse(""), None);
    }
}
