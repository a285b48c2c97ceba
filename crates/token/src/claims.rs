//! What a session token carries: the claims needed to authenticate and authorize a request made
//! with temporary credentials. Owns the claim types and their expiry check; never encodes,
//! encrypts, or reads a clock (the caller passes `now`).

use std::fmt;

/// Which STS action issued the credentials; decides the principal's shape and which revocation
/// rules apply at request time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionKind {
    /// `GetSessionToken`: the IAM user (or root) itself, possibly MFA-authenticated.
    SessionToken,
    /// `GetFederationToken`: `arn:aws:sts::ACCOUNT:federated-user/NAME`.
    Federated,
    /// `AssumeRole`: `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    AssumedRole,
    /// `AssumeRoleWithWebIdentity`: an assumed-role session whose caller was an OIDC identity.
    WebIdentity,
}

/// Everything a node needs to serve a session without a database read.
///
/// `Debug` never prints the secret access key.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionClaims {
    /// The `ASIA…` id the request is signed with; the caller checks it equals the request's.
    pub access_key_id: String,
    /// The secret the request's signature is computed with.
    pub secret_access_key: String,
    /// The 12-digit account the session acts in.
    pub account_id: String,
    pub kind: SessionKind,
    /// `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`, `…:federated-user/NAME`, or the IAM user or
    /// root ARN for `GetSessionToken`.
    pub principal_arn: String,
    /// `AROA…:session`, `ACCT:name`, or the user id.
    pub principal_id: String,
    /// The role or user that issued the session: its current policies are evaluated at request
    /// time, and deleting it (or a "revoke older sessions" deny) ends the session.
    pub parent_arn: String,
    pub parent_id: String,
    /// The inline session policy JSON; sealed deflate-compressed when that is smaller.
    pub session_policy: Option<String>,
    /// Managed policies passed as session policies.
    pub policy_arns: Vec<String>,
    /// Session tags, in the order they were given.
    pub tags: Vec<(String, String)>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
    /// Whether `aws:MultiFactorAuthPresent` holds for the session.
    pub mfa_authenticated: bool,
    /// Unix seconds; `aws:TokenIssueTime`.
    pub issued_at: u64,
    /// Unix seconds; the first instant at which the credentials no longer work.
    pub expires_at: u64,
    /// Issued through role chaining (a role session assuming a role), capped at one hour.
    pub chained: bool,
}

impl SessionClaims {
    /// True at and after `expires_at`: AWS's `Expiration` is the first instant at which the
    /// credentials are refused (`ExpiredToken`).
    pub fn is_expired(&self, now_unix: u64) -> bool {
        now_unix >= self.expires_at
    }
}

impl fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionClaims")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("account_id", &self.account_id)
            .field("kind", &self.kind)
            .field("principal_arn", &self.principal_arn)
            .field("principal_id", &self.principal_id)
            .field("parent_arn", &self.parent_arn)
            .field("parent_id", &self.parent_id)
            .field("session_policy", &self.session_policy)
            .field("policy_arns", &self.policy_arns)
            .field("tags", &self.tags)
            .field("transitive_tag_keys", &self.transitive_tag_keys)
            .field("source_identity", &self.source_identity)
            .field("mfa_authenticated", &self.mfa_authenticated)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("chained", &self.chained)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(expires_at: u64) -> SessionClaims {
        SessionClaims {
            access_key_id: "ASIAEXAMPLEEXAMPLE22".into(),
            secret_access_key: "very-secret-value".into(),
            account_id: "123456789012".into(),
            kind: SessionKind::SessionToken,
            principal_arn: "arn:aws:iam::123456789012:user/alice".into(),
            principal_id: "AIDAEXAMPLE".into(),
            parent_arn: "arn:aws:iam::123456789012:user/alice".into(),
            parent_id: "AIDAEXAMPLE".into(),
            session_policy: None,
            policy_arns: vec![],
            tags: vec![],
            transitive_tag_keys: vec![],
            source_identity: None,
            mfa_authenticated: false,
            issued_at: 1_000,
            expires_at,
            chained: false,
        }
    }

    #[test]
    fn expiry_is_inclusive_of_the_expiration_instant() {
        let c = claims(2_000);
        for (now, expired) in [(0, false), (1_999, false), (2_000, true), (u64::MAX, true)] {
            assert_eq!(c.is_expired(now), expired, "now = {now}");
        }
    }

    #[test]
    fn debug_redacts_the_secret() {
        let shown = format!("{:?}", claims(2_000));
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(shown.contains("ASIAEXAMPLEEXAMPLE22"));
    }
}
