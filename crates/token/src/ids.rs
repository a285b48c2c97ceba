//! Access key ids and secret access keys in AWS's shapes. Owns their alphabets and lengths; never
//! stores or compares them.

use rand::{CryptoRng, RngCore};

/// AWS access key ids use the RFC 4648 base32 alphabet after their four-letter prefix.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Secret access keys use this 64-character alphabet (base64's, without padding).
const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const SECRET_LEN: usize = 40;
const ID_SUFFIX_LEN: usize = 16;

/// `ASIA` + 16 base32 characters: temporary credentials, which need a session token.
pub fn new_access_key_id_temporary<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> String {
    access_key_id("ASIA", rng)
}

/// `AKIA` + 16 base32 characters: an IAM user's or root's long-term access key.
pub fn new_access_key_id_long_term<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> String {
    access_key_id("AKIA", rng)
}

/// 40 random characters from `A–Z a–z 0–9 + /` (240 bits).
pub fn new_secret_access_key<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> String {
    random_chars(SECRET_ALPHABET, SECRET_LEN, rng)
}

fn access_key_id<R: RngCore + CryptoRng + ?Sized>(prefix: &str, rng: &mut R) -> String {
    let mut id = String::with_capacity(prefix.len() + ID_SUFFIX_LEN);
    id.push_str(prefix);
    id.push_str(&random_chars(BASE32, ID_SUFFIX_LEN, rng));
    id
}

/// Uniform characters from an alphabet whose size is a power of two, so masking a random byte
/// introduces no bias.
fn random_chars<R: RngCore + ?Sized>(alphabet: &[u8], len: usize, rng: &mut R) -> String {
    debug_assert!(alphabet.len().is_power_of_two() && alphabet.len() <= 256);
    let mask = alphabet.len() - 1;
    let mut bytes = vec![0u8; len];
    rng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|&b| char::from(alphabet[usize::from(b) & mask]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use std::collections::HashSet;

    #[test]
    fn ids_and_secrets_have_aws_shapes() {
        let mut rng = StdRng::seed_from_u64(1);
        type Gen = fn(&mut StdRng) -> String;
        let cases: [(Gen, &str, usize, &[u8]); 3] = [
            (new_access_key_id_temporary, "ASIA", 20, BASE32),
            (new_access_key_id_long_term, "AKIA", 20, BASE32),
            (new_secret_access_key, "", 40, SECRET_ALPHABET),
        ];
        for (generate, prefix, len, alphabet) in cases {
            let mut seen = HashSet::new();
            for _ in 0..200 {
                let value = generate(&mut rng);
                assert_eq!(value.len(), len, "{value}");
                let rest = value
                    .strip_prefix(prefix)
                    .unwrap_or_else(|| panic!("{value}"));
                assert!(rest.bytes().all(|b| alphabet.contains(&b)), "{value}");
                seen.insert(value);
            }
            assert_eq!(seen.len(), 200, "values repeat for prefix {prefix:?}");
        }
    }

    #[test]
    fn every_character_of_the_alphabets_is_reachable() {
        let mut rng = StdRng::seed_from_u64(2);
        let secrets: String = (0..100).map(|_| new_secret_access_key(&mut rng)).collect();
        assert!(SECRET_ALPHABET
            .iter()
            .all(|&c| secrets.contains(char::from(c))));
        let ids: String = (0..100)
            .map(|_| new_access_key_id_temporary(&mut rng)[4..].to_owned())
            .collect();
        assert!(BASE32.iter().all(|&c| ids.contains(char::from(c))));
    }
}
