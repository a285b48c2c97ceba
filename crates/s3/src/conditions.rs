//! HTTP preconditions and byte ranges as S3 applies them: `If-Match`, `If-None-Match`,
//! `If-Modified-Since`, `If-Unmodified-Since` (RFC 9110's evaluation order, which gives S3's
//! documented combinations) and `Range` (one range; suffix and open ranges). Pure functions; they
//! must never read storage or the clock.

use crate::timefmt::parse_http_date;

/// The outcome of evaluating a request's preconditions against an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    Proceed,
    /// 304 (GET/HEAD only).
    NotModified,
    /// 412.
    Failed,
}

/// The four conditional headers of a request (or the `x-amz-copy-source-if-*` ones).
#[derive(Debug, Default, Clone)]
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
    pub if_unmodified_since: Option<&'a str>,
}

/// Whether an `If-Match`/`If-None-Match` list (`*` or comma-separated, quoted or not) names `etag`.
pub fn etag_matches(list: &str, etag: &str) -> bool {
    let etag = etag.trim_matches('"');
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.trim_start_matches("W/").trim_matches('"') == etag
    })
}

impl Conditions<'_> {
    pub fn evaluate(&self, etag: &str, last_modified_ms: u64) -> Precondition {
        let modified = i64::try_from(last_modified_ms / 1000).unwrap_or(i64::MAX);
        if let Some(list) = self.if_match {
            if !etag_matches(list, etag) {
                return Precondition::Failed;
            }
        } else if let Some(since) = self.if_unmodified_since.and_then(parse_http_date) {
            if modified > since {
                return Precondition::Failed;
            }
        }
        if let Some(list) = self.if_none_match {
            if etag_matches(list, etag) {
                return Precondition::NotModified;
            }
        } else if let Some(since) = self.if_modified_since.and_then(parse_http_date) {
            if modified <= since {
                return Precondition::NotModified;
            }
        }
        Precondition::Proceed
    }
}

/// What a `Range` header asks of an object of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// No (usable) range: the whole object, 200.
    Full,
    /// `len` bytes from `start`, 206.
    Part { start: u64, len: u64 },
    /// 416 `InvalidRange`.
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n`. Syntax S3 does not understand (several ranges,
/// other units, garbage) is ignored, as S3 does, and the whole object is served.
pub fn parse_range(header: &str, size: u64) -> ByteRange {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return ByteRange::Full;
    };
    if spec.contains(',') {
        return ByteRange::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return ByteRange::Full;
    };
    let num = |s: &str| {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (a.trim(), b.trim()) {
        ("", n) => match num(n) {
            Some(0) => ByteRange::Unsatisfiable,
            Some(_) if size == 0 => ByteRange::Unsatisfiable,
            Some(n) => {
                let len = n.min(size);
                ByteRange::Part {
                    start: size - len,
                    len,
                }
            }
            None => ByteRange::Full,
        },
        (a, "") => match num(a) {
            Some(start) if start >= size => ByteRange::Unsatisfiable,
            Some(start) => ByteRange::Part {
                start,
                len: size - start,
            },
            None => ByteRange::Full,
        },
        (a, b) => match (num(a), num(b)) {
            (Some(start), Some(end)) if start <= end => {
                if start >= size {
                    ByteRange::Unsatisfiable
                } else {
                    ByteRange::Part {
                        start,
                        len: end.min(size - 1) - start + 1,
                    }
                }
            }
            _ => ByteRange::Full,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_range_always_lies_inside_the_object(h in "bytes=[0-9]{0,3}-[0-9]{0,3}|.{0,12}", size in 0u64..2000) {
            if let ByteRange::Part { start, len } = parse_range(&h, size) {
                prop_assert!(len > 0 && start + len <= size);
            }
        }
    }

    #[test]
    fn ranges() {
        use ByteRange::*;
        let cases = [
            ("bytes=0-9", 100, Part { start: 0, len: 10 }),
            ("bytes=90-200", 100, Part { start: 90, len: 10 }),
            ("bytes=10-", 100, Part { start: 10, len: 90 }),
            ("bytes=-10", 100, Part { start: 90, len: 10 }),
            ("bytes=-500", 100, Part { start: 0, len: 100 }),
            ("bytes=100-", 100, Unsatisfiable),
            ("bytes=100-200", 100, Unsatisfiable),
            ("bytes=-0", 100, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=-5", 0, Unsatisfiable),
            ("bytes=5-1", 100, Full),
            ("bytes=0-1,5-6", 100, Full),
            ("items=0-1", 100, Full),
            ("bytes=a-b", 100, Full),
            ("bytes=+1-2", 100, Full),
        ];
        for (h, size, want) in cases {
            assert_eq!(parse_range(h, size), want, "{h} of {size}");
        }
    }

    #[test]
    fn preconditions_follow_s3_combinations() {
        let etag = "\"abc\"";
        let lm = 1_700_000_000_000; // Tue, 14 Nov 2023 22:13:20 GMT
        let before = "Tue, 14 Nov 2023 22:00:00 GMT";
        let after = "Tue, 14 Nov 2023 23:00:00 GMT";
        let c = |m, n, ms, us| Conditions {
            if_match: m,
            if_none_match: n,
            if_modified_since: ms,
            if_unmodified_since: us,
        };
        use Precondition::*;
        let cases = [
            (c(Some("\"abc\""), None, None, None), Proceed),
            (c(Some("abc"), None, None, None), Proceed),
            (c(Some("\"x\", \"abc\""), None, None, None), Proceed),
            (c(Some("*"), None, None, None), Proceed),
            (c(Some("\"x\""), None, None, None), Failed),
            (c(None, Some("\"abc\""), None, None), NotModified),
            (c(None, Some("\"x\""), None, None), Proceed),
            (c(None, None, Some(after), None), NotModified),
            (c(None, None, Some(before), None), Proceed),
            (c(None, None, None, Some(before)), Failed),
            (c(None, None, None, Some(after)), Proceed),
            // S3: If-Match true + If-Unmodified-Since false → 200.
            (c(Some("\"abc\""), None, None, Some(before)), Proceed),
            // S3: If-None-Match false + If-Modified-Since true → 200... (modified) and
            // If-None-Match true wins over If-Modified-Since.
            (c(None, Some("\"x\""), Some(after), None), Proceed),
            (c(None, Some("\"abc\""), Some(before), None), NotModified),
            (c(None, None, Some("garbage"), None), Proceed),
        ];
        for (cond, want) in cases {
            assert_eq!(cond.evaluate(etag, lm), want, "{cond:?}");
        }
    }
}
