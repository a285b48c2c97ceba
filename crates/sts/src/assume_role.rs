//! `AssumeRole`: credentials for a session of a role, in this account or another.
//!
//! Whether the caller may assume the role (its identity policies and the role's trust policy) is
//! decided by the authorizer before this runs; here the request is validated and the session
//! minted. Role chaining (a role session assuming a role) is capped at one hour, keeps the source
//! identity and carries transitive session tags forward, as AWS documents.

use crate::credentials::{self, Grant};
use crate::{envelope, params, CallerContext, Sts, StsError};
use tessera_core::{AccountId, Arn, Principal};
use tessera_protocol::QueryParams;
use tessera_token::SessionKind;

const DEFAULT_DURATION: u64 = 3_600;
const CHAINED_MAX: u64 = 3_600;

/// The account and name of the role a `RoleArn` names (`arn:aws:iam::ACCT:role/PATH/NAME`).
pub fn parse_role_arn(role_arn: &str) -> Option<(AccountId, String)> {
    let arn = Arn::parse(role_arn).ok()?;
    if arn.service != "iam" {
        return None;
    }
    let rest = arn.resource.strip_prefix("role/")?;
    let name = rest.rsplit('/').next()?;
    if name.is_empty() {
        return None;
    }
    Some((AccountId::parse(&arn.account).ok()?, name.to_owned()))
}

pub async fn handle(
    sts: &Sts,
    caller: &CallerContext<'_>,
    params: &QueryParams,
    request_id: &str,
) -> Result<String, StsError> {
    let role_arn = params
        .get("RoleArn")
        .ok_or_else(|| StsError::constraint("null", "roleArn", "Member must not be null"))?;
    if !(20..=2048).contains(&role_arn.len()) {
        return Err(StsError::constraint(
            role_arn,
            "roleArn",
            "Member must have length between 20 and 2048",
        ));
    }
    let session_name =
        params::name(params, "RoleSessionName", "roleSessionName", 2, 64)?.to_owned();
    match caller.principal {
        Principal::Root { .. } => {
            return Err(StsError::AccessDenied(
                "Roles may not be assumed by root accounts.".into(),
            ))
        }
        Principal::FederatedUser { .. } => {
            return Err(denied(caller.principal, role_arn));
        }
        _ => {}
    }
    let policy = params::session_policy(params)?;
    let policy_arns = params::policy_arns(params)?;
    let mut tags = params::tags(params)?;
    let mut transitive = params::transitive_tag_keys(params, &tags)?;
    if let Some(external_id) = params.get("ExternalId") {
        if !(2..=1224).contains(&external_id.chars().count()) {
            return Err(StsError::constraint(
                external_id,
                "externalId",
                "Member must have length between 2 and 1224",
            ));
        }
    }
    let requested_source = params.get("SourceIdentity");
    if let Some(s) = requested_source {
        if !(2..=64).contains(&s.chars().count()) {
            return Err(StsError::constraint(
                s,
                "sourceIdentity",
                "Member must have length between 2 and 64",
            ));
        }
    }

    let (account, role_name) =
        parse_role_arn(role_arn).ok_or_else(|| denied(caller.principal, role_arn))?;
    let role = sts
        .iam()
        .get_role(&account, &role_name)
        .await?
        .ok_or_else(|| denied(caller.principal, role_arn))?;

    // Role chaining: the parent session's source identity and transitive tags carry over.
    let parent_session = caller
        .session
        .filter(|s| matches!(s.kind, SessionKind::AssumedRole | SessionKind::WebIdentity));
    let chained = parent_session.is_some();
    let mut source_identity = requested_source.map(str::to_owned);
    if let Some(parent) = parent_session {
        if let Some(inherited) = &parent.source_identity {
            if source_identity.as_ref().is_some_and(|s| s != inherited) {
                return Err(StsError::AccessDenied(
                    "The source identity of a role session cannot be changed when chaining roles."
                        .into(),
                ));
            }
            source_identity = Some(inherited.clone());
        }
        for key in &parent.transitive_tag_keys {
            if let Some((k, v)) = parent
                .tags
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
            {
                if tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
                    return Err(StsError::InvalidParameterValue(format!(
                        "The session tag key {k} is transitive from the parent session and cannot be overridden."
                    )));
                }
                tags.push((k.clone(), v.clone()));
                transitive.push(k.clone());
            }
        }
    }
    let packed = params::packed_policy_size(policy.as_deref(), &policy_arns, &tags)?;

    let role_max = u64::from(role.max_session_duration);
    let (max, max_message) = if chained {
        (
            CHAINED_MAX.min(role_max),
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        )
    } else {
        (
            role_max,
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        )
    };
    let duration = params::duration(
        params,
        DEFAULT_DURATION,
        sts.min_duration(),
        max,
        max_message,
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
        kind: SessionKind::AssumedRole,
        principal_arn: assumed.arn(),
        principal_id: assumed.user_id(),
        parent_arn: role.arn(),
        parent_id: role.id.clone(),
        session_policy: policy,
        policy_arns,
        tags,
        transitive_tag_keys: transitive,
        source_identity,
        mfa_authenticated: caller.mfa_verified
            || caller.session.is_some_and(|s| s.mfa_authenticated),
        chained,
    };
    let ring = sts.inner.keys.ring();
    let (claims, token) = credentials::mint(grant, sts.now(), duration, ring.current())?;
    Ok(envelope("AssumeRole", request_id, |w| {
        credentials::write(w, &claims, &token);
        w.open("AssumedRoleUser");
        w.leaf("AssumedRoleId", &claims.principal_id);
        w.leaf("Arn", &claims.principal_arn);
        w.close("AssumedRoleUser");
        if let Some(p) = packed {
            w.leaf("PackedPolicySize", &p.to_string());
        }
        w.leaf_opt("SourceIdentity", claims.source_identity.as_deref());
    }))
}

/// AWS answers a missing role exactly like a refused one, so callers cannot probe for roles.
fn denied(caller: &Principal, role_arn: &str) -> StsError {
    StsError::AccessDenied(format!(
        "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        caller.arn()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        let (a, n) = parse_role_arn("arn:aws:iam::123456789012:role/path/to/Reader").unwrap();
        assert_eq!((a.as_str(), n.as_str()), ("123456789012", "Reader"));
        for bad in [
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:s3:::role/x",
            "arn:aws:iam::12:role/x",
            "arn:aws:iam::123456789012:role/",
            "nope",
        ] {
            assert!(parse_role_arn(bad).is_none(), "{bad}");
        }
    }
}
