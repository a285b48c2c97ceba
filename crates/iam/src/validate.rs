//! Reading and validating request parameters against the constraints of AWS's IAM model (lengths,
//! patterns, ranges, enums, list sizes). Failures are `ValidationError` in AWS's wording, naming
//! the member in camelCase as AWS does.
//!
//! This module owns the constraints; it must never touch the store.

use tessera_protocol::QueryParams;

use crate::model::Tag;
use crate::IamError;

/// Maximum name lengths from the model.
pub const USER_NAME_MAX: usize = 64;
pub const ROLE_NAME_MAX: usize = 64;
pub const GROUP_NAME_MAX: usize = 128;
pub const POLICY_NAME_MAX: usize = 128;
/// `existingUserNameType`: names given to refer to a user may be longer than new ones.
pub const EXISTING_USER_NAME_MAX: usize = 128;

const NAME_PATTERN: &str = "Member must satisfy regular expression pattern: [\\w+=,.@-]+";
const MAX_TAGS: usize = 50;

/// `ContextKeyTypeEnum` from the model.
const CONTEXT_KEY_TYPES: [&str; 12] = [
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
];

/// One simulated condition key and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEntry {
    pub key: String,
    pub values: Vec<String>,
}

/// The request's parameters, read with the model's constraints.
pub struct Input<'a> {
    q: &'a QueryParams,
}

impl<'a> Input<'a> {
    pub fn new(q: &'a QueryParams) -> Self {
        Self { q }
    }

