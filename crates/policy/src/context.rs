//! The request context: condition keys and their values, as the caller saw the request.
//!
//! Owns: case-insensitive, multi-valued key lookup. Must never guess values: a key the caller did
//! not set is absent (which the condition operators treat as AWS documents), except the
//! principal-derived keys that [`crate::evaluate`] fills in from the request's principal.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::principal::{PrincipalInfo, PrincipalKind};

/// Condition keys (`aws:SourceIp`, `s3:prefix`, `aws:PrincipalTag/team`, …) and their values.
///
/// A key set with no values is present with an empty set, which `ForAllValues` treats as true
/// and `ForAnyValue` as false.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    values: HashMap<String, Vec<String>, BuildHasherDefault<Fnv>>,
}

/// FNV-1a: keys are short condition key names, and a request carries few of them (the services
/// bound tag counts at 50), so collisions cannot be forced into anything costly; SipHash's flood
/// resistance cost more than the rest of a lookup.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Adds one value to `key` (keys are case-insensitive; repeated calls build a multi-valued
    /// key such as `aws:TagKeys`).
    pub fn insert(&mut self, key: &str, value: impl Into<String>) -> &mut Context {
        self.values
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(value.into());
        self
    }

    /// Replaces every value of `key`.
    pub fn set<I, S>(&mut self, key: &str, values: I) -> &mut Context
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.values.insert(
            key.to_ascii_lowercase(),
            values.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// Builder form of [`Context::insert`].
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Context {
        self.insert(key, value);
        self
    }

    /// The values of `key`, looked up case-insensitively.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.get_lower(&key.to_ascii_lowercase())
    }

    /// Lookup for keys already lower-cased at compile time: no allocation.
    pub(crate) fn get_lower(&self, key: &str) -> Option<&[String]> {
        self.values.get(key).map(Vec::as_slice)
    }
}

/// The values a key has in one request: from the context, or derived from the principal.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KeyValues<'a> {
    Many(&'a [String]),
    One(&'a str),
}

impl<'a> KeyValues<'a> {
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, KeyValues::Many([]))
    }

    /// The value when there is exactly one: policy variables only take single-valued keys.
    pub(crate) fn single(&self) -> Option<&'a str> {
        match *self {
            KeyValues::One(v) => Some(v),
            KeyValues::Many([v]) => Some(v.as_str()),
            KeyValues::Many(_) => None,
        }
    }

    pub(crate) fn any(&self, mut f: impl FnMut(&str) -> bool) -> bool {
        match *self {
            KeyValues::One(v) => f(v),
            KeyValues::Many(vs) => vs.iter().any(|v| f(v)),
        }
    }

    pub(crate) fn all(&self, mut f: impl FnMut(&str) -> bool) -> bool {
        match *self {
            KeyValues::One(v) => f(v),
            KeyValues::Many(vs) => vs.iter().all(|v| f(v)),
        }
    }
}

/// What conditions and variables read during one evaluation: the caller's context first, then
/// the keys AWS derives from the principal itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'r> {
    pub(crate) context: &'r Context,
    pub(crate) principal: &'r PrincipalInfo,
}

impl<'r> Env<'r> {
    /// `key` must be lower-case.
    pub(crate) fn values(&self, key: &str) -> Option<KeyValues<'r>> {
        if let Some(v) = self.context.get_lower(key) {
            return Some(KeyValues::Many(v));
        }
        let p = self.principal;
        let derived = match key {
            "aws:principalarn" => p.arn.as_str(),
            "aws:principalaccount" => p.account.as_str(),
            "aws:principaltype" => p.kind.principal_type(),
            "aws:userid" => p.userid.as_str(),
            "aws:username" => p.username.as_deref().unwrap_or(""),
            _ => return None,
        };
        (!derived.is_empty() && p.kind != PrincipalKind::Anonymous)
            .then_some(KeyValues::One(derived))
    }

    /// The value a policy variable takes: only single-valued keys substitute.
    pub(crate) fn variable(&self, key: &str) -> Option<&'r str> {
        self.values(key).and_then(|v| v.single())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_multi_valued() {
        let mut ctx = Context::new();
        ctx.insert("aws:TagKeys", "a").insert("AWS:tagkeys", "b");
        ctx.set("s3:prefix", Vec::<String>::new());
        assert_eq!(
            ctx.get("aws:tagkeys"),
            Some(&["a".to_owned(), "b".to_owned()][..])
        );
        assert_eq!(ctx.get("S3:Prefix"), Some(&[][..]));
        assert_eq!(ctx.get("aws:SourceIp"), None);
    }
}
