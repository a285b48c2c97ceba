//! [`OidcError`], the crate's one error type, and its mapping to the error codes STS returns.
//!
//! This module owns the wording of every failure. It must never carry key material or the token
//! itself in a message: messages reach unauthenticated callers.

use thiserror::Error;

/// Everything that can make a web identity token, a JWKS or a discovery document unacceptable.
///
/// Messages are in AWS's words where AWS's wording is known (`Incorrect token audience`,
/// `No OpenIDConnect provider found in your account for …`, `Token expired: current date/time …`,
/// `Couldn't retrieve verification key …`); [`OidcError::aws_code`] gives the error code STS puts
/// next to them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OidcError {
    /// The token is longer than `AssumeRoleWithWebIdentity`'s `WebIdentityToken` allows. AWS
    /// rejects this at input validation, before looking at the token.
    #[error(
        "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: \
         Member must have length less than or equal to {max}"
    )]
    TokenTooLong { len: usize, max: usize },

    /// Not a compact JWS with a JSON header and a JSON object payload.
    #[error(
        "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access \
         Token) ({0})"
    )]
    Malformed(&'static str),

    /// The header's `alg` is not RS256 or ES256 (this includes `none` and every HMAC algorithm),
    /// or the header asks for an extension (`crit`) that this verifier does not implement.
    #[error("The token's signing algorithm {0:?} is not supported; use RS256 or ES256")]
    UnsupportedAlgorithm(String),

    /// No key of the JWKS fits the token: no key with the token's `kid` and the key type its
    /// `alg` needs, or (for a token without `kid`) not exactly one key of that type.
    #[error(
        "Couldn't retrieve verification key from your identity provider, please reference \
         AssumeRoleWithWebIdentity documentation for requirements"
    )]
    NoMatchingKey { kid: Option<String> },

    /// The signature does not verify under the selected key.
    #[error("The web identity token's signature is not valid")]
    BadSignature,

    /// The token's `iss` is not the provider's issuer URL.
    #[error("No OpenIDConnect provider found in your account for {found}")]
    WrongIssuer { found: String },

    /// None of the token's audiences is one of the provider's client ids.
    #[error("Incorrect token audience")]
    IncorrectAudience,

    /// `exp` (plus the configured leeway) is not after `now`.
    #[error(
        "Token expired: current date/time {now} must be before the expiration date/time {exp}"
    )]
    Expired { now: u64, exp: u64 },

    /// `nbf` (less the configured leeway) is after `now`.
    #[error(
        "Token is not yet valid: current date/time {now} is before the not-before date/time {nbf}"
    )]
    NotYetValid { now: u64, nbf: u64 },

    /// A claim that web identity federation needs is absent.
    #[error("The identity token is missing the required claim '{0}'")]
    MissingClaim(&'static str),

    /// A claim is present but has the wrong JSON type or an impossible value.
    #[error("The identity token's claim '{0}' is not valid")]
    InvalidClaim(&'static str),

    /// The JWKS document is unusable (too large, not JSON, too many keys, no usable key).
    #[error(
        "Couldn't retrieve verification key from your identity provider, please reference \
         AssumeRoleWithWebIdentity documentation for requirements ({0})"
    )]
    InvalidJwks(&'static str),

    /// The `/.well-known/openid-configuration` document is unusable.
    #[error("The identity provider's OpenID configuration document is not valid ({0})")]
    InvalidDiscovery(&'static str),
}

impl OidcError {
    /// The AWS error code STS returns for this error (all of them are HTTP 400, `Sender`).
    ///
    /// Expiry gets its own code because SDK credential providers react to it by fetching a new
    /// identity token; a claim that is missing is the provider's fault (`IDPRejectedClaim`), not a
    /// forged token; everything else is `InvalidIdentityToken`.
    pub fn aws_code(&self) -> &'static str {
        match self {
            OidcError::TokenTooLong { .. } => "ValidationError",
            OidcError::Expired { .. } => "ExpiredTokenException",
            OidcError::MissingClaim(_) => "IDPRejectedClaim",
            OidcError::Malformed(_)
            | OidcError::UnsupportedAlgorithm(_)
            | OidcError::NoMatchingKey { .. }
            | OidcError::BadSignature
            | OidcError::WrongIssuer { .. }
            | OidcError::IncorrectAudience
            | OidcError::NotYetValid { .. }
            | OidcError::InvalidClaim(_)
            | OidcError::InvalidJwks(_)
            | OidcError::InvalidDiscovery(_) => "InvalidIdentityToken",
        }
    }
}
