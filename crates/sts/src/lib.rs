//! AWS Security Token Service (API 2011-06-15) over the awsQuery protocol.
//!
//! STS mints temporary credentials: an `ASIA…` access key id, a random secret, and a session token
//! that seals both with everything else needed to serve the session (see `tessera-token`). Any
//! node authenticates such a request by unsealing the token; nothing per session is stored.
//!
//! The service receives an authenticated, already-authorized caller and the decoded form
//! parameters and returns the XML body; it never sees HTTP.
//!
//! Layout: [`keyring`] (the persisted, rotated sealing keys), `params` (shared parameter
//! validation), `credentials` (minting and encoding credentials), and one module per action:
//! `session_token`, `federation_token`, `assume_role`, `caller_identity`, `key_info`,
//! `authorization_message`, `web_identity`; [`principal_of`] turns
//! unsealed claims back into the caller's [`Principal`].

mod assume_role;
mod authorization_message;
mod caller_identity;
mod credentials;
mod error;
mod federation_token;
mod key_info;
pub mod keyring;
mod params;
mod principal;
mod session_token;
mod web_identity;

pub use web_identity::JwksSource;

pub use assume_role::parse_role_arn;
pub use error::StsError;
pub use principal::principal_of;

use std::sync::Arc;
use tessera_core::{Clock, Principal};
use tessera_iam::Iam;
use tessera_protocol::{QueryParams, XmlWriter};
use tessera_store::Store;
use tessera_token::{MasterKey, SessionClaims, TokenError};

/// The XML namespace of every STS response.
pub const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The STS actions tessera serves, parsed from the `Action` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    AssumeRole,
    AssumeRoleWithWebIdentity,
    DecodeAuthorizationMessage,
    GetAccessKeyInfo,
    GetCallerIdentity,
    GetFederationToken,
    GetSessionToken,
}

impl Action {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "AssumeRole" => Some(Self::AssumeRole),
            "AssumeRoleWithWebIdentity" => Some(Self::AssumeRoleWithWebIdentity),
            "DecodeAuthorizationMessage" => Some(Self::DecodeAuthorizationMessage),
            "GetAccessKeyInfo" => Some(Self::GetAccessKeyInfo),
            "GetCallerIdentity" => Some(Self::GetCallerIdentity),
            "GetFederationToken" => Some(Self::GetFederationToken),
            "GetSessionToken" => Some(Self::GetSessionToken),
            _ => None,
        }
    }

    /// Whether `name` is an STS action, served or not (used to route unsigned and SigV2 requests,
    /// which carry no credential scope).
    pub fn is_sts_action(name: &str) -> bool {
        matches!(
            name,
            "AssumeRole"
                | "AssumeRoleWithSAML"
                | "AssumeRoleWithWebIdentity"
                | "AssumeRoot"
                | "DecodeAuthorizationMessage"
                | "GetAccessKeyInfo"
                | "GetCallerIdentity"
                | "GetFederationToken"
                | "GetSessionToken"
        )
    }
}

/// Settings that tests may change; the defaults are AWS's.
#[derive(Clone)]
pub struct StsConfig {
    /// The shortest session, in seconds (AWS: 900).
    pub min_duration_seconds: u64,
    /// Where OIDC issuers' keys come from, for `AssumeRoleWithWebIdentity`.
    pub jwks: Option<Arc<dyn JwksSource>>,
}

impl Default for StsConfig {
    fn default() -> Self {
        Self {
            min_duration_seconds: 900,
            jwks: None,
        }
    }
}

/// Who is calling: the principal and, for temporary credentials, the session's claims.
#[derive(Clone, Copy, Debug)]
pub struct CallerContext<'a> {
    pub principal: &'a Principal,
    pub session: Option<&'a SessionClaims>,
    /// This request proved MFA (`SerialNumber` + `TokenCode`, checked by the server once).
    pub mfa_verified: bool,
}

/// The STS service.
#[derive(Clone)]
pub struct Sts {
    inner: Arc<Inner>,
}

struct Inner {
    iam: Iam,
    keys: keyring::KeyRingManager,
    clock: Arc<dyn Clock>,
    config: StsConfig,
    jwks: Option<Arc<dyn JwksSource>>,
}

