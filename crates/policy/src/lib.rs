//! tessera-policy: the IAM policy language and AWS's evaluation logic.
//!
//! Pure: no I/O, no async, no storage, no HTTP. Callers parse documents once ([`parse`],
//! [`parse_resource_policy`], [`parse_trust_policy`]), keep the compiled [`Policy`], and call
//! [`evaluate`] per request.
//!
//! Layout:
//! - `json` strict JSON (duplicate keys refused, bounded depth);
//! - `document` the grammar and compiled [`Policy`]; `validate` IAM's extra rules and sizes;
//! - `action`, `arn_match`, `glob` patterns; `index` statements per service; `principal` the `Principal` element and callers;
//! - `condition/` one file per operator family; `variables` `${…}` substitution;
//! - `context` the request's condition keys; `evaluate` the decision.

mod action;
mod arn_match;
mod condition;
mod context;
mod document;
mod error;
mod evaluate;
mod glob;
mod index;
mod json;
mod principal;
mod validate;
mod variables;

pub use context::Context;
pub use document::{
    parse, parse_resource_policy, parse_trust_policy, Effect, Policy, PolicyKind, Statement,
};
pub use error::PolicyError;
pub use evaluate::{evaluate, Decision, PolicySet, PolicyType, Request, StatementRef, Verdict};
pub use principal::{PrincipalInfo, PrincipalKind};
pub use validate::{
    policy_size, Version, GROUP_INLINE_POLICY_MAX_SIZE, MANAGED_POLICY_MAX_SIZE,
    ROLE_INLINE_POLICY_MAX_SIZE, TRUST_POLICY_MAX_SIZE, USER_INLINE_POLICY_MAX_SIZE,
};
