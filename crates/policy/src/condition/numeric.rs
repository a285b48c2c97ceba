//! `Numeric*` operators: integers and decimals. Must never accept `inf`/`NaN` spellings that
//! Rust's float parser would.

use super::Cmp;

pub(super) fn parse(text: &str) -> Option<f64> {
    let t = text.trim();
    let plausible = !t.is_empty()
        && t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    if plausible {
        t.parse().ok()
    } else {
        None
    }
}

pub(super) fn test(cmp: Cmp, policy: f64, actual: &str) -> bool {
    parse(actual).is_some_and(|a| cmp.holds(a, policy))
}
