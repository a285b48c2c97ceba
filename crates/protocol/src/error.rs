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
        serde_json::json!({
            "__type": format!("{type_prefix}{}", self.code),
            "message": self.message,
        })
        .to_string()
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
}
