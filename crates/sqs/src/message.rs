//! A message as SQS stores and validates it: body and attribute checks (AWS's character set,
//! attribute names and types, size), and the stored record. It owns what a valid message is; it
//! must never read or write the store.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wire::RawAttribute;
use crate::SqsError;

/// One message attribute value (String/Number as text, Binary as bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeValue {
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<Vec<u8>>,
}

/// A stored message. The record is the authority on visibility: indexes only point at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    pub id: String,
    pub body: String,
    pub md5_body: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, AttributeValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5_attributes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5_system: Option<String>,
    pub sender_id: String,
    pub sent_ms: u64,
    pub visible_at_ms: u64,
    /// Whether the message has been received at least once (its index state, see `db`).
    pub received: bool,
    pub receive_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_receive_ms: Option<u64>,
    /// When the latest receive happened: ChangeMessageVisibility may not push visibility past
    /// 12 hours after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_receive_ms: Option<u64>,
    /// The nonce of the latest receive; receipt handles must carry it.
    pub nonce: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_source_arn: Option<String>,
}

const ALLOWED: &str = "#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF";

/// SQS accepts only XML's character set in bodies and string attribute values.
pub fn check_characters(text: &str, what: &str) -> Result<(), SqsError> {
    match text.chars().find(|c| !allowed_char(*c)) {
        None => Ok(()),
        Some(c) => Err(SqsError::InvalidMessageContents(format!(
            "Invalid binary character '#x{:X}' was found in the {what}, the set of allowed characters is {ALLOWED}",
            c as u32
        ))),
    }
}

fn allowed_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// Validates message attributes and returns them typed, with their size in bytes (name + type +
/// value, as AWS counts towards the message size).
pub fn check_attributes(
    raw: BTreeMap<String, RawAttribute>,
) -> Result<(BTreeMap<String, AttributeValue>, usize), SqsError> {
    if raw.len() > 10 {
        return Err(SqsError::InvalidParameterValue(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [10].",
            raw.len()
        )));
    }
    let mut size = 0;
    let mut out = BTreeMap::new();
    for (name, attr) in raw {
        check_attribute_name(&name)?;
        let base = attr.data_type.split('.').next().unwrap_or("");
        let custom_ok = attr.data_type.len() <= 256
            && attr
                .data_type
                .split_once('.')
                .is_none_or(|(_, custom)| !custom.is_empty());
        if attr.data_type.is_empty() {
            return Err(SqsError::InvalidParameterValue(format!(
                "The message attribute '{name}' must contain a non-empty message attribute type."
            )));
        }
        if !["String", "Number", "Binary"].contains(&base) || !custom_ok {
            return Err(SqsError::InvalidParameterValue(format!(
                "The type of message (user) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
            )));
        }
        let value = if base == "Binary" {
            match attr.binary_value {
                Some(b) if !b.is_empty() => {
                    size += b.len();
                    AttributeValue {
                        data_type: attr.data_type,
                        string_value: None,
                        binary_value: Some(b),
                    }
                }
                _ => return Err(empty_value(&name, base)),
            }
        } else {
            match attr.string_value {
                Some(s) if !s.is_empty() => {
                    check_characters(&s, &format!("message attribute '{name}'"))?;
                    if base == "Number" && !valid_number(&s) {
                        return Err(SqsError::InvalidParameterValue(format!(
                            "Could not cast message attribute '{name}' value to number."
                        )));
                    }
                    size += s.len();
                    AttributeValue {
                        data_type: attr.data_type,
                        string_value: Some(s),
                        binary_value: None,
                    }
                }
                _ => return Err(empty_value(&name, base)),
            }
        };
        size += name.len() + value.data_type.len();
        out.insert(name, value);
    }
    Ok((out, size))
}

fn empty_value(name: &str, base: &str) -> SqsError {
    SqsError::InvalidParameterValue(format!(
        "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base}'."
    ))
}

