//! The request parameters STS actions share, validated with AWS's limits and messages.

use crate::{CallerContext, StsError};
use tessera_core::Principal;
use tessera_protocol::QueryParams;

/// The most session policy ARNs a request may pass.
const MAX_POLICY_ARNS: usize = 10;
/// The plaintext session policy's length limit.
const MAX_POLICY_CHARS: usize = 2048;
/// Session tags per request.
const MAX_TAGS: usize = 50;

/// `DurationSeconds`, or `default` when absent, checked against `min..=max`.
/// `max_message` is AWS's message when the value is above the caller-specific maximum.
pub fn duration(
    params: &QueryParams,
    default: u64,
    min: u64,
    max: u64,
    max_message: &str,
) -> Result<u64, StsError> {
    let Some(raw) = params.get("DurationSeconds") else {
        return Ok(default.clamp(min, max));
    };
    let value: i64 = raw.parse().map_err(|_| {
        StsError::InvalidParameterValue(format!("Invalid value for DurationSeconds: {raw}"))
    })?;
    if value < min as i64 {
        return Err(StsError::constraint(
            raw,
            "durationSeconds",
            &format!("Member must have value greater than or equal to {min}"),
        ));
    }
    if value > max as i64 {
        return Err(StsError::Validation(max_message.to_owned()));
    }
    Ok(value as u64)
}

/// GetSessionToken's and GetFederationToken's longest session: 36 hours.
const MAX_LONG_TERM: u64 = 129_600;
/// Their default: 12 hours.
const DEFAULT_LONG_TERM: u64 = 43_200;
/// The root identity's sessions last at most an hour (its default too); longer requests are
/// shortened, as AWS does.
const MAX_ROOT: u64 = 3_600;

/// The caller behind GetSessionToken and GetFederationToken, which only long-term credentials of
/// an IAM user or the root identity may call: its (ARN, unique id) as the session's parent.
pub fn long_term_parent(
    caller: &CallerContext<'_>,
    action: &str,
) -> Result<(String, String), StsError> {
    let refused =
        || StsError::AccessDenied(format!("Cannot call {action} with session credentials"));
    if caller.session.is_some() {
        return Err(refused());
    }
    match caller.principal {
        Principal::Root { account } => Ok((account.root_arn(), account.to_string())),
        p @ Principal::User { user_id, .. } => Ok((p.arn(), user_id.clone())),
        _ => Err(refused()),
    }
}

/// The session length for GetSessionToken and GetFederationToken (`DurationSeconds`).
pub fn long_term_duration(params: &QueryParams, min: u64, root: bool) -> Result<u64, StsError> {
    let over_max = format!(
        "1 validation error detected: Value '{}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to {MAX_LONG_TERM}",
        params.get("DurationSeconds").unwrap_or("")
    );
    let requested = duration(params, DEFAULT_LONG_TERM, min, MAX_LONG_TERM, &over_max)?;
    Ok(match (root, params.get("DurationSeconds")) {
        (true, None) => MAX_ROOT,
        (true, Some(_)) => requested.min(MAX_ROOT),
        (false, _) => requested,
    })
}

