//! `Date*` operators: ISO 8601 (W3C profile: dates, date-times with offsets and fractions) and
//! epoch seconds, compared as instants. Must never compare dates as text.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use super::Cmp;

/// Nanoseconds since the Unix epoch.
pub(super) fn parse(text: &str) -> Option<i128> {
    let t = text.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<i64>().ok().map(|s| i128::from(s) * 1_000_000_000);
    }
    if let Ok(dt) = OffsetDateTime::parse(t, &Rfc3339) {
        return Some(dt.unix_timestamp_nanos());
    }
    let naive = t.strip_suffix('Z').unwrap_or(t);
    let formats = [
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    ];
    for format in formats {
        if let Ok(dt) = PrimitiveDateTime::parse(naive, &format) {
            return Some(dt.assume_utc().unix_timestamp_nanos());
        }
    }
    Date::parse(naive, format_description!("[year]-[month]-[day]"))
        .ok()
        .map(|d| d.midnight().assume_utc().unix_timestamp_nanos())
}

pub(super) fn test(cmp: Cmp, policy: i128, actual: &str) -> bool {
    parse(actual).is_some_and(|a| cmp.holds(a, policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_table() {
        let epoch_2020 = 1_577_836_800i128 * 1_000_000_000;
        let cases = [
            ("2020-01-01T00:00:00Z", Some(epoch_2020)),
            ("2020-01-01T01:00:00+01:00", Some(epoch_2020)),
            ("2020-01-01T00:00:00.000Z", Some(epoch_2020)),
            ("2020-01-01T00:00:00", Some(epoch_2020)),
            ("2020-01-01T00:00Z", Some(epoch_2020)),
            ("2020-01-01", Some(epoch_2020)),
            ("1577836800", Some(epoch_2020)),
            ("yesterday", None),
            ("2020-13-01", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text), want, "{text}");
        }
    }
}
