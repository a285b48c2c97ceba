//! Minting temporary credentials and writing them in STS's `<Credentials>` shape.

use tessera_protocol::{timefmt, XmlWriter};
use tessera_token::{SealingKey, SessionClaims, SessionKind};

/// What differs between the actions; the rest of the claims is filled in here.
pub struct Grant {
    pub account_id: String,
    pub kind: SessionKind,
    pub principal_arn: String,
    pub principal_id: String,
    pub parent_arn: String,
    pub parent_id: String,
    pub session_policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
    pub mfa_authenticated: bool,
    pub chained: bool,
}

/// Fresh credentials valid from `now` for `duration` seconds, and their sealed token.
pub fn mint(
    grant: Grant,
    now: u64,
    duration: u64,
    key: &SealingKey,
) -> Result<(SessionClaims, String), crate::StsError> {
    let mut rng = rand::thread_rng();
    let claims = SessionClaims {
        access_key_id: tessera_token::new_access_key_id_temporary(&mut rng),
        secret_access_key: tessera_token::new_secret_access_key(&mut rng),
        account_id: grant.account_id,
        kind: grant.kind,
        principal_arn: grant.principal_arn,
        principal_id: grant.principal_id,
        parent_arn: grant.parent_arn,
        parent_id: grant.parent_id,
        session_policy: grant.session_policy,
        policy_arns: grant.policy_arns,
        tags: grant.tags,
        transitive_tag_keys: grant.transitive_tag_keys,
        source_identity: grant.source_identity,
        mfa_authenticated: grant.mfa_authenticated,
        issued_at: now,
        expires_at: now + duration,
        chained: grant.chained,
    };
    let token = tessera_token::seal(&claims, key).map_err(|e| {
        crate::StsError::PackedPolicyTooLarge(format!("The session is too large to seal: {e}"))
    })?;
    Ok((claims, token))
}

/// `<Credentials>` as every credential-issuing action returns it.
pub fn write(w: &mut XmlWriter, claims: &SessionClaims, token: &str) {
    w.open("Credentials");
    w.leaf("AccessKeyId", &claims.access_key_id);
    w.leaf("SecretAccessKey", &claims.secret_access_key);
    w.leaf("SessionToken", token);
    w.leaf("Expiration", &timefmt::iso8601(claims.expires_at));
    w.close("Credentials");
}
