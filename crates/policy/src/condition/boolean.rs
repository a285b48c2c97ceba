//! `Bool` (and the `true`/`false` of `Null`): case-insensitive `true`/`false`. Must never read
//! other text as either.

pub(super) fn parse(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

pub(super) fn test(policy: bool, actual: &str) -> bool {
    parse(actual) == Some(policy)
}
