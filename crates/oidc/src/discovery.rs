//! [`DiscoveryDocument`]: the parts of an issuer's `/.well-known/openid-configuration` (OpenID
//! Connect Discovery 1.0) that web identity federation needs: the issuer and its `jwks_uri`.
//!
//! This module owns reading and checking that document. It must never fetch it or the JWKS: the
//! server does the HTTP and hands the bytes in.

use serde::Deserialize;

use crate::error::OidcError;

/// Largest discovery document accepted, in bytes.
pub const MAX_DISCOVERY_BYTES: usize = 256 * 1024;

/// The fields of a discovery document that tessera uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DiscoveryDocument {
    /// The issuer identifier; must equal the issuer the document was fetched for.
    pub issuer: String,
    /// Where the issuer publishes its JWKS.
    pub jwks_uri: String,
    /// The signing algorithms the issuer says it uses for ID tokens (informational).
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
}

/// The URL of `issuer`'s discovery document: the issuer with any trailing `/` removed, then
/// `/.well-known/openid-configuration` (Discovery §4).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Parses a discovery document and checks that its `issuer` is `expected_issuer` exactly
/// (Discovery §4.3: otherwise a document could point one issuer's tokens at another's keys) and
/// that `jwks_uri` is an `http(s)` URL. Whether plain `http` is acceptable is the server's
/// policy, not this parser's.
pub fn parse_discovery(
    document: &[u8],
    expected_issuer: &str,
) -> Result<DiscoveryDocument, OidcError> {
    if document.len() > MAX_DISCOVERY_BYTES {
        return Err(OidcError::InvalidDiscovery("document larger than 256 KiB"));
    }
    let doc: DiscoveryDocument = serde_json::from_slice(document)
        .map_err(|_| OidcError::InvalidDiscovery("not an OpenID configuration document"))?;
    if doc.issuer != expected_issuer {
        return Err(OidcError::InvalidDiscovery(
            "issuer differs from the provider's URL",
        ));
    }
    if !(doc.jwks_uri.starts_with("https://") || doc.jwks_uri.starts_with("http://")) {
        return Err(OidcError::InvalidDiscovery(
            "jwks_uri is not an http(s) URL",
        ));
    }
    Ok(doc)
}
