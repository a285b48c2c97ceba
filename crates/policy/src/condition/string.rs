//! `String*` operators: case folding for the `…IgnoreCase` forms. (`StringEquals` and
//! `StringLike` compare directly; see [`crate::glob`].) Must never fold during `StringEquals`.

/// Unicode lower-casing; ASCII text avoids allocating.
pub(super) fn fold(text: &str) -> String {
    if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.to_lowercase()
    }
}

/// `folded` is a policy value already passed through [`fold`].
pub(super) fn eq_folded(folded: &str, actual: &str) -> bool {
    if actual.is_ascii() {
        folded.eq_ignore_ascii_case(actual)
    } else {
        folded == fold(actual)
    }
}
