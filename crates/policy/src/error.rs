//! The crate's one error type: why a policy document was refused, in AWS's words.
//!
//! IAM returns these messages verbatim inside `MalformedPolicyDocument`; this module must never
//! invent wording that AWS does not use when AWS's wording is known.

use std::borrow::Cow;

/// A policy document that AWS would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// IAM's `MalformedPolicyDocument`; the text is the AWS message.
    #[error("{0}")]
    MalformedPolicyDocument(Cow<'static, str>),
}

impl PolicyError {
    /// The message AWS puts in the error's `Message` element.
    pub fn message(&self) -> &str {
        match self {
            PolicyError::MalformedPolicyDocument(m) => m,
        }
    }

    pub(crate) fn fixed(message: &'static str) -> Self {
        PolicyError::MalformedPolicyDocument(Cow::Borrowed(message))
    }

    pub(crate) fn owned(message: String) -> Self {
        PolicyError::MalformedPolicyDocument(Cow::Owned(message))
    }

    /// Invalid JSON, unknown fields and wrongly typed elements all read the same at AWS.
    pub(crate) fn syntax() -> Self {
        Self::fixed(SYNTAX)
    }
}

pub(crate) const SYNTAX: &str = "Syntax errors in policy.";
