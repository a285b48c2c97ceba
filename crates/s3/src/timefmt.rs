//! S3's two timestamp formats: ISO 8601 with milliseconds in XML bodies and RFC 1123 (IMF-fixdate)
//! in headers, plus parsing of HTTP dates in conditional headers. Pure functions on milliseconds
//! since the Unix epoch; it must never read the clock.

use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

fn at(ms: u64) -> OffsetDateTime {
    i128::from(ms)
        .checked_mul(1_000_000)
        .and_then(|ns| OffsetDateTime::from_unix_timestamp_nanos(ns).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2024-05-01T12:00:00.123Z`.
pub fn iso8601_ms(ms: u64) -> String {
    let t = at(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `Wed, 01 May 2024 12:00:00 GMT`.
pub fn http_date(ms: u64) -> String {
    let t = at(ms);
    let fmt = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&fmt)
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 GMT".to_owned())
}

/// Parses an HTTP date (IMF-fixdate, RFC 2822 or ISO 8601) to whole seconds since the epoch;
/// `None` if it is none of these (S3 then ignores the condition).
pub fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let fixdate = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    if let Ok(t) = PrimitiveDateTime::parse(s, &fixdate) {
        return Some(t.assume_utc().unix_timestamp());
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc2822) {
        return Some(t.unix_timestamp());
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(iso8601_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(
            http_date(1_700_000_000_999),
            "Tue, 14 Nov 2023 22:13:20 GMT"
        );
    }

    #[test]
    fn parses_http_dates() {
        for s in [
            "Tue, 14 Nov 2023 22:13:20 GMT",
            "Tue, 14 Nov 2023 22:13:20 +0000",
            "2023-11-14T22:13:20Z",
        ] {
            assert_eq!(parse_http_date(s), Some(1_700_000_000), "{s}");
        }
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
