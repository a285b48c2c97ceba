//! `Arn*` operators: `ArnEquals` and `ArnLike` are the same test at AWS (segment-wise wildcards);
//! see [`crate::arn_match`]. Must never match text that is not a six-segment ARN against a
//! six-segment pattern.

use crate::arn_match::{ArnPattern, RequestArn};
use crate::context::Env;

pub(super) fn test(policy: &ArnPattern, actual: &str, env: &Env<'_>) -> bool {
    policy.matches(&RequestArn::new(actual), &|k| env.variable(k))
}
