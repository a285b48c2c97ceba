//! A per-policy index from service prefix to the statements that can match it.
//!
//! Owns: skipping, at evaluation time, statements whose `Action` names only other services. Must
//! never change which statements match nor their order (the first match is reported).

use crate::action::ActionPattern;
use crate::document::Polarity;
use crate::glob::bytes_eq;

/// Statement numbers per literal service, plus those any service can reach (`*`, `s*:…`,
/// `NotAction`).
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
        for (i, action) in actions.enumerate() {
            let services: Option<Vec<&str>> = match action {
                Polarity::Is(list) => list.iter().map(ActionPattern::literal_service).collect(),
                Polarity::Not(_) => None,
            };
            let Some(mut services) = services else {
                index.any_service.push(i);
                continue;
            };
            services.sort_unstable();
            services.dedup();
            for service in services {
                match index.by_service.iter_mut().find(|(s, _)| s == service) {
                    Some((_, list)) => list.push(i),
                    None => index.by_service.push((service.to_owned(), vec![i])),
                }
            }
        }
        index
    }

    /// The statements that may match an action of `service` (lower-cased), in document order.
    pub(crate) fn candidates<'s>(&'s self, service: &str) -> Candidates<'s> {
        let scoped = self
            .by_service
            .iter()
            .find(|(s, _)| bytes_eq(s.as_bytes(), service.as_bytes()))
            .map_or(&[][..], |(_, list)| list.as_slice());
        Candidates {
            a: scoped,
            b: &self.any_service,
        }
    }
}

/// Merges two ascending lists of statement numbers.
pub(crate) struct Candidates<'s> {
    a: &'s [usize],
    b: &'s [usize],
}

impl Iterator for Candidates<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let take_a = match (self.a.first(), self.b.first()) {
            (Some(x), Some(y)) => x < y,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        let list = if take_a { &mut self.a } else { &mut self.b };
        let (first, rest) = list.split_first()?;
        *list = rest;
        Some(*first)
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
        assert_eq!(
            index.candidates("s3").collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 5]
        );
        assert_eq!(
            index.candidates("iam").collect::<Vec<_>>(),
            vec![1, 3, 4, 5]
        );
        assert_eq!(index.candidates("ec2").collect::<Vec<_>>(), vec![1, 3, 5]);
    }
}
