//! [`BlobId`]: the name of one blob. It owns the id's format (32 lowercase hex digits from a CSPRNG)
//! and must never accept anything else, because ids become file names.

use crate::BlobError;
use std::fmt;

const ID_LEN: usize = 32;

/// The opaque name of a finished blob, as callers store it in their metadata.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(String);

impl BlobId {
    /// A fresh random id (128 bits, so collisions need not be handled).
    pub(crate) fn generate() -> Self {
        BlobId(format!("{:032x}", rand::random::<u128>()))
    }

    /// Parses an id read back from metadata; anything but 32 lowercase hex digits is refused.
    pub fn parse(s: &str) -> Result<Self, BlobError> {
        let ok = s.len() == ID_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(BlobId(s.to_owned()))
        } else {
            Err(BlobError::InvalidId(s.chars().take(64).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_generated_shape() {
        let id = BlobId::generate();
        assert_eq!(BlobId::parse(id.as_str()).ok(), Some(id));
        for bad in [
            "",
            "../../etc/passwd",
            "0123456789abcdef0123456789abcde",
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef0123456789abcdef0",
            "0123456789abcdef/123456789abcdef",
        ] {
            assert!(BlobId::parse(bad).is_err(), "{bad}");
        }
    }
}
