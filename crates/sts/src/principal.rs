//! From a session's sealed claims back to the principal that makes the request.

use tessera_core::{AccountId, Arn, Principal};
use tessera_token::{SessionClaims, SessionKind};

/// The principal a session acts as; `None` for claims that do not describe one (a token that
/// tessera did not mint, or one minted by an incompatible version).
pub fn principal_of(claims: &SessionClaims) -> Option<Principal> {
    let account = AccountId::parse(&claims.account_id).ok()?;
    match claims.kind {
        SessionKind::SessionToken => {
            if claims.principal_arn == account.root_arn() {
                return Some(Principal::Root { account });
            }
            let arn = Arn::parse(&claims.principal_arn).ok()?;
            let (path, name) = split_path(arn.resource.strip_prefix("user")?)?;
            Some(Principal::User {
                account,
                name,
                path,
                user_id: claims.principal_id.clone(),
            })
        }
        SessionKind::Federated => {
            let arn = Arn::parse(&claims.principal_arn).ok()?;
            let name = arn.resource.strip_prefix("federated-user/")?.to_owned();
            Some(Principal::FederatedUser { account, name })
        }
        SessionKind::AssumedRole | SessionKind::WebIdentity => {
            let role = Arn::parse(&claims.parent_arn).ok()?;
            let (role_path, role_name) = split_path(role.resource.strip_prefix("role")?)?;
            let (role_id, session_name) = claims.principal_id.split_once(':')?;
            Some(Principal::AssumedRole {
                account,
                role_name,
                role_path,
                role_id: role_id.to_owned(),
                session_name: session_name.to_owned(),
            })
        }
    }
}

/// `/path/to/name` → (`/path/to/`, `name`).
fn split_path(rest: &str) -> Option<(String, String)> {
    let idx = rest.rfind('/')?;
    let (path, name) = (&rest[..=idx], &rest[idx + 1..]);
    (!name.is_empty() && path.starts_with('/')).then(|| (path.to_owned(), name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(kind: SessionKind, arn: &str, id: &str, parent: &str) -> SessionClaims {
        SessionClaims {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "s".into(),
            account_id: "123456789012".into(),
            kind,
            principal_arn: arn.into(),
            principal_id: id.into(),
            parent_arn: parent.into(),
            parent_id: "P".into(),
            session_policy: None,
            policy_arns: vec![],
            tags: vec![],
            transitive_tag_keys: vec![],
            source_identity: None,
            mfa_authenticated: false,
            issued_at: 0,
            expires_at: 1,
            chained: false,
        }
    }

    #[test]
    fn every_kind_round_trips_to_its_arn() {
        let cases = [
            claims(
                SessionKind::SessionToken,
                "arn:aws:iam::123456789012:root",
                "123456789012",
                "arn:aws:iam::123456789012:root",
            ),
            claims(
                SessionKind::SessionToken,
                "arn:aws:iam::123456789012:user/dev/bob",
                "AIDAX",
                "arn:aws:iam::123456789012:user/dev/bob",
            ),
            claims(
                SessionKind::Federated,
                "arn:aws:sts::123456789012:federated-user/fed",
                "123456789012:fed",
                "arn:aws:iam::123456789012:user/bob",
            ),
            claims(
                SessionKind::AssumedRole,
                "arn:aws:sts::123456789012:assumed-role/R/s1",
                "AROAX:s1",
                "arn:aws:iam::123456789012:role/team/R",
            ),
        ];
        for c in cases {
            let p = principal_of(&c).unwrap();
            assert_eq!(p.arn(), c.principal_arn);
            assert_eq!(p.user_id(), c.principal_id);
        }
    }

    #[test]
    fn nonsense_claims_give_no_principal() {
        let c = claims(
            SessionKind::AssumedRole,
            "x",
            "no-colon",
            "arn:aws:iam::123456789012:role/R",
        );
        assert!(principal_of(&c).is_none());
    }
}
