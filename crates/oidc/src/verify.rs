//! [`verify`]: the whole acceptance decision for an `AssumeRoleWithWebIdentity` token, and
//! [`unverified_issuer`], which STS needs first to find the provider (and so the JWKS) to use.
//!
//! This module owns the order and the rules of the checks. It must never read a clock: the
//! caller passes `now`.

use crate::claims::{Claims, RawClaims};
use crate::error::OidcError;
use crate::jwks::Jwks;
use crate::jws;

/// The clock skew AWS tolerates past an ID token's `exp` (five minutes, as the IAM User Guide
/// states for OIDC federation). [`Expectations::new`] starts at 0; STS passes this to
/// [`Expectations::with_leeway`] to behave as AWS does.
pub const AWS_EXPIRY_LEEWAY_SECS: u64 = 300;

/// What a token must match: the registered OIDC provider's issuer and client ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations {
    /// The provider's issuer URL. Compared with `iss` exactly: AWS does not add or remove a
    /// trailing `/` (an issuer such as Auth0's, whose `iss` ends in `/`, is registered with it),
    /// nor change case. One exception, Google's own: its tokens may carry `accounts.google.com`
    /// without the scheme, which is accepted for the issuer `https://accounts.google.com`.
    pub issuer: String,
    /// The provider's client ids (audiences); a token must name one of them.
    pub client_ids: Vec<String>,
    /// Seconds of clock skew tolerated for `exp` and `nbf`.
    pub leeway_secs: u64,
}

impl Expectations {
    /// Expectations for a provider, with no leeway.
    pub fn new<I, S>(issuer: impl Into<String>, client_ids: I) -> Expectations
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Expectations {
            issuer: issuer.into(),
            client_ids: client_ids.into_iter().map(Into::into).collect(),
            leeway_secs: 0,
        }
    }

    /// The same expectations with `leeway_secs` of tolerated clock skew.
    pub fn with_leeway(mut self, leeway_secs: u64) -> Expectations {
        self.leeway_secs = leeway_secs;
        self
    }

    fn issuer_matches(&self, iss: &str) -> bool {
        iss == self.issuer
            || (self.issuer == "https://accounts.google.com" && iss == "accounts.google.com")
    }
}

/// The `iss` of a token whose signature has *not* been checked, so that STS can find the OIDC
/// provider registered for it and that provider's JWKS. Never trust it for anything else;
/// [`verify`] checks it again once the signature holds.
pub fn unverified_issuer(token: &str) -> Result<String, OidcError> {
    let jws = jws::parse(token)?;
    Ok(RawClaims::from_payload(&jws.payload)?.iss)
}

/// Verifies an ID token: its form, its signature under `jwks`, then its claims against
/// `expected` at `now_unix` (seconds since the Unix epoch).
///
/// Order: length and form, algorithm, key, signature, then `iss`, `aud`, `exp`, `nbf`, and the
/// presence of `sub` and `iat`. Nothing in the payload is believed before the signature holds.
pub fn verify(
    token: &str,
    jwks: &Jwks,
    expected: &Expectations,
    now_unix: u64,
) -> Result<Claims, OidcError> {
    let jws = jws::parse(token)?;
    let key = jwks.select(jws.alg, jws.kid.as_deref())?;
    jws.verify_signature(key)?;
    let raw = RawClaims::from_payload(&jws.payload)?;

    if !expected.issuer_matches(&raw.iss) {
        return Err(OidcError::WrongIssuer { found: raw.iss });
    }
    let aud = matching_audience(&raw, expected).ok_or(OidcError::IncorrectAudience)?;

    let exp = raw.exp.ok_or(OidcError::MissingClaim("exp"))?;
    if now_unix >= exp.saturating_add(expected.leeway_secs) {
        return Err(OidcError::Expired { now: now_unix, exp });
    }
    if let Some(nbf) = raw.nbf {
        if nbf > now_unix.saturating_add(expected.leeway_secs) {
            return Err(OidcError::NotYetValid { now: now_unix, nbf });
        }
    }
    let sub = raw.sub.ok_or(OidcError::MissingClaim("sub"))?;
    let iat = raw.iat.ok_or(OidcError::MissingClaim("iat"))?;

    Ok(Claims {
        iss: raw.iss,
        sub,
        aud,
        audiences: raw.audiences,
        amr: raw.amr,
        exp,
        iat,
        nbf: raw.nbf,
        extra: raw.extra,
    })
}

/// The client id this token was issued to, if it is one of the expected ones. Google tokens name
/// the requesting client in `azp` when `aud` is another (server) client; AWS matches Google's
/// client ids against `azp` then, and against `aud` otherwise.
fn matching_audience(raw: &RawClaims, expected: &Expectations) -> Option<String> {
    let is_expected = |candidate: &String| expected.client_ids.contains(candidate);
    let google = raw.iss.strip_prefix("https://").unwrap_or(&raw.iss) == "accounts.google.com";
    match (&raw.azp, google) {
        (Some(azp), true) => is_expected(azp).then(|| azp.clone()),
        _ => raw.audiences.iter().find(|aud| is_expected(aud)).cloned(),
    }
}
