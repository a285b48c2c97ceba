//! `GetFederationToken`: credentials for a federated user named by the caller (an IAM user or
//! root), whose permissions are the intersection of the caller's and the session policies passed
//! here. Without a session policy the federated user can do nothing (AWS's rule), which the
//! authorizer enforces.

use crate::credentials::{self, Grant};
use crate::{envelope, params, CallerContext, Sts, StsError};
use tessera_core::Principal;
use tessera_protocol::QueryParams;
use tessera_token::SessionKind;

pub async fn handle(
    sts: &Sts,
    caller: &CallerContext<'_>,
    params: &QueryParams,
    request_id: &str,
) -> Result<String, StsError> {
    let (parent_arn, parent_id) = params::long_term_parent(caller, "GetFederationToken")?;
    let name = params::name(params, "Name", "name", 2, 32)?.to_owned();
    let policy = params::session_policy(params)?;
    let policy_arns = params::policy_arns(params)?;
    let tags = params::tags(params)?;
    let packed = params::packed_policy_size(policy.as_deref(), &policy_arns, &tags)?;
    let duration =
        params::long_term_duration(params, sts.min_duration(), caller.principal.is_root())?;
    let account = caller.principal.account().to_string();
    let federated = Principal::FederatedUser {
        account: caller.principal.account().clone(),
        name: name.clone(),
    };
    let grant = Grant {
        account_id: account,
        kind: SessionKind::Federated,
        principal_arn: federated.arn(),
        principal_id: federated.user_id(),
        parent_arn,
        parent_id,
        session_policy: policy,
        policy_arns,
        tags,
        transitive_tag_keys: Vec::new(),
        source_identity: None,
        mfa_authenticated: false,
        chained: false,
    };
    let ring = sts.inner.keys.ring();
    let (claims, token) = credentials::mint(grant, sts.now(), duration, ring.current())?;
    Ok(envelope("GetFederationToken", request_id, |w| {
        credentials::write(w, &claims, &token);
        w.open("FederatedUser");
        w.leaf("FederatedUserId", &claims.principal_id);
        w.leaf("Arn", &claims.principal_arn);
        w.close("FederatedUser");
        if let Some(p) = packed {
            w.leaf("PackedPolicySize", &p.to_string());
        }
    }))
}