/// AWS's attribute-name rules: 1–256 of `[A-Za-z0-9_.-]`, no leading/trailing or doubled `.`,
/// and no `AWS.`/`Amazon.` prefix.
fn check_attribute_name(name: &str) -> Result<(), SqsError> {
    let lower = name.to_ascii_lowercase();
    let ok = !name.is_empty()
        && name.len() <= 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && !lower.starts_with("aws.")
        && !lower.starts_with("amazon.");
    if ok {
        Ok(())
    } else {
        Err(SqsError::InvalidParameterValue(format!(
            "The message attribute name '{name}' is invalid."
        )))
    }
}

/// Numbers: optional sign, digits with an optional fraction and exponent, at most 38 significant
/// digits.
fn valid_number(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = int.len() + frac.len();
    let exp_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    digits > 0
        && digits <= 38
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && exp_ok
}

/// Checks the system attributes of a send: only `AWSTraceHeader`, a String.
pub fn check_system_attributes(
    raw: BTreeMap<String, RawAttribute>,
) -> Result<Option<String>, SqsError> {
    let mut trace = None;
    for (name, attr) in raw {
        if name != "AWSTraceHeader" {
            return Err(SqsError::InvalidParameterValue(format!(
                "Message system attribute name '{name}' is invalid."
            )));
        }
        match (attr.data_type.as_str(), attr.string_value) {
            ("String", Some(v)) if !v.is_empty() => {
                check_characters(&v, "message system attribute 'AWSTraceHeader'")?;
                trace = Some(v);
            }
            _ => {
                return Err(SqsError::InvalidParameterValue(
                    "The message system attribute 'AWSTraceHeader' must be a non-empty String."
                        .into(),
                ))
            }
        }
    }
    Ok(trace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(t: &str, s: Option<&str>, b: Option<&[u8]>) -> RawAttribute {
        RawAttribute {
            data_type: t.into(),
            string_value: s.map(str::to_owned),
            binary_value: b.map(<[u8]>::to_vec),
        }
    }

    #[test]
    fn character_set() {
        assert!(check_characters("ok\t\n\r \u{D7FF}\u{E000}\u{10FFFF}", "message body").is_ok());
        for bad in ["\u{0}", "a\u{1F}", "\u{FFFE}", "\u{FFFF}"] {
            let err = check_characters(bad, "message body").unwrap_err();
            assert!(matches!(err, SqsError::InvalidMessageContents(_)));
        }
        assert!(check_characters("\u{1}", "message body")
            .unwrap_err()
            .to_string()
            .starts_with("Invalid binary character '#x1' was found in the message body"));
    }

    #[test]
    fn attribute_rules() {
        let table: [(&str, RawAttribute, bool); 11] = [
            ("a", raw("String", Some("v"), None), true),
            ("a", raw("Number", Some("-1.5e3"), None), true),
            ("a", raw("Number.float", Some("x"), None), false),
            ("a", raw("Binary.png", None, Some(&[1])), true),
            ("a", raw("Binary", None, None), false),
            ("a", raw("String", Some(""), None), false),
            ("a", raw("Strung", Some("v"), None), false),
            ("a", raw("String.", Some("v"), None), false),
            ("AWS.x", raw("String", Some("v"), None), false),
            ("a..b", raw("String", Some("v"), None), false),
            ("a", raw("", Some("v"), None), false),
        ];
        for (name, attr, ok) in table {
            let got = check_attributes(BTreeMap::from([(name.to_owned(), attr.clone())]));
            assert_eq!(got.is_ok(), ok, "{name} {attr:?}: {got:?}");
        }
        let (_, size) = check_attributes(BTreeMap::from([(
            "ab".to_owned(),
            raw("String", Some("xyz"), None),
        )]))
        .unwrap();
        assert_eq!(size, 2 + 6 + 3);
        let many: BTreeMap<_, _> = (0..11)
            .map(|i| (format!("a{i}"), raw("String", Some("v"), None)))
            .collect();
        assert!(check_attributes(many).is_err());
    }

    #[test]
    fn system_attributes() {
        let ok = BTreeMap::from([(
            "AWSTraceHeader".to_owned(),
            raw("String", Some("Root=1"), None),
        )]);
        assert_eq!(
            check_system_attributes(ok).unwrap().as_deref(),
            Some("Root=1")
        );
        let bad = BTreeMap::from([("Other".to_owned(), raw("String", Some("x"), None))]);
        assert!(check_system_attributes(bad).is_err());
    }
}
