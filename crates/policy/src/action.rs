//! Action patterns (`iam:Get*`, `sqs:SendMessage`, `*`) and their validation.
//!
//! Owns: the `service:action` grammar and case-insensitive matching. Must never allocate while
//! matching a request.

use crate::error::PolicyError;
use crate::glob::Glob;

/// A compiled `Action`/`NotAction` value: service and name lower-cased once at parse time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ActionPattern {
    All,
    Scoped { service: Glob, name: Glob },
}

impl ActionPattern {
    pub(crate) fn parse(raw: &str) -> Result<ActionPattern, PolicyError> {
        if raw == "*" {
            return Ok(ActionPattern::All);
        }
        let Some((service, name)) = raw.split_once(':') else {
            return Err(PolicyError::fixed(VENDOR));
        };
        if name.contains(':') {
            return Err(PolicyError::fixed(
                "Actions/Condition can contain only one colon.",
            ));
        }
        if service.is_empty() {
            return Err(PolicyError::fixed(VENDOR));
        }
        let vendor_ok = service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*' || c == '?');
        if !vendor_ok {
            return Err(PolicyError::owned(format!("Vendor {service} is not valid")));
        }
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(PolicyError::syntax());
        }
        Ok(ActionPattern::Scoped {
            service: Glob::parse(service).to_ascii_lowercase(),
            name: Glob::parse(name).to_ascii_lowercase(),
        })
    }

    /// `service` and `name` are the two halves of the request's action, in any case.
    pub(crate) fn matches(&self, service: &str, name: &str) -> bool {
        match self {
            ActionPattern::All => true,
            ActionPattern::Scoped { service: s, name: n } => {
                s.matches(service, true) && n.matches(name, true)
            }
        }
    }
}

pub(crate) const VENDOR: &str = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";

/// Splits a request action `iam:GetUser`; an action without a colon has an empty service and
/// matches only `*`-shaped patterns.
pub(crate) fn split_action(action: &str) -> (&str, &str) {
    action.split_once(':').unwrap_or(("", action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_table() {
        let cases = [
            ("*", "iam:GetUser", true),
            ("iam:*", "iam:GetUser", true),
            ("IAM:getuser", "iam:GetUser", true),
            ("iam:Get*", "iam:GetUser", true),
            ("iam:Get*", "iam:ListUsers", false),
            ("iam:*User", "iam:GetUser", true),
            ("iam:Get?ser", "iam:GetUser", true),
            ("sts:*", "iam:GetUser", false),
            ("s3:GetObject", "s3:GetObjectAcl", false),
            ("s*:Get*", "sqs:GetQueueUrl", true),
        ];
        for (pattern, action, want) in cases {
            let (service, name) = split_action(action);
            let got = ActionPattern::parse(pattern).unwrap().matches(service, name);
            assert_eq!(got, want, "{pattern} {action}");
        }
    }

    #[test]
    fn validation_table() {
        let cases = [
            ("iam", VENDOR),
            (":GetUser", VENDOR),
            ("iam:Get:User", "Actions/Condition can contain only one colon."),
            ("i am:GetUser", "Vendor i am is not valid"),
            ("iam:", crate::error::SYNTAX),
        ];
        for (raw, message) in cases {
            assert_eq!(
                ActionPattern::parse(raw).unwrap_err().message(),
                message,
                "{raw}"
            );
        }
    }
}