impl Sts {
    /// Opens the key ring in `store` (creating its first key on a new store).
    pub async fn open(
        store: Store,
        iam: Iam,
        master: MasterKey,
        clock: Arc<dyn Clock>,
        config: StsConfig,
    ) -> Result<Self, StsError> {
        let keys = keyring::KeyRingManager::open(store, master, clock.now_unix()).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                iam,
                keys,
                clock,
                jwks: config.jwks.clone(),
                config,
            }),
        })
    }

    /// Serves one STS action for an authenticated, authorized caller; returns the XML body.
    pub async fn handle(
        &self,
        caller: &CallerContext<'_>,
        params: &QueryParams,
        request_id: &str,
    ) -> Result<String, StsError> {
        let name = params.action().ok_or(StsError::MissingAction)?;
        let action = Action::parse(name).ok_or_else(|| StsError::InvalidAction(name.to_owned()))?;
        match action {
            Action::GetCallerIdentity => Ok(caller_identity::handle(caller, request_id)),
            Action::GetSessionToken => {
                session_token::handle(self, caller, params, request_id).await
            }
            Action::GetFederationToken => {
                federation_token::handle(self, caller, params, request_id).await
            }
            Action::AssumeRole => assume_role::handle(self, caller, params, request_id).await,
            Action::AssumeRoleWithWebIdentity => {
                web_identity::handle(self, params, request_id).await
            }
            Action::GetAccessKeyInfo => key_info::handle(self, params, request_id).await,
            Action::DecodeAuthorizationMessage => {
                authorization_message::decode(self, params, request_id)
            }
        }
    }

    /// `AssumeRoleWithWebIdentity`, which is unsigned: the ID token is the caller's only proof, so
    /// it needs no authenticated caller.
    pub async fn assume_role_with_web_identity(
        &self,
        params: &QueryParams,
        request_id: &str,
    ) -> Result<String, StsError> {
        web_identity::handle(self, params, request_id).await
    }

    /// Opens a session token with the current key ring. The caller checks the access key id and
    /// expiry (and maps every error to `InvalidClientTokenId`).
    pub fn unseal(&self, token: &str) -> Result<SessionClaims, TokenError> {
        tessera_token::unseal(token, &self.inner.keys.ring())
    }

    /// [`Sts::unseal`], but a token sealed by a key newer than this node's ring (another node
    /// rotated) reloads the ring once and tries again.
    pub async fn unseal_fresh(&self, token: &str) -> Result<SessionClaims, TokenError> {
        match self.unseal(token) {
            Err(TokenError::UnknownKey(id)) if id > self.inner.keys.ring().current().id => {
                match self.inner.keys.reload_if_allowed().await {
                    Ok(true) => self.unseal(token),
                    Ok(false) => Err(TokenError::UnknownKey(id)),
                    Err(e) => {
                        tracing::warn!("reloading the key ring: {e}");
                        Err(TokenError::UnknownKey(id))
                    }
                }
            }
            other => other,
        }
    }

    /// Seals the JSON description of a denied request into the opaque message that
    /// `DecodeAuthorizationMessage` opens.
    pub fn seal_authorization_message(&self, decoded_json: &str) -> String {
        authorization_message::seal(self.inner.keys.master(), decoded_json)
    }

    /// Rotates the sealing key when it is due and re-reads the ring (run periodically).
    pub async fn rotate_keys_if_due(&self) -> Result<bool, StsError> {
        self.inner
            .keys
            .rotate_if_due(self.inner.clock.now_unix())
            .await
    }

    fn now(&self) -> u64 {
        self.inner.clock.now_unix()
    }

    fn iam(&self) -> &Iam {
        &self.inner.iam
    }

    fn jwks_source(&self) -> Option<&dyn JwksSource> {
        self.inner.jwks.as_deref()
    }

    fn min_duration(&self) -> u64 {
        self.inner.config.min_duration_seconds
    }
}

/// Wraps a result in STS's `<XResponse><XResult>…</XResult><ResponseMetadata>…` envelope.
fn envelope(action: &str, request_id: &str, result: impl FnOnce(&mut XmlWriter)) -> String {
    let response = format!("{action}Response");
    let result_tag = format!("{action}Result");
    let mut w = XmlWriter::with_declaration();
    w.open_ns(&response, XMLNS);
    w.open(&result_tag);
    result(&mut w);
    w.close(&result_tag);
    w.open("ResponseMetadata");
    w.leaf("RequestId", request_id);
    w.close("ResponseMetadata");
    w.close(&response);
    w.finish()
}
