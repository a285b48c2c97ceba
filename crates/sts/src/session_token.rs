//! `GetSessionToken`: temporary credentials for an IAM user (or the root identity) itself.
//!
//! The session acts as the user: its permissions are the user's, evaluated at every request, and
//! deleting the user ends it. AWS's built-in limits apply at authorization time (no IAM without
//! MFA; on STS only AssumeRole and GetCallerIdentity).

use crate::credentials::{self, Grant};
use crate::{envelope, params, CallerContext, Sts, StsError};
use tessera_protocol::QueryParams;
use tessera_token::SessionKind;

pub async fn handle(
    sts: &Sts,
    caller: &CallerContext<'_>,
    params: &QueryParams,
    request_id: &str,
) -> Result<String, StsError> {
    let (parent_arn, parent_id) = params::long_term_parent(caller, "GetSessionToken")?;
    let duration =
        params::long_term_duration(params, sts.min_duration(), caller.principal.is_root())?;
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
