//! `BinaryEquals`: both sides are base64; the decoded bytes are compared. Must never compare
//! the encodings (padding and line breaks vary).

use base64::Engine;

pub(super) fn parse(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
}

pub(super) fn test(policy: &[u8], actual: &str) -> bool {
    parse(actual).is_some_and(|a| a == policy)
}