/// A name such as `RoleSessionName` or the federated user's `Name`: `[\w+=,.@-]*` of
/// `min..=max` characters.
pub fn name<'a>(
    params: &'a QueryParams,
    param: &str,
    member: &str,
    min: usize,
    max: usize,
) -> Result<&'a str, StsError> {
    let value = params
        .get(param)
        .ok_or_else(|| StsError::constraint("null", member, "Member must not be null"))?;
    let len = value.chars().count();
    if len < min {
        return Err(StsError::constraint(
            value,
            member,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if len > max {
        return Err(StsError::constraint(
            value,
            member,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        return Err(StsError::constraint(
            value,
            member,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    Ok(value)
}

/// The inline session policy (`Policy`), parsed to prove it is a valid identity policy.
pub fn session_policy(params: &QueryParams) -> Result<Option<String>, StsError> {
    let Some(doc) = params.get("Policy") else {
        return Ok(None);
    };
    if doc.chars().count() > MAX_POLICY_CHARS {
        return Err(StsError::constraint(
            "policy",
            "policy",
            &format!("Member must have length less than or equal to {MAX_POLICY_CHARS}"),
        ));
    }
    tessera_policy::parse(doc)
        .map_err(|e| StsError::MalformedPolicyDocument(e.message().to_owned()))?;
    Ok(Some(doc.to_owned()))
}

/// `PolicyArns.member.N.arn`.
pub fn policy_arns(params: &QueryParams) -> Result<Vec<String>, StsError> {
    let arns: Vec<String> = params
        .structs("PolicyArns.member")
        .into_iter()
        .filter_map(|fields| {
            fields
                .into_iter()
                .find(|(k, _)| *k == "arn")
                .map(|(_, v)| v.to_owned())
        })
        .collect();
    if arns.len() > MAX_POLICY_ARNS {
        return Err(StsError::constraint(
            "policyArns",
            "policyArns",
            &format!("Member must have length less than or equal to {MAX_POLICY_ARNS}"),
        ));
    }
    for arn in &arns {
        if !(20..=2048).contains(&arn.len()) || !arn.starts_with("arn:") {
            return Err(StsError::InvalidParameterValue(format!(
                "The policy ARN {arn} is not valid."
            )));
        }
    }
    Ok(arns)
}

/// `Tags.member.N.Key` / `.Value`: at most 50, keys unique ignoring case.
pub fn tags(params: &QueryParams) -> Result<Vec<(String, String)>, StsError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for fields in params.structs("Tags.member") {
        let key = fields.iter().find(|(k, _)| *k == "Key").map(|(_, v)| *v);
        let value = fields.iter().find(|(k, _)| *k == "Value").map(|(_, v)| *v);
        let (Some(key), Some(value)) = (key, value) else {
            return Err(StsError::constraint(
                "null",
                "tags.member.key",
                "Member must not be null",
            ));
        };
        if key.is_empty() || key.chars().count() > 128 {
            return Err(StsError::constraint(
                key,
                "tags.member.key",
                "Member must have length between 1 and 128",
            ));
        }
        if value.chars().count() > 256 {
            return Err(StsError::constraint(
                value,
                "tags.member.value",
                "Member must have length less than or equal to 256",
            ));
        }
        if out.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
            return Err(StsError::InvalidParameterValue(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.".into(),
            ));
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    if out.len() > MAX_TAGS {
        return Err(StsError::constraint(
            "tags",
            "tags",
            &format!("Member must have length less than or equal to {MAX_TAGS}"),
        ));
    }
    Ok(out)
}

/// `TransitiveTagKeys.member.N`, each of which must name one of the session's tags.
pub fn transitive_tag_keys(
    params: &QueryParams,
    tags: &[(String, String)],
) -> Result<Vec<String>, StsError> {
    let keys: Vec<String> = params
        .members("TransitiveTagKeys.member")
        .into_iter()
        .map(str::to_owned)
        .collect();
    for k in &keys {
        if !tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(k)) {
            return Err(StsError::InvalidParameterValue(
                "The specified transitive tag key must be included in the requested tags.".into(),
            ));
        }
    }
    Ok(keys)
}

/// AWS's `PackedPolicySize`: how much of the packed allowance the session policies and tags use,
/// in percent. AWS packs them into a compressed binary form; tessera measures the deflated size of
/// the same content against a 512-byte allowance, which tracks AWS's percentages closely enough
/// for clients that watch the figure. Over 100 → `PackedPolicyTooLarge`.
pub fn packed_policy_size(
    policy: Option<&str>,
    arns: &[String],
    tags: &[(String, String)],
) -> Result<Option<u32>, StsError> {
    if policy.is_none() && arns.is_empty() && tags.is_empty() {
        return Ok(None);
    }
    use std::io::Write;
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    let mut feed = |s: &str| {
        let _ = enc.write_all(s.as_bytes());
    };
    if let Some(p) = policy {
        // Whitespace does not count against AWS's limits.
        feed(&p.split_whitespace().collect::<String>());
    }
    for a in arns {
        feed(a);
    }
    for (k, v) in tags {
        feed(k);
        feed(v);
    }
    let packed = enc.finish().map(|v| v.len()).unwrap_or(usize::MAX);
    let percent = u32::try_from(packed.saturating_mul(100) / 512).unwrap_or(u32::MAX);
    if percent > 100 {
        return Err(StsError::PackedPolicyTooLarge(format!(
            "Packed size of consumed session policies and tags exceeds the limit: {percent}% of allowed"
        )));
    }
    Ok(Some(percent.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> QueryParams {
        QueryParams::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn durations_follow_aws() {
        let msg = "too long";
        assert_eq!(duration(&p(""), 3600, 900, 3600, msg).unwrap(), 3600);
        assert_eq!(
            duration(&p("DurationSeconds=900"), 3600, 900, 3600, msg).unwrap(),
            900
        );
        let e = duration(&p("DurationSeconds=899"), 3600, 900, 3600, msg).unwrap_err();
        assert!(e.to_string().contains("greater than or equal to 900"));
        let e = duration(&p("DurationSeconds=3601"), 3600, 900, 3600, msg).unwrap_err();
        assert_eq!(e.to_string(), msg);
        assert!(duration(&p("DurationSeconds=x"), 3600, 900, 3600, msg).is_err());
        // A lowered minimum (tests) is honoured.
        assert_eq!(
            duration(&p("DurationSeconds=2"), 3600, 1, 3600, msg).unwrap(),
            2
        );
    }

    #[test]
    fn names_follow_aws() {
        assert_eq!(
            name(&p("N=ok-name_1"), "N", "name", 2, 64).unwrap(),
            "ok-name_1"
        );
        for bad in ["N=a", "N=has%20space", "N=semi%3Bcolon", ""] {
            assert!(name(&p(bad), "N", "name", 2, 64).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_and_transitive_keys() {
        let q = p("Tags.member.1.Key=Project&Tags.member.1.Value=X&Tags.member.2.Key=Team&Tags.member.2.Value=Y&TransitiveTagKeys.member.1=project");
        let t = tags(&q).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(transitive_tag_keys(&q, &t).unwrap(), vec!["project"]);
        let dup = p(
            "Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=A&Tags.member.2.Value=2",
        );
        assert!(tags(&dup).is_err());
        let q = p("TransitiveTagKeys.member.1=nope");
        assert!(transitive_tag_keys(&q, &t).is_err());
    }

    #[test]
    fn packed_policy_size_grows_and_overflows() {
        assert_eq!(packed_policy_size(None, &[], &[]).unwrap(), None);
        let small = packed_policy_size(Some("{\"Version\":\"2012-10-17\"}"), &[], &[])
            .unwrap()
            .unwrap();
        assert!((1..=100).contains(&small));
        // Incompressible text from a small linear congruential generator.
        let mut seed: u64 = 42;
        let random: String = (0..12_000)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from(b'a' + ((seed >> 33) % 26) as u8)
            })
            .collect();
        let huge_tags: Vec<(String, String)> = (0..50)
            .map(|i| {
                (
                    format!("k{i}{}", &random[i * 3..i * 3 + 60]),
                    random[i * 50..i * 50 + 200].to_string(),
                )
            })
            .collect();
        assert!(matches!(
            packed_policy_size(None, &[], &huge_tags),
            Err(StsError::PackedPolicyTooLarge(_))
        ));
    }
}
