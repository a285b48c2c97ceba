//! The two request encodings, behind one reader. awsQuery flattens lists and maps into dotted keys
//! (`Attribute.1.Name`, `MessageAttribute.2.Value.StringValue`), awsJson1_0 sends a JSON object;
//! [`Input`] answers the same questions for both so that each action parses its members once.
//! It owns member lookup and scalar conversion; it must never validate AWS semantics.

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Value};
use tessera_protocol::QueryParams;

use crate::SqsError;

/// How a request arrived (and how its answer must be encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Query,
    Json,
}

/// One undecoded request as the server hands it over.
pub enum Wire<'a> {
    Query(&'a QueryParams),
    Json { action: &'a str, body: &'a [u8] },
}

/// A typed value of a message attribute as sent (String/Number carry text, Binary bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAttribute {
    pub data_type: String,
    pub string_value: Option<String>,
    pub binary_value: Option<Vec<u8>>,
}

/// A member reader over either encoding. `Query` holds the (possibly nested) flattened pairs.
pub(crate) enum Input<'a> {
    Query(Cow<'a, QueryParams>),
    Json(Cow<'a, Map<String, Value>>),
}

impl<'a> Input<'a> {
    pub(crate) fn json(body: &[u8]) -> Result<Input<'static>, SqsError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Input::Json(Cow::Owned(Map::new())));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Input::Json(Cow::Owned(map))),
            _ => Err(SqsError::Serialization(
                "The request body is not a valid JSON object.".into(),
            )),
        }
    }

    pub(crate) fn protocol(&self) -> Protocol {
        match self {
            Input::Query(_) => Protocol::Query,
            Input::Json(_) => Protocol::Json,
        }
    }

    /// A scalar member; JSON numbers and booleans are accepted as their text.
    pub(crate) fn string(&self, name: &str) -> Option<String> {
        match self {
            Input::Query(q) => q.get(name).map(str::to_owned),
            Input::Json(m) => match m.get(name)? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            },
        }
    }

    pub(crate) fn required(&self, name: &str) -> Result<String, SqsError> {
        self.string(name)
            .ok_or_else(|| SqsError::MissingParameter(name.to_owned()))
    }

    /// An integer member. Text that is not an integer is AWS's InvalidParameterValue.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, SqsError> {
        match self.string(name) {
            None => Ok(None),
            Some(s) => s.trim().parse::<i64>().map(Some).map_err(|_| {
                SqsError::InvalidParameterValue(format!(
                    "Value {s} for parameter {name} is invalid. Reason: must be an integer."
                ))
            }),
        }
    }

    /// A list of strings: JSON `json_name: [..]`, Query `query_name.N`.
    pub(crate) fn strings(&self, json_name: &str, query_name: &str) -> Vec<String> {
        match self {
            Input::Query(q) => q
                .members(query_name)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            Input::Json(m) => match m.get(json_name) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            },
        }
    }

    /// A string map: JSON `json_name: {k: v}`, Query `query_name.N.<key_field>/<value_field>`.
    pub(crate) fn string_map(
        &self,
        json_name: &str,
        query_name: &str,
        key_field: &str,
        value_field: &str,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        match self {
            Input::Query(q) => {
                for fields in q.structs(query_name) {
                    let key = fields.iter().find(|(f, _)| *f == key_field);
                    let value = fields.iter().find(|(f, _)| *f == value_field);
                    if let Some((_, k)) = key {
                        out.insert((*k).to_owned(), value.map_or("", |(_, v)| v).to_owned());
                    }
                }
            }
            Input::Json(m) => {
                if let Some(Value::Object(obj)) = m.get(json_name) {
                    for (k, v) in obj {
                        let text = match v {
                            Value::String(s) => s.clone(),
                            Value::Null => continue,
                            other => other.to_string(),
                        };
                        out.insert(k.clone(), text);
                    }
                }
            }
        }
        out
    }

    /// A list of structures: JSON `json_name: [{..}]`, Query `query_name.N.Field…`.
    pub(crate) fn entries(&self, json_name: &str, query_name: &str) -> Vec<Input<'static>> {
        match self {
            Input::Query(q) => q
                .structs(query_name)
                .into_iter()
                .map(|fields| {
                    Input::Query(Cow::Owned(QueryParams::from_pairs(
                        fields
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v.to_owned()))
                            .collect(),
                    )))
                })
                .collect(),
            Input::Json(m) => match m.get(json_name) {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| match v {
                        Value::Object(o) => Input::Json(Cow::Owned(o.clone())),
                        _ => Input::Json(Cow::Owned(Map::new())),
                    })
                    .collect(),
                _ => Vec::new(),
            },
        }
    }

    /// Message (or system) attributes: JSON `json_name: {name: {DataType, StringValue,
    /// BinaryValue}}`, Query `query_name.N.Name` + `query_name.N.Value.DataType` etc.
    pub(crate) fn attributes(
        &self,
        json_name: &str,
        query_name: &str,
    ) -> Result<BTreeMap<String, RawAttribute>, SqsError> {
        let mut out = BTreeMap::new();
        match self {
            Input::Query(q) => {
                for fields in q.structs(query_name) {
                    let get = |f: &str| {
                        fields
                            .iter()
                            .find(|(k, _)| *k == f)
                            .map(|(_, v)| (*v).to_owned())
                    };
                    let Some(name) = get("Name") else { continue };
                    let binary = match get("Value.BinaryValue") {
                        Some(b) => Some(decode_binary(&name, &b)?),
                        None => None,
                    };
                    out.insert(
                        name,
                        RawAttribute {
                            data_type: get("Value.DataType").unwrap_or_default(),
                            string_value: get("Value.StringValue"),
                            binary_value: binary,
                        },
                    );
                }
            }
            Input::Json(m) => {
                if let Some(Value::Object(obj)) = m.get(json_name) {
                    for (name, v) in obj {
                        let field = |f: &str| v.get(f).and_then(Value::as_str).map(str::to_owned);
                        let binary = match field("BinaryValue") {
                            Some(b) => Some(decode_binary(name, &b)?),
                            None => None,
                        };
                        out.insert(
                            name.clone(),
                            RawAttribute {
                                data_type: field("DataType").unwrap_or_default(),
                                string_value: field("StringValue"),
                                binary_value: binary,
                            },
                        );
                    }
                }
            }
        }
        Ok(out)
    }
}

