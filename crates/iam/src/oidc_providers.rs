//! OpenID Connect identity providers: CreateOpenIDConnectProvider, GetOpenIDConnectProvider,
//! ListOpenIDConnectProviders, DeleteOpenIDConnectProvider, Add/RemoveClientID…,
//! UpdateOpenIDConnectProviderThumbprint, Tag/Untag/List…Tags, and the lookup
//! `AssumeRoleWithWebIdentity` uses ([`Iam::oidc_provider_for_issuer`]).
//!
//! A provider is keyed by its URL without `https://` (the host in lowercase), which is also its
//! ARN's resource. This module only records what an account trusts: it must never fetch anything
//! from a provider (token and key checks belong to STS).

use tessera_core::AccountId;
use tessera_protocol::XmlWriter;
use tessera_store::Tx;

use crate::model::{OidcProvider, Tag};
use crate::validate::Input;
use crate::{db, keys, tags, xml, Ctx, Iam, IamError, Output};

/// AWS's quotas.
const MAX_PROVIDERS: usize = 100;
const MAX_CLIENT_IDS: usize = 100;
const MAX_THUMBPRINTS: usize = 5;
const URL_MAX: usize = 255;
const CLIENT_ID_MAX: usize = 255;

/// Splits `https://host[/path]` into the issuer as stored (scheme and host in lowercase) and its
/// host-and-path part; `None` if it is not an https URL with a host.
///
/// One extension to AWS: `http://` is accepted for loopback hosts (`localhost`, `127.0.0.1`,
/// `[::1]`, with any port), so a test or a developer can run an issuer on the same machine
/// without a certificate. Nothing else may be plain HTTP.
fn split_url(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = if url.get(..8)?.eq_ignore_ascii_case("https://") {
        ("https://", url.get(8..)?)
    } else if url.get(..7)?.eq_ignore_ascii_case("http://") {
        ("http://", url.get(7..)?)
    } else {
        return None;
    };
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    let path_ok = path
        .bytes()
        .all(|b| (0x21..=0x7e).contains(&b) && b != b'?' && b != b'#');
    if !host_ok || !path_ok || (scheme == "http://" && !is_loopback(host)) {
        return None;
    }
    let host_and_path = format!("{}{path}", host.to_ascii_lowercase());
    Some((format!("{scheme}{host_and_path}"), host_and_path))
}

/// `localhost`, `127.0.0.1` or `[::1]`, with or without a port.
fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    matches!(
        name.to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "::1"
    )
}

fn url_param(i: &Input<'_>) -> Result<(String, String), IamError> {
    check_url(i.required("Url")?)
}

/// The issuer as stored and its host-and-path part, or the error CreateOpenIDConnectProvider
/// gives for this `Url`.
pub(crate) fn check_url(v: &str) -> Result<(String, String), IamError> {
    let n = v.chars().count();
    if n > URL_MAX {
        return Err(IamError::validation(
            Some(v),
            "url",
            &format!("Member must have length less than or equal to {URL_MAX}"),
        ));
    }
    split_url(v).ok_or_else(|| {
        IamError::InvalidInput(format!(
            "Invalid Url {v}: it must begin with https:// and have a host, without a query or fragment."
        ))
    })
}

fn client_id(v: &str) -> Result<String, IamError> {
    let n = v.chars().count();
    if n == 0 || n > CLIENT_ID_MAX {
        return Err(IamError::validation(
            Some(v),
            "clientID",
            &format!("Member must have length between 1 and {CLIENT_ID_MAX}"),
        ));
    }
    Ok(v.to_owned())
}

/// `ClientIDList.member.N`.
fn client_ids(i: &Input<'_>) -> Result<Vec<String>, IamError> {
    check_client_ids(i.members("ClientIDList"))
}

