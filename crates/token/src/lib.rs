//! Session tokens for tessera: temporary credentials that carry everything needed to serve them.
//!
//! STS issues an `ASIA…` access key id, a random secret and a session token that *seals*
//! (AES-256-GCM) the session's claims, so any node validates a request's credentials by unsealing
//! the token, without a database read. This crate also owns the key ring's cryptography: sealing
//! keys wrapped under a master key for storage, and general secrets (IAM's long-term secret keys)
//! encrypted at rest.
//!
//! This crate must never do I/O, run async code, read a clock or the environment, or know about
//! HTTP or storage: callers pass the current time and persist the bytes it hands back.
//!
//! Layout:
//! - [`claims`]: what a token carries ([`SessionClaims`], [`SessionKind`]).
//! - `codec`: the compact, bounds-checked binary encoding of claims inside a token (private).
//! - [`keys`]: [`SealingKey`], [`KeyRing`], [`MasterKey`].
//! - [`mod@seal`]: [`seal()`] and [`unseal`], the token's wire format.
//! - [`at_rest`]: [`wrap_key`] / [`unwrap_key`] and [`encrypt_secret`] / [`decrypt_secret`].
//! - [`ids`]: access key ids and secret access keys.
//! - [`error`]: [`TokenError`], the crate's one error type.

pub mod at_rest;
pub mod claims;
mod codec;
pub mod error;
pub mod ids;
pub mod keys;
pub mod seal;

pub use at_rest::{decrypt_secret, encrypt_secret, unwrap_key, wrap_key};
pub use claims::{SessionClaims, SessionKind};
pub use error::TokenError;
pub use ids::{new_access_key_id_long_term, new_access_key_id_temporary, new_secret_access_key};
pub use keys::{KeyRing, MasterKey, SealingKey};
pub use seal::{seal, unseal, MAX_SESSION_POLICY_LEN, MAX_TOKEN_LEN};
