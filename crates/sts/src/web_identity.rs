//! `AssumeRoleWithWebIdentity`: credentials for a role, in exchange for an OpenID Connect ID token.
//!
//! The request is unsigned: the token is the only proof. It must come from an issuer registered
//! as an IAM OIDC provider in the role's account, carry one of the provider's client ids as its
//! audience, verify under the issuer's keys (JWKS, from the server's [`JwksSource`]) and be
//! unexpired; then the role's trust policy must allow the provider as a `Federated` principal
//! under conditions on `PROVIDER:sub`, `:aud`, `:amr`.

use crate::assume_role::parse_role_arn;
use crate::credentials::{self, Grant};
use crate::{envelope, params, Sts, StsError};
use std::future::Future;
use std::pin::Pin;
use tessera_core::Principal;
use tessera_oidc::{Expectations, Jwks, OidcError};
use tessera_policy::{Context, PolicySet, PrincipalInfo, PrincipalKind};
use tessera_protocol::{timefmt::iso8601, QueryParams};
use tessera_token::SessionKind;

const DEFAULT_DURATION: u64 = 3_600;

/// Where an issuer's signing keys come from: configured for air-gapped sites, or discovered
/// through `/.well-known/openid-configuration`. The server implements it (it owns the network).
pub trait JwksSource: Send + Sync {
    /// The issuer's current key set. `refresh` asks to bypass any cache (the token names a key id
    /// the cached set lacks).
    fn jwks<'a>(
        &'a self,
        issuer: &'a str,
        refresh: bool,
    ) -> Pin<Box<dyn Future<Output = Result<Jwks, String>> + Send + 'a>>;
}

fn invalid(message: impl Into<String>) -> StsError {
    StsError::InvalidIdentityToken(message.into())
}

fn from_oidc(e: OidcError) -> StsError {
    match e.aws_code() {
        "ExpiredTokenException" => StsError::ExpiredIdentityToken(e.to_string()),
        "IDPRejectedClaim" => StsError::IdpRejectedClaim(e.to_string()),
        _ => invalid(e.to_string()),
    }
}

pub async fn handle(sts: &Sts, params: &QueryParams, request_id: &str) -> Result<String, StsError> {
    let role_arn = params
        .get("RoleArn")
        .ok_or_else(|| StsError::constraint("null", "roleArn", "Member must not be null"))?;
    let session_name =
        params::name(params, "RoleSessionName", "roleSessionName", 2, 64)?.to_owned();
    let token = params.get("WebIdentityToken").ok_or_else(|| {
        StsError::constraint("null", "webIdentityToken", "Member must not be null")
    })?;
    if token.len() < 4 || token.len() > tessera_oidc::MAX_TOKEN_LEN {
        return Err(StsError::constraint(
            "webIdentityToken",
            "webIdentityToken",
            "Member must have length between 4 and 20000",
        ));
    }
    let policy = params::session_policy(params)?;
    let policy_arns = params::policy_arns(params)?;
    let packed = params::packed_policy_size(policy.as_deref(), &policy_arns, &[])?;

    let denied =
        || StsError::AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity".into());
    let (account, role_name) = parse_role_arn(role_arn).ok_or_else(denied)?;
    let issuer = tessera_oidc::unverified_issuer(token).map_err(from_oidc)?;
    let provider = sts
        .iam()
        .oidc_provider_for_issuer(&account, &issuer)
        .await?
        .ok_or_else(|| {
            invalid(format!(
                "No OpenIDConnect provider found in your account for {issuer}"
            ))
        })?;
    // AWS accepts a token up to five minutes past its `exp`, for clock skew.
    let expected = Expectations::new(provider.url.clone(), provider.client_ids.clone())
        .with_leeway(tessera_oidc::AWS_EXPIRY_LEEWAY_SECS);
    let source = sts.jwks_source().ok_or_else(|| {
        StsError::IdpCommunicationError("no source of identity-provider keys is configured".into())
    })?;
    let now = sts.now();
    let jwks = source
        .jwks(&provider.url, false)
        .await
        .map_err(StsError::IdpCommunicationError)?;
    let claims = match tessera_oidc::verify(token, &jwks, &expected, now) {
        Err(OidcError::NoMatchingKey { .. }) => {
            let fresh = source
                .jwks(&provider.url, true)
                .await
                .map_err(StsError::IdpCommunicationError)?;
            tessera_oidc::verify(token, &fresh, &expected, now)
        }
        other => other,
    }
    .map_err(from_oidc)?;

    let role = sts
        .iam()
        .get_role(&account, &role_name)
        .await?
        .ok_or_else(denied)?;
    let provider_arn = format!(
        "arn:aws:iam::{account}:oidc-provider/{}",
        provider.host_and_path()
    );
    // The trust policy alone decides: there is no identity side for a web identity.
    let trust =
        tessera_policy::parse_trust_policy(&role.assume_role_policy).map_err(|_| denied())?;
    let principal = PrincipalInfo {
        kind: PrincipalKind::WebIdentity,
        arn: String::new(),
        account: String::new(),
        userid: claims.sub.clone(),
        username: None,
        parent_arn: None,
        provider: Some(provider_arn.clone()),
    };
    let mut ctx = Context::new();
    ctx.insert("aws:CurrentTime", iso8601(now));
    ctx.insert("aws:EpochTime", now.to_string());
    ctx.insert("aws:FederatedProvider", provider_arn.clone());
    ctx.insert("sts:RoleSessionName", session_name.clone());
    for (key, values) in claims.condition_keys() {
        ctx.set(&key, values);
    }
    let decision = tessera_policy::evaluate(
        &tessera_policy::Request {
            principal: &principal,
            action: "sts:AssumeRoleWithWebIdentity",
            resource: &role.arn(),
            context: &ctx,
        },
        &PolicySet {
            resource: Some(&trust),
            resource_account: Some(account.as_str()),
            ..PolicySet::default()
        },
    );
    if !decision.is_allowed() {
        return Err(denied());
    }

    let duration = params::duration(
        params,
        DEFAULT_DURATION,
        sts.min_duration(),
        u64::from(role.max_session_duration),
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )?;
    let assumed = Principal::AssumedRole {
        account: account.clone(),
        role_name: role.name.clone(),
        role_path: role.path.clone(),
        role_id: role.id.clone(),
        session_name,
    };
    let grant = Grant {
        account_id: account.to_string(),
        kind: SessionKind::WebIdentity,
        principal_arn: assumed.arn(),
        principal_id: assumed.user_id(),
        parent_arn: role.arn(),
        parent_id: role.id.clone(),
        session_policy: policy,
        policy_arns,
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        source_identity: None,
        mfa_authenticated: false,
        chained: false,
    };
    let ring = sts.inner.keys.ring();
    let (session, sealed) = credentials::mint(grant, now, duration, ring.current())?;
    Ok(envelope("AssumeRoleWithWebIdentity", request_id, |w| {
        credentials::write(w, &session, &sealed);
        w.leaf("SubjectFromWebIdentityToken", &claims.sub);
        w.open("AssumedRoleUser");
        w.leaf("AssumedRoleId", &session.principal_id);
        w.leaf("Arn", &session.principal_arn);
        w.close("AssumedRoleUser");
        if let Some(p) = packed {
            w.leaf("PackedPolicySize", &p.to_string());
        }
        w.leaf("Provider", &provider_arn);
        w.leaf("Audience", &claims.aud);
    }))
}
