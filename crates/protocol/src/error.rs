//! One AWS error, rendered in each protocol's envelope.
//!
//! Services map their own error enums to [`AwsError`] (code, message, HTTP status); the server
//! picks the renderer that matches the protocol the request came in.

use crate::xml::XmlWriter;
use std::borrow::Cow;

/// An error as AWS reports it on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    /// AWS's error code, e.g. `NoSuchEntity`.
    pub code: Cow<'static, str>,
    pub message: String,
    /// The HTTP status.
    pub status: u16,
    /// Extra response headers (e.g. tessera's encoded authorization message on `AccessDenied`).
    pub headers: Vec<(&'static str, String)>,
}

impl AwsError {
    pub fn new(
        code: impl Into<Cow<'static, str>>,
        status: u16,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            status,
            headers: Vec::new(),
        }
    }

    /// Adds a response header to the error.
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Client errors are the `Sender`'s fault in the awsQuery envelope, others the `Receiver`'s.
    pub fn fault(&self) -> &'static str {
        if self.status < 500 {
            "Sender"
        } else {
            "Receiver"
        }
    }

    /// The awsQuery envelope (IAM, STS, SQS over Query):
    /// `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
    pub fn to_query_xml(&self, xmlns: &str, request_id: &str) -> String {
        let mut w = XmlWriter::with_declaration();
        w.open_ns("ErrorResponse", xmlns);
        w.open("Error");
        w.leaf("Type", self.fault());
        w.leaf("Code", &self.code);
        w.leaf("Message", &self.message);
        w.close("Error");
        w.leaf("RequestId", request_id);
        w.close("ErrorResponse");
        w.finish()
    }

    /// The awsJson1_0 body: `{"__type": "...", "message": "..."}`. Callers also send the
    /// `x-amzn-query-error: CODE;Sender` header where the service defines a Query-compatible code.
    pub fn to_json(&self, type_prefix: &str) -> String {
        let mut out =
            String::with_capacity(32 + type_prefix.len() + self.code.len() + self.message.len());
        out.push_str("{\"__type\":\"");
        json_escape_into(&mut out, type_prefix);
        json_escape_into(&mut out, &self.code);
        out.push_str("\",\"message\":\"");
        json_escape_into(&mut out, &self.message);
        out.push_str("\"}");
        out
    }

    /// The restXml (S3) envelope: `<Error><Code/><Message/><Resource/><RequestId/></Error>`.
    pub fn to_s3_xml(&self, resource: &str, request_id: &str) -> String {
        let mut w = XmlWriter::with_declaration();
        w.open("Error");
        w.leaf("Code", &self.code);
        w.leaf("Message", &self.message);
        if !resource.is_empty() {
            w.leaf("Resource", resource);
        }
        w.leaf("RequestId", request_id);
        w.close("Error");
        w.finish()
    }
}

/// Escapes text for the inside of a JSON string literal (RFC 8259 section 7): the quote, the
/// backslash and the C0 controls. Written here rather than through a `serde_json::Value` because
/// the envelope has two fixed members and building a map per error costs more than the text.
/// Every special is ASCII, so each copied run ends on a char boundary.
fn json_escape_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut run_start = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        let short = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0x08 => Some("\\b"),
            0x0C => Some("\\f"),
            0..=0x1F => None,
            _ => continue,
        };
        out.push_str(&text[run_start..i]);
        match short {
            Some(escape) => out.push_str(escape),
            None => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xF)]));
            }
        }
        run_start = i + 1;
    }
    out.push_str(&text[run_start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_envelope_escapes_and_types() {
        let e = AwsError::new(
            "NoSuchEntity",
            404,
            "The user with name <x> cannot be found.",
        );
        let xml = e.to_query_xml("https://iam.amazonaws.com/doc/2010-05-08/", "req-1");
        assert!(xml.contains("<Type>Sender</Type><Code>NoSuchEntity</Code>"));
        assert!(xml.contains("name &lt;x&gt; cannot"));
        assert!(xml.ends_with("<RequestId>req-1</RequestId></ErrorResponse>"));
        assert_eq!(
            AwsError::new("InternalFailure", 500, "").fault(),
            "Receiver"
        );
    }

    #[test]
    fn json_envelope() {
        let e = AwsError::new("QueueDoesNotExist", 400, "no \"q\"");
        let v: serde_json::Value = serde_json::from_str(&e.to_json("com.amazonaws.sqs#")).unwrap();
        assert_eq!(v["__type"], "com.amazonaws.sqs#QueueDoesNotExist");
        assert_eq!(v["message"], "no \"q\"");
    }

    #[test]
    fn json_envelope_round_trips_any_text() {
        let messages = [
            "",
            "plain",
            "quote \" backslash \\ slash /",
            "controls \u{0}\u{1}\u{8}\u{c}\u{1f}\n\r\t end",
            "unicode é 日本 \u{1F600} \u{7F}",
        ];
        for message in messages {
            let e = AwsError::new("Code\"X", 400, message);
            let body = e.to_json("pre\\fix#");
            let v: serde_json::Value = serde_json::from_str(&body)
                .unwrap_or_else(|err| panic!("{body:?} is not JSON: {err}"));
            assert_eq!(v["__type"], "pre\\fix#Code\"X", "{body}");
            assert_eq!(v["message"], message, "{body}");
            assert_eq!(v.as_object().map(serde_json::Map::len), Some(2));
            let serde_body =
                serde_json::json!({ "__type": "pre\\fix#Code\"X", "message": message });
            assert_eq!(body, serde_body.to_string(), "same bytes as serde_json");
        }
        assert_eq!(
            AwsError::new("C", 400, "\u{1}").to_json("p#"),
            "{\"__type\":\"p#C\",\"message\":\"\\u0001\"}"
        );
    }
}
