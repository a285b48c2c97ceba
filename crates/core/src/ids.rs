//! AWS-style identifiers.
//!
//! AWS unique ids are a four-letter prefix that names the entity type followed by 17 characters
//! (21 in all, e.g. `AIDACKCEVSQ6C2EXAMPLE`); access key ids are a prefix and 16 characters
//! (20 in all). Tools parse the prefix (`AKIA` long-term, `ASIA` temporary), so we keep AWS's.

use rand::Rng;

/// The entity-type prefixes AWS documents for unique ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdPrefix {
    User,
    Role,
    Group,
    ManagedPolicy,
    LongTermKey,
    TemporaryKey,
}

impl IdPrefix {
    pub fn as_str(self) -> &'static str {
        match self {
            IdPrefix::User => "AIDA",
            IdPrefix::Role => "AROA",
            IdPrefix::Group => "AGPA",
            IdPrefix::ManagedPolicy => "ANPA",
            IdPrefix::LongTermKey => "AKIA",
            IdPrefix::TemporaryKey => "ASIA",
        }
    }
}

/// Base32 without padding: upper-case letters and the digits 2–7, the alphabet AWS ids use.
const ID_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn random_chars(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| char::from(ID_ALPHABET[rng.gen_range(0..ID_ALPHABET.len())]))
        .collect()
}

/// A fresh unique id for an IAM entity (21 characters).
pub fn unique_id(prefix: IdPrefix) -> String {
    format!("{}{}", prefix.as_str(), random_chars(17))
}

/// A fresh access key id (20 characters).
pub fn access_key_id(prefix: IdPrefix) -> String {
    format!("{}{}", prefix.as_str(), random_chars(16))
}

/// A fresh 40-character secret access key over AWS's alphabet (base64 characters).
pub fn secret_access_key() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::thread_rng();
    (0..40)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// A 64-hex-digit S3 canonical user id.
pub fn canonical_user_id() -> String {
    let mut rng = rand::thread_rng();
    (0..32)
        .map(|_| format!("{:02x}", rng.gen::<u8>()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_aws() {
        let id = unique_id(IdPrefix::User);
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA"));
        let key = access_key_id(IdPrefix::LongTermKey);
        assert_eq!(key.len(), 20);
        assert!(key.starts_with("AKIA"));
        assert!(key.bytes().all(|b| ID_ALPHABET.contains(&b)));
        assert_eq!(secret_access_key().len(), 40);
        assert_eq!(canonical_user_id().len(), 64);
    }

    #[test]
    fn ids_differ() {
        assert_ne!(unique_id(IdPrefix::Role), unique_id(IdPrefix::Role));
    }
}
