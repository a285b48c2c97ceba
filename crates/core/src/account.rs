//! The 12-digit AWS account id.

use std::fmt;

/// A validated 12-digit account id (`000000000000` … `999999999999`).
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

/// The text was not twelve ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an account id is exactly 12 digits, got {0:?}")]
pub struct InvalidAccountId(pub String);

impl AccountId {
    /// Validates `s` as an account id.
    pub fn parse(s: &str) -> Result<Self, InvalidAccountId> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidAccountId(s.to_owned()))
        }
    }

    /// A fresh random account id. The first digit is never 0 so that generated ids are easy to
    /// tell from the conventional `000000000000` of other emulators.
    pub fn generate() -> Self {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        let first = rng.gen_range(1..=9u8);
        let mut s = String::with_capacity(12);
        s.push(char::from(b'0' + first));
        for _ in 0..11 {
            s.push(char::from(b'0' + rng.gen_range(0..=9u8)));
        }
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ARN of the account's root user.
    pub fn root_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.0)
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AccountId {
    type Error = InvalidAccountId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<AccountId> for String {
    fn from(a: AccountId) -> String {
        a.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_twelve_digits() {
        assert!(AccountId::parse("123456789012").is_ok());
        assert!(AccountId::parse("000000000000").is_ok());
        for bad in [
            "",
            "12345678901",
            "1234567890123",
            "12345678901a",
            "١٢٣٤٥٦٧٨٩٠١٢",
        ] {
            assert!(AccountId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_ids_are_valid() {
        for _ in 0..100 {
            let id = AccountId::generate();
            assert!(AccountId::parse(id.as_str()).is_ok());
            assert_ne!(&id.as_str()[..1], "0");
        }
    }
}
