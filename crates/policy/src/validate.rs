//! The checks IAM makes on a policy beyond its shape, in IAM's words, and the size limits.
//!
//! Owns: Version, Sid, Resource-format and trust-policy action rules, and character counting.
//! Must never decide whether named entities exist (the IAM service does that with the store).

use crate::action::ActionPattern;
use crate::error::PolicyError;

/// Maximum size of a managed policy document (non-whitespace characters).
pub const MANAGED_POLICY_MAX_SIZE: usize = 6144;
/// Maximum size of one user's inline policies (non-whitespace characters).
pub const USER_INLINE_POLICY_MAX_SIZE: usize = 2048;
/// Maximum size of one role's inline policies (non-whitespace characters).
pub const ROLE_INLINE_POLICY_MAX_SIZE: usize = 10240;
/// Maximum size of one group's inline policies (non-whitespace characters).
pub const GROUP_INLINE_POLICY_MAX_SIZE: usize = 5120;
/// Default maximum size of a role's trust policy (non-whitespace characters).
pub const TRUST_POLICY_MAX_SIZE: usize = 2048;

/// The size IAM charges a document against its quotas: characters, whitespace excluded.
pub fn policy_size(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

/// The policy language version; absent means 2008-10-17.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    V2008_10_17,
    V2012_10_17,
}

impl Version {
    pub(crate) fn parse(raw: Option<&str>) -> Result<Version, PolicyError> {
        match raw {
            None | Some("2008-10-17") => Ok(Version::V2008_10_17),
            Some("2012-10-17") => Ok(Version::V2012_10_17),
            Some(_) => Err(PolicyError::fixed("The policy failed legacy parsing")),
        }
    }

    /// Policy variables exist only from 2012-10-17 on.
    pub(crate) fn substitutes(self) -> bool {
        self == Version::V2012_10_17
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2008_10_17 => "2008-10-17",
            Version::V2012_10_17 => "2012-10-17",
        }
    }
}

/// IAM-managed documents restrict Sids to `[0-9A-Za-z]*`; resource policies of other services
/// accept any text.
pub(crate) fn check_sid(sid: &str, alphanumeric: bool) -> Result<(), PolicyError> {
    if alphanumeric && !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(PolicyError::fixed(
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        ));
    }
    Ok(())
}

pub(crate) const DUPLICATE_SID: &str = "Statement IDs (SID) in a single policy must be unique.";

/// `*` or an ARN with all six segments and a literal service.
pub(crate) fn check_resource(raw: &str) -> Result<(), PolicyError> {
    if raw == "*" {
        return Ok(());
    }
    let segments: Vec<&str> = raw.splitn(6, ':').collect();
    if segments.len() < 6 || segments[0] != "arn" {
        return Err(PolicyError::owned(format!(
            "Resource {raw} must be in ARN format or \"*\"."
        )));
    }
    let service = segments[2];
    if service.is_empty() || service.contains('*') || service.contains('?') {
        return Err(PolicyError::fixed(
            "Resource vendor must be fully qualified and cannot contain regexes.",
        ));
    }
    Ok(())
}

/// The actions a role trust policy may name (lower-cased, as action matching expects).
const TRUST_ACTIONS: [(&str, &str); 6] = [
    ("sts", "assumerole"),
    ("sts", "assumerolewithsaml"),
    ("sts", "assumerolewithwebidentity"),
    ("sts", "tagsession"),
    ("sts", "setsourceidentity"),
    ("sts", "setcontext"),
];

pub(crate) fn check_trust_action(pattern: &ActionPattern) -> Result<(), PolicyError> {
    if TRUST_ACTIONS.iter().any(|(s, n)| pattern.matches(s, n)) {
        Ok(())
    } else {
        Err(PolicyError::fixed(
            "AssumeRole policy may only specify STS AssumeRole actions.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_ignores_whitespace() {
        assert_eq!(policy_size("{ \"a\" :\n\t1 }"), 7);
        assert_eq!(policy_size("é é"), 2);
    }

    #[test]
    fn resource_format_table() {
        let ok = [
            "*",
            "arn:aws:s3:::b/*",
            "arn:aws:iam::123456789012:user/*",
            "arn:*:sqs:*:*:*",
        ];
        for r in ok {
            assert_eq!(check_resource(r), Ok(()), "{r}");
        }
        let bad = [
            ("bucket", "Resource bucket must be in ARN format or \"*\"."),
            (
                "arn:aws:s3",
                "Resource arn:aws:s3 must be in ARN format or \"*\".",
            ),
            (
                "arn:aws:*:::x",
                "Resource vendor must be fully qualified and cannot contain regexes.",
            ),
        ];
        for (r, m) in bad {
            assert_eq!(check_resource(r).unwrap_err().message(), m, "{r}");
        }
    }
}
