//! `Null`: `true` means the key must be absent, `false` that it must be present. Must never look
//! at the key's values.

use super::Parsed;

pub(super) fn holds(policy: &Parsed, absent: bool) -> bool {
    matches!(policy, Parsed::Bool(want_absent) if *want_absent == absent)
}
