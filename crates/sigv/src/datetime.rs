//! The date formats request signatures carry, and the time windows AWS applies to them.
//!
//! Owns: parsing ISO 8601 basic (`20150830T123600Z`, SigV4), IMF-fixdate (`Date` header fallback),
//! ISO 8601 extended with `Z` or an offset (SigV2 `Timestamp`/`Expires`), and the skew rule.
//! Must never read the clock: the caller's `now` is the only time there is.

use std::time::{Duration, SystemTime};

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::SigError;

/// How far a signing time may be from the server's clock (AWS: 15 minutes).
pub(crate) const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Parses `YYYYMMDDTHHMMSSZ` strictly (no other length, no offset).
pub(crate) fn parse_amz_date(s: &str) -> Result<OffsetDateTime, SigError> {
    let invalid = || SigError::InvalidDate(format!("Invalid X-Amz-Date '{}'", printable(s)));
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return Err(invalid());
    }
    let num = |range: std::ops::Range<usize>| -> Result<u32, SigError> {
        let digits = &b[range];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(invalid());
        }
        Ok(digits
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
    };
    let year = i32::try_from(num(0..4)?).map_err(|_| invalid())?;
    let month = u8::try_from(num(4..6)?)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(invalid)?;
    let day = u8::try_from(num(6..8)?).map_err(|_| invalid())?;
    let hour = u8::try_from(num(9..11)?).map_err(|_| invalid())?;
    let minute = u8::try_from(num(11..13)?).map_err(|_| invalid())?;
    let second = u8::try_from(num(13..15)?).map_err(|_| invalid())?;
    let date = Date::from_calendar_date(year, month, day).map_err(|_| invalid())?;
    let time = Time::from_hms(hour, minute, second).map_err(|_| invalid())?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Parses an HTTP `Date` header in IMF-fixdate form (`Sun, 30 Aug 2015 12:36:00 GMT`).
pub(crate) fn parse_http_date(s: &str) -> Result<OffsetDateTime, SigError> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    PrimitiveDateTime::parse(s, format)
        .map(PrimitiveDateTime::assume_utc)
        .map_err(|_| SigError::InvalidDate(format!("Invalid Date header '{}'", printable(s))))
}

/// Parses a SigV2 `Timestamp`/`Expires`: ISO 8601 extended with `Z` or a numeric offset, with or
/// without fractional seconds (`2010-01-25T15:03:07-07:00`, `2011-10-03T15:19:30.123Z`), or with
/// a North American zone abbreviation as AWS's SQS documentation writes it
/// (`2015-12-18T22:52:43PST`).
pub(crate) fn parse_iso8601_extended(s: &str, what: &str) -> Result<OffsetDateTime, SigError> {
    let invalid = || SigError::InvalidDate(format!("Invalid {what} '{}'", printable(s)));
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let (local, offset) = ZONES
        .iter()
        .find_map(|(zone, offset)| s.strip_suffix(zone).map(|local| (local, *offset)))
        .ok_or_else(invalid)?;
    let with_offset = format!("{local}{offset}");
    OffsetDateTime::parse(&with_offset, &Rfc3339).map_err(|_| invalid())
}

/// Zone abbreviations SigV2 timestamps are seen with, and their UTC offsets.
const ZONES: [(&str, &str); 10] = [
    ("UTC", "+00:00"),
    ("GMT", "+00:00"),
    ("EST", "-05:00"),
    ("EDT", "-04:00"),
    ("CST", "-06:00"),
    ("CDT", "-05:00"),
    ("MST", "-07:00"),
    ("MDT", "-06:00"),
    ("PST", "-08:00"),
    ("PDT", "-07:00"),
];

/// `YYYYMMDDTHHMMSSZ` of an instant, as the SigV4 string to sign carries it.
pub(crate) fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Whether `a` and `b` are more than [`MAX_SKEW`] apart, in either direction.
pub(crate) fn too_skewed(a: SystemTime, b: SystemTime) -> bool {
    let gap = a
        .duration_since(b)
        .or_else(|_| b.duration_since(a))
        .unwrap_or(Duration::ZERO);
    gap > MAX_SKEW
}

/// Echoing client input in an error is useful, but only a bounded, printable prefix of it.
pub(crate) fn printable(s: &str) -> String {
    s.chars()
        .take(64)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigv2_times_accept_zone_abbreviations() {
        let at = |s| parse_iso8601_extended(s, "Expires").map(|t| t.unix_timestamp());
        assert_eq!(at("2015-12-18T22:52:43PST"), at("2015-12-19T06:52:43Z"));
        assert_eq!(at("2015-12-18T22:52:43EDT"), at("2015-12-19T02:52:43Z"));
        assert!(at("2015-12-19T06:52:43Z").is_ok());
        assert!(at("2015-12-18T22:52:43XYZ").is_err());
        assert!(at("PST").is_err());
    }

    #[test]
    fn amz_date_table() {
        let ok = parse_amz_date("20150830T123600Z").map(|t| t.unix_timestamp());
        assert_eq!(ok, Ok(1_440_938_160));
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015-08-30T12:36:00Z",
            "20151330T123600Z",
            "20150230T123600Z",
            "20150830T246000Z",
            "2015083aT123600Z",
            "+0150830T123600Z",
            "２0150830T123600Z",
        ] {
            assert!(parse_amz_date(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn http_date_and_iso_extended() {
        let t = parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT").map(|t| t.unix_timestamp());
        assert_eq!(t, Ok(1_440_938_160));
        assert!(parse_http_date("Sun, 30 Aug 2015 12:36:00 PST").is_err());
        let cases = [
            ("2010-01-25T15:03:07-07:00", 1_264_456_987),
            ("2010-01-25T22:03:07Z", 1_264_456_987),
            ("2010-01-25T22:03:07.123Z", 1_264_456_987),
            ("2010-01-26T00:03:07+02:00", 1_264_456_987),
        ];
        for (s, want) in cases {
            let got = parse_iso8601_extended(s, "Timestamp").map(|t| t.unix_timestamp());
            assert_eq!(got, Ok(want), "{s}");
        }
        assert!(parse_iso8601_extended("2010-01-25 22:03:07", "Timestamp").is_err());
    }

    #[test]
    fn format_round_trips() {
        let t = parse_iso8601_extended("2010-01-25T15:03:07-07:00", "Timestamp");
        assert_eq!(t.map(format_amz_date), Ok("20100125T220307Z".to_owned()));
    }
}