/// Valid client ids, without repeats, in order.
pub(crate) fn check_client_ids<'a>(
    list: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, IamError> {
    let mut out: Vec<String> = Vec::new();
    for v in list {
        let id = client_id(v)?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.len() > MAX_CLIENT_IDS {
        return Err(client_id_quota());
    }
    Ok(out)
}

fn client_id_quota() -> IamError {
    IamError::LimitExceeded(format!(
        "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
    ))
}

/// `ThumbprintList.member.N`.
fn thumbprints(i: &Input<'_>) -> Result<Vec<String>, IamError> {
    check_thumbprints(i.members("ThumbprintList"))
}

/// At most five SHA-1 fingerprints of 40 hex digits, kept in lowercase without repeats.
pub(crate) fn check_thumbprints<'a>(
    list: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, IamError> {
    let mut out: Vec<String> = Vec::new();
    for v in list {
        if v.chars().count() != 40 {
            return Err(IamError::validation(
                Some(v),
                "thumbprintList.member",
                "Member must have length 40",
            ));
        }
        if !v.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(IamError::InvalidInput(format!(
                "Thumbprint {v} is not a 40-digit hexadecimal SHA-1 fingerprint."
            )));
        }
        let t = v.to_ascii_lowercase();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_THUMBPRINTS {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: {MAX_THUMBPRINTS}"
        )));
    }
    Ok(out)
}

/// The store key of the provider an ARN names: `InvalidInput` if it is no OIDC provider ARN,
/// `NoSuchEntity` if it belongs to another account.
fn key_of_arn(account: &AccountId, arn: &str) -> Result<String, IamError> {
    let invalid = || IamError::InvalidInput(format!("ARN {arn} is not valid."));
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (acct, rest) = rest.split_once(':').ok_or_else(invalid)?;
    let rest = rest.strip_prefix("oidc-provider/").ok_or_else(invalid)?;
    let (_, host_and_path) = split_url(&format!("https://{rest}")).ok_or_else(invalid)?;
    if acct != account.as_str() {
        return Err(IamError::no_such_oidc(arn));
    }
    Ok(keys::child(account.as_str(), &host_and_path))
}

/// A provider as the bootstrap file declares it (already validated).
pub(crate) struct Declared {
    pub url: String,
    pub host_and_path: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub tags: Vec<Tag>,
}

/// Creates a declared provider, or completes an existing one: missing client ids and tags are
/// added, and a declared thumbprint list that differs replaces the stored one. Nothing is
/// removed, so applying the same declaration twice changes nothing.
pub(crate) fn ensure(
    tx: &mut dyn Tx,
    account: &AccountId,
    now: u64,
    d: Declared,
) -> Result<(), IamError> {
    let key = keys::child(account.as_str(), &d.host_and_path);
    let Some(current) = db::get::<OidcProvider>(tx, keys::OIDC, &key)? else {
        let p = OidcProvider {
            account: account.clone(),
            url: d.url,
            client_ids: d.client_ids,
            thumbprints: d.thumbprints,
            created: now,
            tags: d.tags,
        };
        return db::put(tx, keys::OIDC, &key, &p);
    };
    let mut p = current.clone();
    for id in d.client_ids {
        if !p.client_ids.contains(&id) {
            p.client_ids.push(id);
        }
    }
    if p.client_ids.len() > MAX_CLIENT_IDS {
        return Err(client_id_quota());
    }
    if !d.thumbprints.is_empty() {
        p.thumbprints = d.thumbprints;
    }
    tags::merge(&mut p.tags, d.tags)?;
    if p == current {
        return Ok(());
    }
    db::put(tx, keys::OIDC, &key, &p)
}

fn load(
    tx: &mut dyn Tx,
    account: &AccountId,
    arn: &str,
) -> Result<(String, OidcProvider), IamError> {
    let key = key_of_arn(account, arn)?;
    match db::get::<OidcProvider>(tx, keys::OIDC, &key)? {
        Some(p) => Ok((key, p)),
        None => Err(IamError::no_such_oidc(arn)),
    }
}

impl Iam {
    /// Loads the provider `OpenIDConnectProviderArn` names, applies `f` and stores it.
    async fn update_oidc_provider(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
        f: impl FnOnce(&mut OidcProvider) -> Result<(), IamError> + Send + 'static,
    ) -> Result<Output, IamError> {
        let arn = i.arn("OpenIDConnectProviderArn")?;
        self.write(move |tx| {
            let (key, mut p) = load(tx, &ctx.account, &arn)?;
            f(&mut p)?;
            db::put(tx, keys::OIDC, &key, &p)
        })
        .await?;
        Ok(None)
    }

