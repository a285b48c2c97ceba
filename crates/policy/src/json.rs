//! A strict JSON reader for policy documents.
//!
//! Owns: turning text into a tree that keeps object members in order and refuses duplicate keys
//! (AWS refuses them; serde_json silently keeps the last). Must never recurse deeper than
//! [`MAX_DEPTH`] nor panic on any input.

use crate::error::PolicyError;

/// Policies nest five levels at most (document, statement, condition, operator, values); anything
/// far deeper is hostile input.
pub(crate) const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// Numbers keep their text: condition values compare them as written.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

pub(crate) fn parse(text: &str) -> Result<Json, PolicyError> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        pos: 0,
    };
    reader.skip_ws();
    let value = reader.value(0)?;
    reader.skip_ws();
    if reader.pos != reader.bytes.len() {
        return Err(PolicyError::syntax());
    }
    Ok(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) -> Result<u8, PolicyError> {
        let b = self.peek().ok_or_else(PolicyError::syntax)?;
        self.pos += 1;
        Ok(b)
    }

    fn expect(&mut self, want: u8) -> Result<(), PolicyError> {
        if self.bump()? == want {
            Ok(())
        } else {
            Err(PolicyError::syntax())
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8], value: Json) -> Result<Json, PolicyError> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(PolicyError::syntax())
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, PolicyError> {
        if depth > MAX_DEPTH {
            return Err(PolicyError::syntax());
        }
        match self.peek().ok_or_else(PolicyError::syntax)? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Json::String),
            b't' => self.literal(b"true", Json::Bool(true)),
            b'f' => self.literal(b"false", Json::Bool(false)),
            b'n' => self.literal(b"null", Json::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(PolicyError::syntax()),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, PolicyError> {
        self.expect(b'{')?;
        let mut members: Vec<(String, Json)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            if members.iter().any(|(k, _)| *k == key) {
                return Err(PolicyError::syntax());
            }
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.skip_ws();
            match self.bump()? {
                b',' => continue,
                b'}' => return Ok(Json::Object(members)),
                _ => return Err(PolicyError::syntax()),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, PolicyError> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.bump()? {
                b',' => continue,
                b']' => return Ok(Json::Array(items)),
                _ => return Err(PolicyError::syntax()),
            }
        }
    }

    fn number(&mut self) -> Result<Json, PolicyError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.bump()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return Err(PolicyError::syntax()),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.require_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.require_digits()?;
        }
        let text =
            std::str::from_utf8(&self.bytes[start..self.pos]).map_err(|_| PolicyError::syntax())?;
        Ok(Json::Number(text.to_owned()))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn require_digits(&mut self) -> Result<(), PolicyError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(PolicyError::syntax());
        }
        self.digits();
        Ok(())
    }

    fn string(&mut self) -> Result<String, PolicyError> {
        self.expect(b'"')?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let start = self.pos;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            out.extend_from_slice(&self.bytes[start..self.pos]);
            match self.bump()? {
                b'"' => break,
                b'\\' => self.escape(&mut out)?,
                _ => return Err(PolicyError::syntax()),
            }
        }
        String::from_utf8(out).map_err(|_| PolicyError::syntax())
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), PolicyError> {
        let simple = match self.bump()? {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let c = self.unicode_escape()?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                return Ok(());
            }
            _ => return Err(PolicyError::syntax()),
        };
        out.push(simple);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, PolicyError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = char::from(self.bump()?)
                .to_digit(16)
                .ok_or_else(PolicyError::syntax)?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, PolicyError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                self.expect(b'\\')?;
                self.expect(b'u')?;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(PolicyError::syntax());
                }
                0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(PolicyError::syntax()),
            other => other,
        };
        char::from_u32(code).ok_or_else(PolicyError::syntax)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_documents() {
        let cases: &[(&str, Json)] = &[
            ("true", Json::Bool(true)),
            (" null ", Json::Null),
            ("-1.5e+3", Json::Number("-1.5e+3".into())),
            (r#""a\u00e9\ud83d\ude00\n""#, Json::String("aé😀\n".into())),
            ("[]", Json::Array(vec![])),
            (
                r#"{"a": [1, {"b": "c"}]}"#,
                Json::Object(vec![(
                    "a".into(),
                    Json::Array(vec![
                        Json::Number("1".into()),
                        Json::Object(vec![("b".into(), Json::String("c".into()))]),
                    ]),
                )]),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text).as_ref(), Ok(want), "{text}");
        }
    }

    #[test]
    fn refuses_invalid_documents() {
        let deep_open = "[".repeat(10_000);
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 2), "]".repeat(MAX_DEPTH + 2));
        let cases = [
            "",
            "{",
            r#"{"a":1,"a":2}"#,
            r#"{"a":1,}"#,
            "[1,]",
            "01",
            "1.",
            "tru",
            "\"\u{1}\"",
            r#""\ud800""#,
            r#""\x""#,
            "{} {}",
            "{'a':1}",
            deep_open.as_str(),
            deep.as_str(),
        ];
        for text in cases {
            assert_eq!(parse(text), Err(PolicyError::syntax()), "{text:?}");
        }
    }
}
