//! Amazon Resource Names: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
//!
//! The resource part may itself contain colons (`arn:aws:sqs:us-east-1:123:queue` has none, but
//! `arn:aws:iam::123:policy/a:b` may), so parsing splits on the first five colons only.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid ARN: {0:?}")]
pub struct InvalidArn(pub String);

impl Arn {
    pub fn parse(s: &str) -> Result<Self, InvalidArn> {
        let mut parts = s.splitn(6, ':');
        let mut next = || parts.next().ok_or_else(|| InvalidArn(s.to_owned()));
        let (prefix, partition, service, region, account, resource) =
            (next()?, next()?, next()?, next()?, next()?, next()?);
        if prefix != "arn" || partition.is_empty() || service.is_empty() || resource.is_empty() {
            return Err(InvalidArn(s.to_owned()));
        }
        Ok(Self {
            partition: partition.to_owned(),
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }

    /// An IAM ARN (`arn:aws:iam::ACCOUNT:TYPE/PATH/NAME`); IAM paths begin and end with `/`.
    pub fn iam(account: &str, kind: &str, path: &str, name: &str) -> String {
        format!("arn:aws:iam::{account}:{kind}{path}{name}")
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in [
            "arn:aws:iam::123456789012:user/division/alice",
            "arn:aws:sqs:us-east-1:123456789012:queue",
            "arn:aws:s3:::bucket/key:with:colons",
            "arn:aws:sts::123456789012:assumed-role/r/s",
        ] {
            assert_eq!(Arn::parse(s).map(|a| a.to_string()).as_deref(), Ok(s));
        }
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "arn",
            "arn:aws",
            "aws:iam::1:user/x",
            "arn:aws:iam::1:",
            "arn::iam::1:x",
        ] {
            assert!(Arn::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn builds_iam_arns() {
        assert_eq!(
            Arn::iam("123456789012", "user", "/dev/", "bob"),
            "arn:aws:iam::123456789012:user/dev/bob"
        );
    }
}