fn decode_binary(name: &str, b64: &str) -> Result<Vec<u8>, SqsError> {
    STANDARD.decode(b64.trim()).map_err(|_| {
        SqsError::InvalidParameterValue(format!(
            "The message attribute '{name}' has an invalid binary value (not base64)."
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_json_read_the_same_members() {
        let q = QueryParams::parse(
            b"QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=5\
              &AttributeName.1=All&MessageAttribute.1.Name=a\
              &MessageAttribute.1.Value.DataType=Binary&MessageAttribute.1.Value.BinaryValue=AAE%3D\
              &Entry.1.Id=x&Entry.1.MessageBody=hi",
        )
        .unwrap();
        let json = br#"{"QueueName":"q","Attributes":{"DelaySeconds":"5"},"AttributeNames":["All"],
            "MessageAttributes":{"a":{"DataType":"Binary","BinaryValue":"AAE="}},
            "Entries":[{"Id":"x","MessageBody":"hi"}]}"#;
        let inputs = [Input::Query(Cow::Owned(q)), Input::json(json).unwrap()];
        for input in &inputs {
            assert_eq!(input.string("QueueName").as_deref(), Some("q"));
            let attrs = input.string_map("Attributes", "Attribute", "Name", "Value");
            assert_eq!(attrs.get("DelaySeconds").map(String::as_str), Some("5"));
            assert_eq!(
                input.strings("AttributeNames", "AttributeName"),
                vec!["All"]
            );
            let ma = input
                .attributes("MessageAttributes", "MessageAttribute")
                .unwrap();
            assert_eq!(ma["a"].binary_value.as_deref(), Some(&[0u8, 1][..]));
            let entries = input.entries("Entries", "Entry");
            assert_eq!(entries.len(), 1);
            assert_eq!(entries[0].string("MessageBody").as_deref(), Some("hi"));
        }
    }

    #[test]
    fn malformed_json_and_integers() {
        assert!(matches!(
            Input::json(b"[1]"),
            Err(SqsError::Serialization(_))
        ));
        let i = Input::json(br#"{"N":"x","M":7}"#).unwrap();
        assert!(i.int("N").is_err());
        assert_eq!(i.int("M").unwrap(), Some(7));
        assert_eq!(i.int("Z").unwrap(), None);
    }
}
