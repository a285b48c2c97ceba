//! Queue identity on the wire: names, URLs (`http://HOST/ACCOUNT/NAME`) and ARNs
//! (`arn:aws:sqs:REGION:ACCOUNT:NAME`). It owns their syntax; it must never touch the store.

use tessera_core::AccountId;

use crate::SqsError;

/// A queue as the outside world names it: its owner and its name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueName {
    pub account: AccountId,
    pub name: String,
}

impl QueueName {
    pub fn is_fifo(&self) -> bool {
        self.name.ends_with(".fifo")
    }

    pub fn url(&self, base_url: &str) -> String {
        format!(
            "{}/{}/{}",
            base_url.trim_end_matches('/'),
            self.account,
            self.name
        )
    }

    pub fn arn(&self, region: &str) -> String {
        format!("arn:aws:sqs:{region}:{}:{}", self.account, self.name)
    }

    /// Reads `/ACCOUNT/NAME` (a path, or the path part of a URL).
    pub fn from_path(path: &str) -> Option<QueueName> {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let mut parts = path.trim_start_matches('/').split('/');
        let account = AccountId::parse(parts.next()?).ok()?;
        let name = parts.next()?;
        if parts.next().is_some_and(|rest| !rest.is_empty()) || !valid_name(name) {
            return None;
        }
        Some(QueueName {
            account,
            name: name.to_owned(),
        })
    }

    /// Reads a `QueueUrl` parameter. Any host is accepted (clients keep URLs across endpoints);
    /// what matters is `/ACCOUNT/NAME`.
    pub fn from_url(url: &str) -> Result<QueueName, SqsError> {
        let path = match url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
            None => url,
        };
        QueueName::from_path(path).ok_or_else(|| {
            SqsError::InvalidAddress(format!("The address {url} is not valid for this endpoint."))
        })
    }

    /// Reads a queue ARN of any region.
    pub fn from_arn(arn: &str) -> Option<QueueName> {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(_), Some("sqs"), Some(_), Some(account), Some(name)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let account = AccountId::parse(account).ok()?;
        valid_name(name).then(|| QueueName {
            account,
            name: name.to_owned(),
        })
    }
}

/// 1–80 characters of `[A-Za-z0-9_-]`, plus the `.fifo` suffix for FIFO queues (counted).
pub fn valid_name(name: &str) -> bool {
    let stem = name.strip_suffix(".fifo").unwrap_or(name);
    !stem.is_empty()
        && name.len() <= 80
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_paths_and_arns() {
        let q = QueueName::from_url("http://localhost:4566/123456789012/orders.fifo").unwrap();
        assert_eq!(q.name, "orders.fifo");
        assert!(q.is_fifo());
        assert_eq!(q.url("http://h:1/"), "http://h:1/123456789012/orders.fifo");
        assert_eq!(QueueName::from_arn(&q.arn("us-east-1")), Some(q.clone()));
        assert_eq!(QueueName::from_path("/123456789012/orders.fifo"), Some(q));
        for bad in [
            "http://h/",
            "http://h/12345/q",
            "http://h/123456789012/",
            "http://h/123456789012/a b",
            "http://h/123456789012/q/extra",
            "nothing",
        ] {
            assert!(
                matches!(QueueName::from_url(bad), Err(SqsError::InvalidAddress(_))),
                "{bad}"
            );
        }
        assert_eq!(QueueName::from_arn("arn:aws:sns:r:123456789012:q"), None);
    }

    #[test]
    fn names() {
        assert!(valid_name("a-b_C9"));
        assert!(valid_name(&"x".repeat(80)));
        assert!(!valid_name(&"x".repeat(81)));
        assert!(valid_name(&format!("{}.fifo", "x".repeat(75))));
        assert!(!valid_name(".fifo"));
        assert!(!valid_name("a.b"));
        assert!(!valid_name(""));
    }
}