    pub(crate) async fn create_oidc_provider(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let (url, host_and_path) = url_param(i)?;
        let client_ids = client_ids(i)?;
        let thumbprints = thumbprints(i)?;
        let tags = i.tags("Tags")?;
        let provider = self
            .write(move |tx| {
                let key = keys::child(ctx.account.as_str(), &host_and_path);
                if tx.get(keys::OIDC, &key)?.is_some() {
                    return Err(IamError::EntityAlreadyExists(format!(
                        "Provider with url {url} already exists."
                    )));
                }
                let prefix = keys::account_prefix(&ctx.account);
                if db::keys(tx, keys::OIDC, &prefix)?.len() >= MAX_PROVIDERS {
                    return Err(IamError::LimitExceeded(format!(
                        "Cannot exceed quota for OpenIdConnectProvidersPerAccount: {MAX_PROVIDERS}"
                    )));
                }
                let p = OidcProvider {
                    account: ctx.account.clone(),
                    url,
                    client_ids,
                    thumbprints,
                    created: ctx.now,
                    tags,
                };
                db::put(tx, keys::OIDC, &key, &p)?;
                Ok(p)
            })
            .await?;
        let mut w = XmlWriter::new();
        w.leaf("OpenIDConnectProviderArn", &provider.arn());
        if !provider.tags.is_empty() {
            xml::tags(&mut w, &provider.tags);
        }
        Ok(Some(w.finish()))
    }

    pub(crate) async fn get_oidc_provider(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let arn = i.arn("OpenIDConnectProviderArn")?;
        let (_, p) = self.read(move |tx| load(tx, &ctx.account, &arn)).await?;
        let mut w = XmlWriter::new();
        w.leaf("Url", p.host_and_path());
        xml::string_list(&mut w, "ClientIDList", &p.client_ids);
        xml::string_list(&mut w, "ThumbprintList", &p.thumbprints);
        xml::date(&mut w, "CreateDate", p.created);
        if !p.tags.is_empty() {
            xml::tags(&mut w, &p.tags);
        }
        Ok(Some(w.finish()))
    }

    pub(crate) async fn list_oidc_providers(&self, ctx: Ctx) -> Result<Output, IamError> {
        let providers = self
            .read(move |tx| {
                db::scan_all::<OidcProvider>(tx, keys::OIDC, &keys::account_prefix(&ctx.account))
            })
            .await?;
        let mut w = XmlWriter::new();
        xml::list(
            &mut w,
            "OpenIDConnectProviderList",
            &providers,
            |w, (_, p)| {
                w.leaf("Arn", &p.arn());
            },
        );
        Ok(Some(w.finish()))
    }

    /// Idempotent, as AWS documents it: deleting a provider that does not exist succeeds.
    pub(crate) async fn delete_oidc_provider(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let arn = i.arn("OpenIDConnectProviderArn")?;
        self.write(move |tx| {
            let key = key_of_arn(&ctx.account, &arn)?;
            db::delete(tx, keys::OIDC, &key)?;
            Ok(())
        })
        .await?;
        Ok(None)
    }

    /// Idempotent: adding a client id the provider already has changes nothing.
    pub(crate) async fn add_oidc_client_id(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let id = client_id(i.required("ClientID")?)?;
        self.update_oidc_provider(ctx, i, move |p| {
            if !p.client_ids.contains(&id) {
                if p.client_ids.len() >= MAX_CLIENT_IDS {
                    return Err(client_id_quota());
                }
                p.client_ids.push(id);
            }
            Ok(())
        })
        .await
    }

    /// Idempotent: removing a client id the provider does not have changes nothing.
    pub(crate) async fn remove_oidc_client_id(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let id = client_id(i.required("ClientID")?)?;
        self.update_oidc_provider(ctx, i, move |p| {
            p.client_ids.retain(|c| *c != id);
            Ok(())
        })
        .await
    }

    /// Replaces the whole list; an empty list (`ThumbprintList=`) clears it.
    pub(crate) async fn update_oidc_thumbprints(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let list = thumbprints(i)?;
        if list.is_empty() && i.opt("ThumbprintList").is_none() {
            return Err(IamError::validation(
                None,
                "thumbprintList",
                "Member must not be null",
            ));
        }
        self.update_oidc_provider(ctx, i, move |p| {
            p.thumbprints = list;
            Ok(())
        })
        .await
    }

