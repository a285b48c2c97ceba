//! `GetSessionToken`: temporary credentials for an IAM user (or the root identity) itself.
//!
//! The session acts as the user: its permissions are the user's, evaluated at every request, and
//! deleting the user ends it. AWS's built-in limits apply at authorization time (no IAM without
//! MFA; on STS only AssumeRole and GetCallerIdentity).

use crate::credentials::{self, Grant};
use crate::{envelope, params, CallerContext, Sts, StsError};
use tessera_core::Principal;
use tessera_protocol::QueryParams;
use tessera_token::SessionKind;

const DEFAULT_USER: u64 = 43_200;
const MAX_USER: u64 = 129_600;
/// The root identity's sessions last at most an hour; longer requests are shortened, as AWS does.
const MAX_ROOT: u64 = 3_600;

pub async fn handle(
    sts: &Sts,
    caller: &CallerContext<'_>,
    params: &QueryParams,
    request_id: &str,
) -> Result<String, StsError> {
    if caller.session.is_some() {
        return Err(StsError::AccessDenied(
            "Cannot call GetSessionToken with session credentials".into(),
        ));
    }
    let over_max = format!(
        "1 validation error detected: Value '{}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to {MAX_USER}",
        params.get("DurationSeconds").unwrap_or("")
    );
    let requested = params::duration(
        params,
        DEFAULT_USER,
        sts.min_duration(),
        MAX_USER,
        &over_max,
    )?;
    let (parent_arn, parent_id) = match caller.principal {
        Principal::Root { account } => (account.root_arn(), account.to_string()),
        p @ Principal::User { user_id, .. } => (p.arn(), user_id.clone()),
        _ => {
            return Err(StsError::AccessDenied(
                "Cannot call GetSessionToken with session credentials".into(),
            ))
        }
    };
    let duration = match (caller.principal.is_root(), params.get("DurationSeconds")) {
        (true, None) => MAX_ROOT,
        (true, Some(_)) => requested.min(MAX_ROOT),
        (false, _) => requested,
    };
    let grant = Grant {
        account_id: caller.principal.account().to_string(),
        kind: SessionKind::SessionToken,
        principal_arn: parent_arn.clone(),
        principal_id: caller.principal.user_id(),
        parent_arn,
        parent_id,
        session_policy: None,
        policy_arns: Vec::new(),
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        source_identity: None,
        mfa_authenticated: caller.mfa_verified,
        chained: false,
    };
    let ring = sts.inner.keys.ring();
    let (claims, token) = credentials::mint(grant, sts.now(), duration, ring.current())?;
    Ok(envelope("GetSessionToken", request_id, |w| {
        credentials::write(w, &claims, &token);
    }))
}
