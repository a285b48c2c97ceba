//! Action patterns (`iam:Get*`, `sqs:SendMessage`, `*`) and their validation.
//!
//! Owns: the `service:action` grammar and case-insensitive matching. Must never allocate while
//! matching a request.

use crate::error::PolicyError;
use crate::glob::{bytes_eq, Glob};

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

    /// The lower-case service when it is written without wildcards (`iam` in `iam:Get*`).
    pub(crate) fn literal_service(&self) -> Option<&str> {
        match self {
            ActionPattern::Scoped {
                service: Glob::Exact(s),
                ..
            } => Some(s),
            _ => None,
        }
    }

    /// `service` and `name` must be ASCII-lower-cased by the caller (once per request).
    #[inline]
    pub(crate) fn matches(&self, service: &str, name: &str) -> bool {
        match self {
            ActionPattern::All => true,
            // A literal service is compared before the name: most patterns fail there.
            ActionPattern::Scoped {
                service: Glob::Exact(s),
                name: n,
            } => bytes_eq(s.as_bytes(), service.as_bytes()) && n.matches(name),
            ActionPattern::Scoped {
                service: s,
                name: n,
            } => s.matches(service) && n.matches(name),
        }
    }
}

pub(crate) const VENDOR: &str =
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";

/// Splits a lower-cased request action `iam:getuser`; an action without a colon has an empty
/// service and matches only `*`-shaped patterns.
pub(crate) fn split_action(action: &str) -> (&str, &str) {
    action.split_once(':').unwrap_or(("", action))
}

/// Lower-cases a request's action once, on the stack when it fits (actions are short).
pub(crate) struct LoweredAction {
    buf: [u8; 128],
    len: usize,
    spilled: Option<String>,
}

impl LoweredAction {
    pub(crate) fn new(action: &str) -> LoweredAction {
        let mut lowered = LoweredAction {
            buf: [0; 128],
            len: 0,
            spilled: None,
        };
        match lowered.buf.get_mut(..action.len()) {
            Some(slot) => {
                slot.copy_from_slice(action.as_bytes());
                slot.make_ascii_lowercase();
                lowered.len = action.len();
            }
            None => lowered.spilled = Some(action.to_ascii_lowercase()),
        }
        lowered
    }

    pub(crate) fn as_str(&self) -> &str {
        match &self.spilled {
            Some(s) => s,
            // ASCII lower-casing keeps UTF-8 valid; the fallback is unreachable but harmless.
            None => std::str::from_utf8(&self.buf[..self.len]).unwrap_or(""),
        }
    }
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
            let lowered = LoweredAction::new(action);
            let (service, name) = split_action(lowered.as_str());
            let got = ActionPattern::parse(pattern)
                .unwrap()
                .matches(service, name);
            assert_eq!(got, want, "{pattern} {action}");
        }
    }

    #[test]
    fn validation_table() {
        let cases = [
            ("iam", VENDOR),
            (":GetUser", VENDOR),
            (
                "iam:Get:User",
                "Actions/Condition can contain only one colon.",
            ),
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
