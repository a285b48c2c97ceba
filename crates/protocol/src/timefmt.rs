//! Timestamps in the formats AWS responses use.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// ISO 8601 with second precision and `Z`, as IAM and STS return it: `2024-05-01T12:00:00Z`.
pub fn iso8601(unix_seconds: u64) -> String {
    let t = i64::try_from(unix_seconds)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_aws() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