    pub fn opt(&self, key: &str) -> Option<&'a str> {
        self.q.get(key)
    }

    pub fn required(&self, key: &str) -> Result<&'a str, IamError> {
        self.q
            .get(key)
            .ok_or_else(|| IamError::validation(None, &field(key), "Member must not be null"))
    }

    /// A required IAM name (`[\w+=,.@-]+`, 1..=max).
    pub fn name(&self, key: &str, max: usize) -> Result<String, IamError> {
        let v = self.required(key)?;
        check_name(v, key, max)?;
        Ok(v.to_owned())
    }

    pub fn opt_name(&self, key: &str, max: usize) -> Result<Option<String>, IamError> {
        match self.opt(key) {
            Some(v) => check_name(v, key, max).map(|()| Some(v.to_owned())),
            None => Ok(None),
        }
    }

    /// An entity path (`/` or `/…/`, printable ASCII), `/` when absent.
    pub fn path(&self, key: &str) -> Result<String, IamError> {
        match self.opt(key) {
            None => Ok("/".to_owned()),
            Some(v) => check_path(v, key).map(|()| v.to_owned()),
        }
    }

    pub fn opt_path(&self, key: &str) -> Result<Option<String>, IamError> {
        match self.opt(key) {
            None => Ok(None),
            Some(v) => check_path(v, key).map(|()| Some(v.to_owned())),
        }
    }

    /// A path prefix (`/` followed by printable ASCII), `/` when absent.
    pub fn path_prefix(&self, key: &str) -> Result<String, IamError> {
        let Some(v) = self.opt(key) else {
            return Ok("/".to_owned());
        };
        length(v, key, 1, 512)?;
        let ok = v.starts_with('/') && v.bytes().all(|b| (0x21..=0x7f).contains(&b));
        if !ok {
            return Err(IamError::validation(
                Some(v),
                &field(key),
                "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*",
            ));
        }
        Ok(v.to_owned())
    }

    /// `MaxItems`: 1..=1000, default 100.
    pub fn max_items(&self) -> Result<usize, IamError> {
        match self.opt("MaxItems") {
            None => Ok(100),
            Some(v) => {
                let n: i64 = v.trim().parse().map_err(|_| {
                    IamError::validation(Some(v), "maxItems", "Member must be an integer")
                })?;
                if n < 1 {
                    return Err(IamError::validation(
                        Some(v),
                        "maxItems",
                        "Member must have value greater than or equal to 1",
                    ));
                }
                if n > 1000 {
                    return Err(IamError::validation(
                        Some(v),
                        "maxItems",
                        "Member must have value less than or equal to 1000",
                    ));
                }
                usize::try_from(n).map_err(|_| {
                    IamError::validation(Some(v), "maxItems", "Member must be an integer")
                })
            }
        }
    }

    pub fn marker(&self) -> Result<Option<&'a str>, IamError> {
        match self.opt("Marker") {
            Some(v) => length(v, "Marker", 1, 320).map(|()| Some(v)),
            None => Ok(None),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, IamError> {
        match self.opt(key) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(IamError::validation(
                Some(v),
                &field(key),
                "Member must be a boolean",
            )),
        }
    }

    /// An integer in `min..=max`.
    pub fn int_in(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, IamError> {
        let Some(v) = self.opt(key) else {
            return Ok(None);
        };
        let n: i64 = v
            .trim()
            .parse()
            .map_err(|_| IamError::validation(Some(v), &field(key), "Member must be an integer"))?;
        if n < min {
            return Err(IamError::validation(
                Some(v),
                &field(key),
                &format!("Member must have value greater than or equal to {min}"),
            ));
        }
        if n > max {
            return Err(IamError::validation(
                Some(v),
                &field(key),
                &format!("Member must have value less than or equal to {max}"),
            ));
        }
        Ok(Some(n))
    }

    /// A required policy document: 1..=131072 characters of tab, newline, CR or U+0020–U+00FF.
    /// The JSON grammar is checked by `tessera-policy`.
    pub fn document(&self, key: &str) -> Result<String, IamError> {
        let v = self.required(key)?;
        check_document(v, key)?;
        Ok(v.to_owned())
    }

    /// A required ARN (20..=2048 characters).
    pub fn arn(&self, key: &str) -> Result<String, IamError> {
        let v = self.required(key)?;
        length(v, key, 20, 2048)?;
        Ok(v.to_owned())
    }

    pub fn opt_arn(&self, key: &str) -> Result<Option<String>, IamError> {
        match self.opt(key) {
            None => Ok(None),
            Some(v) => length(v, key, 20, 2048).map(|()| Some(v.to_owned())),
        }
    }

    /// An optional free-text description of at most `max` characters.
    pub fn description(&self, key: &str, max: usize) -> Result<Option<String>, IamError> {
        match self.opt(key) {
            None => Ok(None),
            Some(v) => length(v, key, 0, max).map(|()| Some(v.to_owned())),
        }
    }

    /// `Tags.member.N.Key/Value`: at most 50, valid keys and values, no key twice (keys compare
    /// case-insensitively).
    pub fn tags(&self, key: &str) -> Result<Vec<Tag>, IamError> {
        let structs = self.q.structs(&format!("{key}.member"));
        if structs.len() > MAX_TAGS {
            return Err(IamError::validation(
                None,
                &field(key),
                "Member must have length less than or equal to 50",
            ));
        }
        let mut tags: Vec<Tag> = Vec::with_capacity(structs.len());
        for fields in structs {
            let get = |name: &str| fields.iter().find(|(f, _)| *f == name).map(|(_, v)| *v);
            let k = get("Key").ok_or_else(|| {
                IamError::validation(None, "tags.member.key", "Member must not be null")
            })?;
            let v = get("Value").ok_or_else(|| {
                IamError::validation(None, "tags.member.value", "Member must not be null")
            })?;
            check_tag_key(k)?;
            check_tag_value(v)?;
            if tags.iter().any(|t| t.key.eq_ignore_ascii_case(k)) {
                return Err(IamError::InvalidInput(
                    "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                        .to_owned(),
                ));
            }
            tags.push(Tag {
                key: k.to_owned(),
                value: v.to_owned(),
            });
        }
        Ok(tags)
    }

    /// A role description: at most 1000 characters of tab, newline, CR, printable ASCII or
    /// U+00A1–U+00FF.
    pub fn role_description(&self) -> Result<Option<String>, IamError> {
        let d = self.description("Description", 1000)?;
        if let Some(v) = &d {
            let ok = v.chars().all(
                |c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}'),
            );
            if !ok {
                return Err(IamError::validation(
                    Some(v),
                    "description",
                    "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
                ));
            }
        }
        Ok(d)
    }

    /// `TagKeys.member.N`: 1..=50 valid keys.
    pub fn tag_keys(&self, key: &str) -> Result<Vec<String>, IamError> {
        let keys = self.q.members(&format!("{key}.member"));
        if keys.is_empty() {
            return Err(IamError::validation(
                None,
                &field(key),
                "Member must not be null",
            ));
        }
        if keys.len() > MAX_TAGS {
            return Err(IamError::validation(
                None,
                &field(key),
                "Member must have length less than or equal to 50",
            ));
        }
        keys.into_iter()
            .map(|k| check_tag_key(k).map(|()| k.to_owned()))
            .collect()
    }

    /// `Key.member.N` policy documents, each checked like [`Input::document`]; empty when absent.
    pub fn documents(&self, key: &str) -> Result<Vec<String>, IamError> {
        self.members(key)
            .into_iter()
            .map(|d| check_document(d, key).map(|()| d.to_owned()))
            .collect()
    }

    /// The simulator's `ContextEntries.member.N.{ContextKeyName, ContextKeyValues.member.M,
    /// ContextKeyType}`. The type must be one of the model's, but values stay strings: the policy
    /// engine's operators read each value as their own family requires.
    pub fn context_entries(&self) -> Result<Vec<ContextEntry>, IamError> {
        let mut out = Vec::new();
        for fields in self.q.structs("ContextEntries.member") {
            let mut name = None;
            let mut values: Vec<(u32, &str)> = Vec::new();
            for (f, v) in fields {
                match f {
                    "ContextKeyName" => name = Some(v),
                    "ContextKeyType" if !CONTEXT_KEY_TYPES.contains(&v) => {
                        return Err(IamError::validation(
                            Some(v),
                            "contextEntries.member.contextKeyType",
                            &format!(
                                "Member must satisfy enum value set: [{}]",
                                CONTEXT_KEY_TYPES.join(", ")
                            ),
                        ));
                    }
                    _ => {
                        let index = f
                            .strip_prefix("ContextKeyValues.member.")
                            .and_then(|i| i.parse::<u32>().ok());
                        if let Some(i) = index {
                            values.push((i, v));
                        }
                    }
                }
            }
            let Some(name) = name else {
                continue;
            };
            length(name, "contextEntries.member.contextKeyName", 5, 256)?;
            values.sort_by_key(|(i, _)| *i);
            out.push(ContextEntry {
                key: name.to_owned(),
                values: values.into_iter().map(|(_, v)| v.to_owned()).collect(),
            });
        }
        Ok(out)
    }

    /// A list of enum values, `Filter.member.N`.
    pub fn members(&self, key: &str) -> Vec<&'a str> {
        self.q.members(&format!("{key}.member"))
    }
}

