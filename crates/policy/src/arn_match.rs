//! ARN patterns for `Resource`/`NotResource` and the `Arn*` condition operators.
//!
//! Owns: splitting ARNs into their six segments and matching each segment with wildcards, so a
//! `*` never spans a colon in the first five segments (AWS's rule). Must never treat text that
//! came from a policy variable as a wildcard.

use crate::glob::{bytes_eq, Glob};
use crate::variables::Template;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Static(Glob),
    Dynamic(Template),
}

impl Segment {
    fn new(template: Template) -> Segment {
        if template.is_static() {
            match template.render_glob(&|_| None) {
                Some(glob) => Segment::Static(glob),
                None => Segment::Dynamic(template),
            }
        } else {
            Segment::Dynamic(template)
        }
    }

    fn matches<'v>(&self, text: &str, lookup: &dyn Fn(&str) -> Option<&'v str>) -> bool {
        match self {
            Segment::Static(glob) => glob.matches(text),
            Segment::Dynamic(t) => t.render_glob(lookup).is_some_and(|glob| glob.matches(text)),
        }
    }
}

/// A compiled ARN pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// The common shape: the first five segments literal (`arn:aws:s3:::`), compared at once.
    Headed { head: String, resource: Segment },
    /// `arn:partition:service:region:account:resource`, each segment a pattern.
    Segments(Box<[Segment; 6]>),
    /// Anything that is not six segments (`*` above all) matches the whole text.
    Whole(Segment),
}

impl ArnPattern {
    pub(crate) fn parse(raw: &str, substitute: bool) -> ArnPattern {
        let template = Template::parse(raw, substitute);
        let parts = template.split(':', 6);
        match <[Template; 6]>::try_from(parts) {
            Ok(six) => {
                let [a, b, c, d, e, resource] = six.map(Segment::new);
                let literal = |s: &Segment| match s {
                    Segment::Static(Glob::Exact(text)) => Some(text.clone()),
                    _ => None,
                };
                match [&a, &b, &c, &d, &e].map(literal) {
                    [Some(a), Some(b), Some(c), Some(d), Some(e)] => ArnPattern::Headed {
                        head: format!("{a}:{b}:{c}:{d}:{e}:"),
                        resource,
                    },
                    _ => ArnPattern::Segments(Box::new([a, b, c, d, e, resource])),
                }
            }
            Err(_) => ArnPattern::Whole(Segment::new(template)),
        }
    }

    pub(crate) fn matches<'v>(
        &self,
        arn: &RequestArn<'_>,
        lookup: &dyn Fn(&str) -> Option<&'v str>,
    ) -> bool {
        match (self, &arn.segments) {
            (ArnPattern::Whole(seg), _) => seg.matches(arn.whole, lookup),
            (ArnPattern::Headed { head, resource }, Some(segments)) => {
                resource.matches(segments[5], lookup)
                    && bytes_eq(arn.head.as_bytes(), head.as_bytes())
            }
            (ArnPattern::Headed { .. }, None) => false,
            // Resource, account and region first: they differ between policies far more often
            // than `arn:aws:service`, so mismatches end early.
            (ArnPattern::Segments(pattern), Some(segments)) => pattern
                .iter()
                .zip(segments.iter())
                .rev()
                .all(|(p, s)| p.matches(s, lookup)),
            (ArnPattern::Segments(_), None) => false,
        }
    }
}

/// A request's resource, split once per evaluation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestArn<'a> {
    whole: &'a str,
    /// The first five segments with their colons (`arn:aws:s3:::`).
    head: &'a str,
    segments: Option<[&'a str; 6]>,
}

impl<'a> RequestArn<'a> {
    pub(crate) fn new(whole: &'a str) -> RequestArn<'a> {
        let mut it = whole.splitn(6, ':');
        let mut segments = [""; 6];
        let mut complete = true;
        for slot in &mut segments {
            match it.next() {
                Some(s) => *slot = s,
                None => complete = false,
            }
        }
        let head_len = segments[..5].iter().map(|s| s.len() + 1).sum::<usize>();
        RequestArn {
            whole,
            head: whole.get(..head_len).unwrap_or(""),
            segments: (complete && segments[0] == "arn").then_some(segments),
        }
    }

    /// The account segment, when the resource is an ARN that names one.
    pub(crate) fn account(&self) -> Option<&'a str> {
        self.segments
            .and_then(|s| (!s[4].is_empty()).then_some(s[4]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(key: &str) -> Option<&'static str> {
        (key == "aws:username").then_some("bob")
    }

    #[test]
    fn matching_table() {
        let cases = [
            ("*", "*", true),
            ("*", "arn:aws:s3:::bucket", true),
            ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", true),
            ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false),
            ("arn:aws:s3:::bucket*", "arn:aws:s3:::bucket-2", true),
            (
                "arn:aws:sqs:*:123456789012:q*",
                "arn:aws:sqs:us-east-1:123456789012:queue",
                true,
            ),
            (
                "arn:aws:sqs:*:123456789012:q*",
                "arn:aws:sqs:us-east-1:210987654321:queue",
                false,
            ),
            (
                "arn:aws:iam::*:user/*",
                "arn:aws:iam::123456789012:user/bob",
                true,
            ),
            // A `*` in the region segment never spans colons.
            (
                "arn:aws:sqs:*:123456789012:q",
                "arn:aws:sqs:us-east-1:x:123456789012:q",
                false,
            ),
            (
                "arn:aws:iam::123456789012:user/${aws:username}",
                "arn:aws:iam::123456789012:user/bob",
                true,
            ),
            (
                "arn:aws:iam::123456789012:user/${aws:username}",
                "arn:aws:iam::123456789012:user/eve",
                false,
            ),
            (
                "arn:aws:iam::123456789012:user/${aws:missing}",
                "arn:aws:iam::123456789012:user/",
                false,
            ),
            ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x", false),
            ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", true),
            ("ARN:aws:s3:::b", "arn:aws:s3:::b", false),
            ("arn:aws:s3:::b", "*", false),
        ];
        for (pattern, arn, want) in cases {
            let got = ArnPattern::parse(pattern, true).matches(&RequestArn::new(arn), &lookup);
            assert_eq!(got, want, "{pattern} {arn}");
        }
    }

    #[test]
    fn account_segment() {
        assert_eq!(
            RequestArn::new("arn:aws:sqs:r:123:q").account(),
            Some("123")
        );
        assert_eq!(RequestArn::new("arn:aws:s3:::b").account(), None);
        assert_eq!(RequestArn::new("*").account(), None);
    }
}
