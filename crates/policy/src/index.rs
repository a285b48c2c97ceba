//! A per-policy index from service prefix to the statements that can match it.
//!
//! Owns: skipping, at evaluation time, statements whose `Action` names only other services. Must
//! never change which statements match nor their order (the first match is reported).

use crate::action::ActionPattern;
use crate::document::Polarity;
use crate::glob::bytes_eq;

/// Statement numbers per literal service, each list already merged with the statements any
/// service can reach (`*`, `s*:…`, `NotAction`), so a lookup yields one ordered slice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ServiceIndex {
    by_service: Vec<(String, Vec<usize>)>,
    any_service: Vec<usize>,
}

impl ServiceIndex {
    pub(crate) fn build<'a>(
        actions: impl Iterator<Item = &'a Polarity<Vec<ActionPattern>>>,
    ) -> ServiceIndex {
        let mut index = ServiceIndex::default();
        let mut scoped: Vec<(usize, Vec<&str>)> = Vec::new();
        for (i, action) in actions.enumerate() {
            let services: Option<Vec<&str>> = match action {
                Polarity::Is(list) => list.iter().map(ActionPattern::literal_service).collect(),
                Polarity::Not(_) => None,
            };
            match services {
                Some(services) => scoped.push((i, services)),
                None => index.any_service.push(i),
            }
        }
        for (i, services) in scoped {
            for service in services {
                match index.by_service.iter_mut().find(|(s, _)| s == service) {
                    Some((_, list)) => list.push(i),
                    None => index.by_service.push((service.to_owned(), vec![i])),
                }
            }
        }
        for (_, list) in &mut index.by_service {
            list.extend_from_slice(&index.any_service);
            list.sort_unstable();
            list.dedup();
        }
        index
    }

    /// The statements that may match an action of `service` (lower-cased), in document order.
    pub(crate) fn candidates(&self, service: &str) -> &[usize] {
        self.by_service
            .iter()
            .find(|(s, _)| bytes_eq(s.as_bytes(), service.as_bytes()))
            .map_or(&self.any_service, |(_, list)| list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_keep_document_order() {
        let p =
            |a: &[&str]| Polarity::Is(a.iter().map(|s| ActionPattern::parse(s).unwrap()).collect());
        let actions = [
            p(&["s3:Get*"]),
            p(&["*"]),
            p(&["sqs:SendMessage", "S3:PutObject"]),
            Polarity::Not(vec![ActionPattern::parse("iam:*").unwrap()]),
            p(&["iam:GetUser"]),
            p(&["s*:List*"]),
        ];
        let index = ServiceIndex::build(actions.iter());
        assert_eq!(index.candidates("s3"), [0, 1, 2, 3, 5]);
        assert_eq!(index.candidates("iam"), [1, 3, 4, 5]);
        assert_eq!(index.candidates("ec2"), [1, 3, 5]);
    }
}