/// Checks an identity policy with `tessera-policy`; returns its size as AWS counts it
/// (characters other than whitespace).
pub fn identity_policy(doc: &str) -> Result<usize, IamError> {
    tessera_policy::parse(doc)
        .map_err(|e| IamError::MalformedPolicyDocument(e.message().to_owned()))?;
    Ok(tessera_policy::policy_size(doc))
}

/// Checks a role trust policy; returns its size.
pub fn trust_policy(doc: &str) -> Result<usize, IamError> {
    tessera_policy::parse_trust_policy(doc)
        .map_err(|e| IamError::MalformedPolicyDocument(e.message().to_owned()))?;
    Ok(tessera_policy::policy_size(doc))
}

/// AWS names members in camelCase in validation messages (`UserName` → `userName`).
fn field(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn length(v: &str, key: &str, min: usize, max: usize) -> Result<(), IamError> {
    let n = v.chars().count();
    if n < min {
        return Err(IamError::validation(
            Some(v),
            &field(key),
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if n > max {
        return Err(IamError::validation(
            Some(v),
            &field(key),
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

pub fn is_name(v: &str) -> bool {
    !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

pub fn check_name(v: &str, key: &str, max: usize) -> Result<(), IamError> {
    length(v, key, 1, max)?;
    if !is_name(v) {
        return Err(IamError::validation(Some(v), &field(key), NAME_PATTERN));
    }
    Ok(())
}

pub fn check_path(v: &str, key: &str) -> Result<(), IamError> {
    length(v, key, 1, 512)?;
    let ok = v == "/"
        || (v.len() >= 3
            && v.starts_with('/')
            && v.ends_with('/')
            && v.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    if !ok {
        return Err(IamError::validation(
            Some(v),
            &field(key),
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ));
    }
    Ok(())
}

pub fn check_document(v: &str, key: &str) -> Result<(), IamError> {
    length(v, key, 1, 131_072)?;
    let ok = v
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'));
    if !ok {
        return Err(IamError::validation(
            Some(v),
            &field(key),
            "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        ));
    }
    Ok(())
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

pub fn check_tag_key(k: &str) -> Result<(), IamError> {
    length(k, "tags.member.key", 1, 128)?;
    if !k.chars().all(is_tag_char) {
        return Err(IamError::validation(
            Some(k),
            "tags.member.key",
            "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
        ));
    }
    Ok(())
}

pub fn check_tag_value(v: &str) -> Result<(), IamError> {
    length(v, "tags.member.value", 0, 256)?;
    if !v.chars().all(is_tag_char) {
        return Err(IamError::validation(
            Some(v),
            "tags.member.value",
            "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> QueryParams {
        QueryParams::parse(s.as_bytes()).unwrap_or_default()
    }

    #[test]
    fn names() {
        for (v, ok) in [
            ("bob", true),
            ("a+b=c,d.e@f-g_h", true),
            ("", false),
            ("a b", false),
            ("a/b", false),
            ("é", false),
        ] {
            assert_eq!(check_name(v, "UserName", 64).is_ok(), ok, "{v}");
        }
        assert!(check_name(&"a".repeat(65), "UserName", 64).is_err());
        assert!(check_name(&"a".repeat(64), "UserName", 64).is_ok());
    }

    #[test]
    fn paths() {
        for (v, ok) in [
            ("/", true),
            ("/a/", true),
            ("/a/b/", true),
            ("a/", false),
            ("/a", false),
            ("//", false),
            ("/a b/", false),
        ] {
            assert_eq!(check_path(v, "Path").is_ok(), ok, "{v}");
        }
    }

    #[test]
    fn max_items_and_messages() {
        assert_eq!(Input::new(&q("")).max_items().ok(), Some(100));
        assert_eq!(Input::new(&q("MaxItems=7")).max_items().ok(), Some(7));
        for bad in ["MaxItems=0", "MaxItems=1001", "MaxItems=x"] {
            assert!(Input::new(&q(bad)).max_items().is_err(), "{bad}");
        }
        let err = Input::new(&q("")).required("UserName").err();
        assert_eq!(
            err,
            Some(IamError::Validation(
                "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null".into()
            ))
        );
    }

    #[test]
    fn tags_reject_duplicates_and_bad_keys() {
        let ok = q(
            "Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b&Tags.member.2.Value=",
        );
        assert_eq!(Input::new(&ok).tags("Tags").map(|t| t.len()).ok(), Some(2));
        let dup = q(
            "Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=A&Tags.member.2.Value=2",
        );
        assert!(matches!(
            Input::new(&dup).tags("Tags"),
            Err(IamError::InvalidInput(_))
        ));
        let bad = q("Tags.member.1.Key=a%23&Tags.member.1.Value=1");
        assert!(matches!(
            Input::new(&bad).tags("Tags"),
            Err(IamError::Validation(_))
        ));
    }
}