    pub(crate) async fn tag_oidc_provider(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let new = i.tags("Tags")?;
        if new.is_empty() {
            return Err(IamError::validation(
                None,
                "tags",
                "Member must not be null",
            ));
        }
        self.update_oidc_provider(ctx, i, move |p| tags::merge(&mut p.tags, new))
            .await
    }

    pub(crate) async fn untag_oidc_provider(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let remove = i.tag_keys("TagKeys")?;
        self.update_oidc_provider(ctx, i, move |p| {
            p.tags
                .retain(|t| !remove.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            Ok(())
        })
        .await
    }

    pub(crate) async fn list_oidc_provider_tags(
        &self,
        ctx: Ctx,
        i: &Input<'_>,
    ) -> Result<Output, IamError> {
        let arn = i.arn("OpenIDConnectProviderArn")?;
        let max = i.max_items()?;
        let marker = i.marker()?.map(str::to_owned);
        let (_, p) = self.read(move |tx| load(tx, &ctx.account, &arn)).await?;
        tags::tags_page(p.tags, marker.as_deref(), max)
    }

    /// The account's provider for a token's `iss` claim, for `AssumeRoleWithWebIdentity`. The
    /// issuer matches a provider registered with or without a trailing slash; the host compares
    /// case-insensitively, the path exactly. `None` for an unknown or non-https issuer.
    pub async fn oidc_provider_for_issuer(
        &self,
        account: &AccountId,
        issuer_url: &str,
    ) -> Result<Option<OidcProvider>, IamError> {
        let Some((_, host_and_path)) = split_url(issuer_url) else {
            return Ok(None);
        };
        let exact = keys::child(account.as_str(), &host_and_path);
        let other = match exact.strip_suffix('/') {
            Some(trimmed) => trimmed.to_owned(),
            None => format!("{exact}/"),
        };
        self.read(move |tx| {
            for key in [exact, other] {
                if let Some(p) = db::get::<OidcProvider>(tx, keys::OIDC, &key)? {
                    return Ok(Some(p));
                }
            }
            Ok(None)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_with_a_host_or_loopback_http() {
        for (url, want) in [
            ("https://example.com", Some("example.com")),
            ("HTTPS://Example.COM/Path/x", Some("example.com/Path/x")),
            (
                "https://token.actions.githubusercontent.com/",
                Some("token.actions.githubusercontent.com/"),
            ),
            (
                "https://localhost:8443/realms/ci",
                Some("localhost:8443/realms/ci"),
            ),
            ("http://example.com", None),
            ("https://", None),
            (
                "http://127.0.0.1:8080/issuer",
                Some("127.0.0.1:8080/issuer"),
            ),
            ("http://localhost:9", Some("localhost:9")),
            ("http://[::1]:9", Some("[::1]:9")),
            ("http://127.0.0.2.example.com", None),
            ("https:///path", None),
            ("https://example.com/a?b=c", None),
            ("https://example.com/a#f", None),
            ("https://exa mple.com", None),
            ("https://é.com", None),
            ("http", None),
        ] {
            let got = split_url(url);
            assert_eq!(got.as_ref().map(|(_, h)| h.as_str()), want, "{url}");
            if let Some((issuer, h)) = got {
                let scheme = if url.starts_with("http://") {
                    "http"
                } else {
                    "https"
                };
                assert_eq!(issuer, format!("{scheme}://{h}"));
            }
        }
    }

    #[test]
    fn arns_name_providers_of_their_account() {
        let a = AccountId::parse("123456789012").unwrap_or_else(|_| unreachable!());
        let ok = key_of_arn(&a, "arn:aws:iam::123456789012:oidc-provider/Example.com/x");
        assert_eq!(ok.ok().as_deref(), Some("123456789012/example.com/x"));
        assert!(matches!(
            key_of_arn(&a, "arn:aws:iam::999999999999:oidc-provider/example.com"),
            Err(IamError::NoSuchEntity(_))
        ));
        for bad in [
            "arn:aws:iam::123456789012:saml-provider/x",
            "arn:aws:iam::123456789012:oidc-provider/",
            "not-an-arn-at-all-but-long",
        ] {
            assert!(
                matches!(key_of_arn(&a, bad), Err(IamError::InvalidInput(_))),
                "{bad}"
            );
        }
    }
}
