//! OpenID Connect ID-token verification for STS `AssumeRoleWithWebIdentity`.
//!
//! Given a web identity token, the JWKS of the OIDC provider registered for its issuer, what the
//! provider expects (issuer URL, client ids) and the current time, [`verify()`] decides whether the
//! token is acceptable the way AWS does, and returns its [`Claims`] with the condition keys the
//! role's trust policy is evaluated against (`<provider>:sub`, `:aud`, `:amr`, Google's `:oaud`).
//! Errors carry AWS's error code ([`OidcError::aws_code`]).
//!
//! This crate must never do I/O, run async code, read a clock or the environment, or speak HTTP:
//! the server fetches discovery documents and JWKS and passes their bytes in, and callers pass
//! the current time.
//!
//! Typical use in STS: [`unverified_issuer`] → look up the IAM OIDC provider for it → its cached
//! [`Jwks`] (fetched from the `jwks_uri` of its [`DiscoveryDocument`], or given in config) →
//! [`verify()`].
//!
//! Layout:
//! - [`jwks`]: [`Jwks`], [`Jwk`], [`Algorithm`]: parsing a JSON Web Key Set into ready keys.
//! - `jws`: the compact JWS form and signature checks (private).
//! - [`claims`]: [`Claims`] and its condition keys.
//! - [`mod@verify`]: [`verify()`], [`unverified_issuer`], [`Expectations`].
//! - [`discovery`]: [`DiscoveryDocument`], [`parse_discovery`], [`discovery_url`].
//! - [`error`]: [`OidcError`], the crate's one error type.

pub mod claims;
pub mod discovery;
pub mod error;
pub mod jwks;
mod jws;
pub mod verify;

pub use claims::Claims;
pub use discovery::{discovery_url, parse_discovery, DiscoveryDocument, MAX_DISCOVERY_BYTES};
pub use error::OidcError;
pub use jwks::{Algorithm, Jwk, Jwks};
pub use jws::MAX_TOKEN_LEN;
pub use verify::{unverified_issuer, verify, Expectations, AWS_EXPIRY_LEEWAY_SECS};
