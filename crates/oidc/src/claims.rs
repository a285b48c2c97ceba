//! [`Claims`]: what a verified ID token says about its subject, and the condition keys AWS defines
//! for web identity federation, for the trust policy of the role being assumed.
//!
//! This module owns reading the payload's registered claims into typed fields. It must never
//! decide whether a token is acceptable: `verify` does, with these values.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::OidcError;

/// Google's issuer, whose tokens AWS treats specially (`azp`, and the `:oaud` condition key).
const GOOGLE_PROVIDER: &str = "accounts.google.com";

/// The claims of a verified ID token.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Claims {
    /// The issuer (`iss`), exactly as in the token.
    pub iss: String,
    /// The subject (`sub`).
    pub sub: String,
    /// The audience that matched one of the provider's client ids: for Google tokens with an
    /// authorized party (`azp`), that value; otherwise the first `aud` entry on the client list.
    pub aud: String,
    /// Every audience the token names (`aud`, a string or an array).
    pub audiences: Vec<String>,
    /// Authentication method references (`amr`), empty if absent.
    pub amr: Vec<String>,
    /// Expiry (`exp`), seconds since the Unix epoch.
    pub exp: u64,
    /// Issue time (`iat`), seconds since the Unix epoch.
    pub iat: u64,
    /// Not-before time (`nbf`), if the token has one.
    pub nbf: Option<u64>,
    /// Every other claim, untouched: `azp`, `email`, AWS's
    /// `https://aws.amazon.com/source_identity` and `https://aws.amazon.com/tags`, and whatever
    /// an issuer adds.
    pub extra: Map<String, Value>,
}

impl Claims {
    /// The provider name used in condition keys and in the OIDC provider's ARN: the issuer URL
    /// without `https://` (or the `http://` of a loopback issuer; path kept, e.g. `token.actions.githubusercontent.com` or
    /// `oidc.eks.us-east-1.amazonaws.com/id/ABC`).
    pub fn provider(&self) -> &str {
        self.iss
            .strip_prefix("https://")
            .or_else(|| self.iss.strip_prefix("http://"))
            .unwrap_or(&self.iss)
    }

    /// The request-context entries AWS defines for `AssumeRoleWithWebIdentity`, keyed by
    /// condition key: `<provider>:sub`, `<provider>:aud`, `<provider>:amr` (when the token has an
    /// `amr`), and for Google, `accounts.google.com:oaud` (the token's `aud` when `azp` stood in
    /// for it). Multi-valued keys (`amr`, `oaud`) are for `ForAnyValue:`/`ForAllValues:`.
    pub fn condition_keys(&self) -> BTreeMap<String, Vec<String>> {
        let provider = self.provider();
        let mut keys = BTreeMap::new();
        keys.insert(format!("{provider}:sub"), vec![self.sub.clone()]);
        keys.insert(format!("{provider}:aud"), vec![self.aud.clone()]);
        if !self.amr.is_empty() {
            keys.insert(format!("{provider}:amr"), self.amr.clone());
        }
        if provider == GOOGLE_PROVIDER && self.extra.contains_key("azp") {
            keys.insert(format!("{provider}:oaud"), self.audiences.clone());
        }
        keys
    }
}

/// The payload's claims before the checks of `verify`.
pub(crate) struct RawClaims {
    pub(crate) iss: String,
    pub(crate) sub: Option<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) azp: Option<String>,
    pub(crate) amr: Vec<String>,
    pub(crate) exp: Option<u64>,
    pub(crate) iat: Option<u64>,
    pub(crate) nbf: Option<u64>,
    pub(crate) extra: Map<String, Value>,
}

impl RawClaims {
    /// Reads the registered claims out of a JSON payload; a claim of the wrong type is an error,
    /// a missing one is left for `verify` to judge (except `iss`, without which no provider can
    /// even be chosen).
    pub(crate) fn from_payload(payload: &[u8]) -> Result<RawClaims, OidcError> {
        let mut map: Map<String, Value> = serde_json::from_slice(payload)
            .map_err(|_| OidcError::Malformed("payload is not a JSON object"))?;
        let iss = match map.remove("iss") {
            Some(Value::String(iss)) => iss,
            Some(_) => return Err(OidcError::InvalidClaim("iss")),
            None => return Err(OidcError::MissingClaim("iss")),
        };
        let sub = optional_string(map.remove("sub"), "sub")?;
        let audiences = string_or_array(map.remove("aud"), "aud")?;
        let azp = match map.get("azp") {
            None => None,
            Some(Value::String(azp)) => Some(azp.clone()),
            Some(_) => return Err(OidcError::InvalidClaim("azp")),
        };
        let amr = string_or_array(map.remove("amr"), "amr")?;
        let exp = numeric_date(map.remove("exp"), "exp")?;
        let iat = numeric_date(map.remove("iat"), "iat")?;
        let nbf = numeric_date(map.remove("nbf"), "nbf")?;
        Ok(RawClaims {
            iss,
            sub,
            audiences,
            azp,
            amr,
            exp,
            iat,
            nbf,
            extra: map,
        })
    }
}

fn optional_string(value: Option<Value>, name: &'static str) -> Result<Option<String>, OidcError> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(OidcError::InvalidClaim(name)),
    }
}

/// `aud` and `amr`: a string or an array of strings (absent → empty).
fn string_or_array(value: Option<Value>, name: &'static str) -> Result<Vec<String>, OidcError> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s]),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                _ => Err(OidcError::InvalidClaim(name)),
            })
            .collect(),
        Some(_) => Err(OidcError::InvalidClaim(name)),
    }
}

/// A NumericDate (RFC 7519 §2): seconds since the epoch, an integer or a non-negative finite
/// number whose fraction is dropped.
fn numeric_date(value: Option<Value>, name: &'static str) -> Result<Option<u64>, OidcError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let Value::Number(number) = value else {
        return Err(OidcError::InvalidClaim(name));
    };
    if let Some(seconds) = number.as_u64() {
        return Ok(Some(seconds));
    }
    match number.as_f64() {
        // `as` saturates at u64::MAX, which is the right reading of an absurdly far date.
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 => Ok(Some(seconds as u64)),
        _ => Err(OidcError::InvalidClaim(name)),
    }
}
