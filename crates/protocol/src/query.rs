//! The awsQuery request form: `Action=X&Version=Y&Tags.member.1.Key=k&…`.
//!
//! A request arrives as an `application/x-www-form-urlencoded` body or a query string. Lists and
//! structures are flattened into dotted keys with 1-based indices (`PolicyArns.member.2.arn`,
//! `Attribute.1.Name`); serde's form decoders cannot express that, so this module owns the
//! decoding and the un-flattening. It enforces a bound on the number of parameters and rejects
//! input that is not UTF-8 after percent-decoding.

use std::collections::BTreeMap;

/// At most this many parameters in one request. AWS's largest Query requests (a batch of ten SQS
/// messages with ten attributes each) stay well below it.
pub const MAX_PARAMS: usize = 2000;

/// Largest list index accepted in a flattened key; anything larger is treated as malformed.
const MAX_INDEX: u32 = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the request has more than {MAX_PARAMS} parameters")]
    TooManyParameters,
    #[error("a parameter is not valid UTF-8 after percent-decoding")]
    InvalidUtf8,
}

/// Decoded parameters in arrival order. Repeated keys are kept; lookups return the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Decodes a form body or query string.
    pub fn parse(input: &[u8]) -> Result<Self, QueryError> {
        let mut pairs = Vec::new();
        for piece in input.split(|&b| b == b'&') {
            if piece.is_empty() {
                continue;
            }
            if pairs.len() == MAX_PARAMS {
                return Err(QueryError::TooManyParameters);
            }
            let (k, v) = match piece.iter().position(|&b| b == b'=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (piece, &b""[..]),
            };
            pairs.push((form_decode(k)?, form_decode(v)?));
        }
        Ok(Self { pairs })
    }

    /// Builds parameters from already-decoded pairs (used when merging query string and body).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    /// Appends the pairs of `other` (body after query string, as AWS merges them).
    pub fn extend(&mut self, other: QueryParams) -> Result<(), QueryError> {
        if self.pairs.len() + other.pairs.len() > MAX_PARAMS {
            return Err(QueryError::TooManyParameters);
        }
        self.pairs.extend(other.pairs);
        Ok(())
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// A flattened list of scalars: `members("PolicyArns.member")` reads
    /// `PolicyArns.member.1`, `PolicyArns.member.2`, … in index order.
    pub fn members(&self, prefix: &str) -> Vec<&str> {
        let mut found: BTreeMap<u32, &str> = BTreeMap::new();
        for (k, v) in &self.pairs {
            if let Some(idx) = k
                .strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('.'))
                .and_then(parse_index)
            {
                found.entry(idx).or_insert(v.as_str());
            }
        }
        found.into_values().collect()
    }

    /// A flattened list of structures: `structs("Tags.member")` groups `Tags.member.N.Key` and
    /// `Tags.member.N.Value` by N (in index order) into `[("Key", k), ("Value", v)]`. Nested
    /// members keep their remaining dotted path (`Value.StringValue`).
    pub fn structs(&self, prefix: &str) -> Vec<Vec<(&str, &str)>> {
        let mut found: BTreeMap<u32, Vec<(&str, &str)>> = BTreeMap::new();
        for (k, v) in &self.pairs {
            let Some(rest) = k.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            let Some((idx, field)) = rest.split_once('.') else {
                continue;
            };
            if let Some(idx) = parse_index(idx) {
                found.entry(idx).or_default().push((field, v.as_str()));
            }
        }
        found.into_values().collect()
    }
}

fn parse_index(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|&n| (1..=MAX_INDEX).contains(&n))
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; a malformed escape
/// is kept literally (as browsers and AWS do).
fn form_decode(raw: &[u8]) -> Result<String, QueryError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex_val(raw[i + 1]), hex_val(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| QueryError::InvalidUtf8)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_seed_request() {
        let q = QueryParams::parse(
            b"Action=SendMessageBatch&SendMessageBatchRequestEntry.1.Id=test_msg_001\
              &SendMessageBatchRequestEntry.1.MessageBody=test%20message%20body%201\
              &SendMessageBatchRequestEntry.2.Id=test_msg_002\
              &SendMessageBatchRequestEntry.2.MessageBody=test%20message%20body%202\
              &SendMessageBatchRequestEntry.2.DelaySeconds=60&Version=2012-11-05",
        )
        .unwrap();
        assert_eq!(q.action(), Some("SendMessageBatch"));
        let entries = q.structs("SendMessageBatchRequestEntry");
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries[1],
            vec![
                ("Id", "test_msg_002"),
                ("MessageBody", "test message body 2"),
                ("DelaySeconds", "60")
            ]
        );
    }

    #[test]
    fn members_are_ordered_by_index_not_arrival() {
        let q =
            QueryParams::parse(b"L.member.10=j&L.member.2=b&L.member.1=a&L.member.x=no").unwrap();
        assert_eq!(q.members("L.member"), vec!["a", "b", "j"]);
        assert!(q.members("L").is_empty());
    }

    #[test]
    fn plus_and_percent_and_malformed_escapes() {
        let q = QueryParams::parse(b"a=1+2%2B3&b=%zz&c=%4&d&=e").unwrap();
        assert_eq!(q.get("a"), Some("1 2+3"));
        assert_eq!(q.get("b"), Some("%zz"));
        assert_eq!(q.get("c"), Some("%4"));
        assert_eq!(q.get("d"), Some(""));
        assert_eq!(q.get(""), Some("e"));
    }

    #[test]
    fn rejects_invalid_utf8_and_too_many_params() {
        assert_eq!(
            QueryParams::parse(b"a=%FF%FE"),
            Err(QueryError::InvalidUtf8)
        );
        let many = "a=1&".repeat(MAX_PARAMS + 1);
        assert_eq!(
            QueryParams::parse(many.as_bytes()),
            Err(QueryError::TooManyParameters)
        );
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        let inputs: [&[u8]; 6] = [b"%", b"%%", b"=%", b"&&&", b"a=%F", b"\xff=\xfe"];
        for i in inputs {
            let _ = QueryParams::parse(i);
        }
    }
}
