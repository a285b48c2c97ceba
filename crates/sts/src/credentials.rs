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
        access_key_id: temporary_access_key_id(&grant.account_id, &mut rng),
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

/// The base32 alphabet of AWS key ids.
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `ASIA` + the account id in 8 base32 characters (40 bits hold any 12-digit id) + 8 random ones.
///
/// Carrying the account in the key id is what lets `GetAccessKeyInfo` answer for temporary keys
/// without their token, as AWS's does. The id is not a secret; the 40 random bits keep ids of one
/// account distinct, and the token and secret are what authenticate.
fn temporary_access_key_id(account_id: &str, rng: &mut impl rand::Rng) -> String {
    let n: u64 = account_id.parse().unwrap_or(0);
    let mut id = String::with_capacity(20);
    id.push_str("ASIA");
    for i in (0..8).rev() {
        id.push(char::from(ALPHABET[((n >> (5 * i)) & 31) as usize]));
    }
    for _ in 0..8 {
        id.push(char::from(ALPHABET[rng.gen_range(0..32)]));
    }
    id
}

/// The account a temporary access key id was issued in.
pub fn account_of_temporary_key(access_key_id: &str) -> Option<String> {
    let encoded = access_key_id.strip_prefix("ASIA")?;
    if encoded.len() != 16 {
        return None;
    }
    let mut n: u64 = 0;
    for b in encoded.bytes().take(8) {
        let v = ALPHABET.iter().position(|&a| a == b)?;
        n = n << 5 | v as u64;
    }
    (n < 1_000_000_000_000).then(|| format!("{n:012}"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_key_ids_carry_their_account() {
        let mut rng = rand::thread_rng();
        for account in ["000000000000", "123456789012", "999999999999"] {
            let id = temporary_access_key_id(account, &mut rng);
            assert_eq!(id.len(), 20);
            assert!(id.starts_with("ASIA"));
            assert_eq!(account_of_temporary_key(&id).as_deref(), Some(account));
        }
        assert_eq!(account_of_temporary_key("AKIAAAAAAAAAAAAAAAAA"), None);
        assert_eq!(account_of_temporary_key("ASIA1"), None);
        assert_eq!(account_of_temporary_key("ASIA99999999AAAAAAAA"), None);
    }
}
