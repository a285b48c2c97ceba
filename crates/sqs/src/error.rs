//! SQS's one error enum and its rendering per protocol. It owns the table of AWS codes: the
//! awsJson1_0 shape name, the awsQuery-compatible code (`x-amzn-query-error`) and the HTTP status
//! of every error; it must never decide *when* an error happens.

use tessera_protocol::AwsError;

use crate::wire::Protocol;

/// Why an SQS request failed, in AWS's terms. The `String` is AWS's message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqsError {
    #[error("The specified queue does not exist.")]
    QueueDoesNotExist,
    #[error("{0}")]
    QueueAlreadyExists(String),
    #[error("{0}")]
    QueueDeletedRecently(String),
    #[error("{0}")]
    PurgeQueueInProgress(String),
    #[error("{0}")]
    InvalidMessageContents(String),
    #[error("{0}")]
    TooManyEntriesInBatchRequest(String),
    #[error("{0}")]
    BatchEntryIdsNotDistinct(String),
    #[error("{0}")]
    BatchRequestTooLong(String),
    #[error("{0}")]
    EmptyBatchRequest(String),
    #[error("{0}")]
    InvalidBatchEntryId(String),
    #[error("{0}")]
    ReceiptHandleIsInvalid(String),
    #[error("Message does not exist or is not available for visibility timeout change.")]
    MessageNotInflight,
    #[error("{0}")]
    OverLimit(String),
    /// A FIFO queue's request quota is exhausted for now.
    #[error("{0}")]
    RequestThrottled(String),
    #[error("{0}")]
    InvalidAttributeName(String),
    #[error("{0}")]
    InvalidAttributeValue(String),
    #[error("{0}")]
    InvalidParameterValue(String),
    #[error("The request must contain the parameter {0}.")]
    MissingParameter(String),
    #[error("{0}")]
    UnsupportedOperation(String),
    #[error("{0}")]
    InvalidAddress(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("An unknown operation was requested: {0}.")]
    InvalidAction(String),
    /// The JSON body could not be read as an object.
    #[error("{0}")]
    Serialization(String),
    #[error("{0}")]
    Internal(String),
    /// The store aborted this request's transaction to break a deadlock with another node;
    /// nothing was written, so the request may run again.
    #[error("{0}")]
    Conflict(String),
}

/// awsJson1_0 errors are `com.amazonaws.sqs#<Shape>`.
pub const JSON_TYPE_PREFIX: &str = "com.amazonaws.sqs#";
/// The awsQuery XML namespace of SQS.
pub const XMLNS: &str = "http://queue.amazonaws.com/doc/2012-11-05/";

impl SqsError {
    /// (awsJson1_0 shape, awsQuery code, HTTP status).
    fn codes(&self) -> (&'static str, &'static str, u16) {
        use SqsError::*;
        match self {
            QueueDoesNotExist => (
                "QueueDoesNotExist",
                "AWS.SimpleQueueService.NonExistentQueue",
                400,
            ),
            QueueAlreadyExists(_) => ("QueueNameExists", "QueueAlreadyExists", 400),
            QueueDeletedRecently(_) => (
                "QueueDeletedRecently",
                "AWS.SimpleQueueService.QueueDeletedRecently",
                400,
            ),
            PurgeQueueInProgress(_) => (
                "PurgeQueueInProgress",
                "AWS.SimpleQueueService.PurgeQueueInProgress",
                403,
            ),
            InvalidMessageContents(_) => ("InvalidMessageContents", "InvalidMessageContents", 400),
            TooManyEntriesInBatchRequest(_) => (
                "TooManyEntriesInBatchRequest",
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                400,
            ),
            BatchEntryIdsNotDistinct(_) => (
                "BatchEntryIdsNotDistinct",
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                400,
            ),
            BatchRequestTooLong(_) => (
                "BatchRequestTooLong",
                "AWS.SimpleQueueService.BatchRequestTooLong",
                400,
            ),
            EmptyBatchRequest(_) => (
                "EmptyBatchRequest",
                "AWS.SimpleQueueService.EmptyBatchRequest",
                400,
            ),
            InvalidBatchEntryId(_) => (
                "InvalidBatchEntryId",
                "AWS.SimpleQueueService.InvalidBatchEntryId",
                400,
            ),
            ReceiptHandleIsInvalid(_) => ("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 404),
            MessageNotInflight => (
                "MessageNotInflight",
                "AWS.SimpleQueueService.MessageNotInflight",
                400,
            ),
            OverLimit(_) => ("OverLimit", "OverLimit", 403),
            RequestThrottled(_) => ("RequestThrottled", "RequestThrottled", 403),
            InvalidAttributeName(_) => ("InvalidAttributeName", "InvalidAttributeName", 400),
            InvalidAttributeValue(_) => ("InvalidAttributeValue", "InvalidAttributeValue", 400),
            InvalidParameterValue(_) => ("InvalidParameterValue", "InvalidParameterValue", 400),
            MissingParameter(_) => ("MissingParameter", "MissingParameter", 400),
            UnsupportedOperation(_) => (
                "UnsupportedOperation",
                "AWS.SimpleQueueService.UnsupportedOperation",
                400,
            ),
            InvalidAddress(_) => ("InvalidAddress", "InvalidAddress", 404),
            ResourceNotFound(_) => (
                "ResourceNotFoundException",
                "ResourceNotFoundException",
                404,
            ),
            InvalidAction(_) => ("UnknownOperationException", "InvalidAction", 400),
            Serialization(_) => ("SerializationException", "SerializationException", 400),
            Internal(_) | Conflict(_) => ("InternalError", "InternalError", 500),
        }
    }

    /// The awsQuery code (also the code inside batch `Failed` entries).
    pub fn query_code(&self) -> &'static str {
        self.codes().1
    }

    /// Whether the caller is at fault (batch entries' `SenderFault`).
    pub fn sender_fault(&self) -> bool {
        self.codes().2 < 500
    }

    /// The error as AWS puts it on the wire for `protocol`. For JSON the code is the shape name
    /// (render with [`JSON_TYPE_PREFIX`]) and the Query-compatible code travels in
    /// `x-amzn-query-error`, which the SDKs prefer.
    pub fn to_aws(&self, protocol: Protocol) -> AwsError {
        let (shape, query, status) = self.codes();
        let message = match self {
            SqsError::Internal(_) | SqsError::Conflict(_) => {
                "We encountered an internal error. Please try again.".into()
            }
            SqsError::QueueDoesNotExist if protocol == Protocol::Query => {
                "The specified queue does not exist for this wsdl version.".into()
            }
            other => other.to_string(),
        };
        match protocol {
            Protocol::Query => AwsError::new(query, status, message),
            Protocol::Json => {
                let fault = if status < 500 { "Sender" } else { "Receiver" };
                AwsError::new(shape, status, message)
                    .with_header("x-amzn-query-error", format!("{query};{fault}"))
            }
        }
    }

    /// The complete error response: status, content type, extra headers and body.
    pub fn encode(
        &self,
        protocol: Protocol,
        request_id: &str,
    ) -> (u16, &'static str, Vec<(&'static str, String)>, Vec<u8>) {
        let aws = self.to_aws(protocol);
        let (content_type, body) = match protocol {
            Protocol::Query => ("text/xml", aws.to_query_xml(XMLNS, request_id)),
            Protocol::Json => ("application/x-amz-json-1.0", aws.to_json(JSON_TYPE_PREFIX)),
        };
        (aws.status, content_type, aws.headers, body.into_bytes())
    }

    /// AWS's wording for an out-of-range or malformed parameter.
    pub fn invalid_value(value: &str, parameter: &str, reason: &str) -> Self {
        SqsError::InvalidParameterValue(format!(
            "Value {value} for parameter {parameter} is invalid. Reason: {reason}"
        ))
    }
}

impl From<tessera_store::StoreError> for SqsError {
    fn from(e: tessera_store::StoreError) -> Self {
        if let tessera_store::StoreError::Conflict(detail) = e {
            tracing::debug!("sqs transaction lost a deadlock: {detail}");
            return SqsError::Conflict(detail);
        }
        tracing::error!(error = %e, "sqs store failure");
        SqsError::Internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_per_protocol() {
        let cases = [
            (
                SqsError::QueueDoesNotExist,
                "QueueDoesNotExist",
                "AWS.SimpleQueueService.NonExistentQueue",
                400,
            ),
            (
                SqsError::QueueAlreadyExists(String::new()),
                "QueueNameExists",
                "QueueAlreadyExists",
                400,
            ),
            (
                SqsError::PurgeQueueInProgress(String::new()),
                "PurgeQueueInProgress",
                "AWS.SimpleQueueService.PurgeQueueInProgress",
                403,
            ),
            (
                SqsError::ReceiptHandleIsInvalid(String::new()),
                "ReceiptHandleIsInvalid",
                "ReceiptHandleIsInvalid",
                404,
            ),
            (
                SqsError::MessageNotInflight,
                "MessageNotInflight",
                "AWS.SimpleQueueService.MessageNotInflight",
                400,
            ),
            (
                SqsError::OverLimit(String::new()),
                "OverLimit",
                "OverLimit",
                403,
            ),
            (
                SqsError::RequestThrottled(String::new()),
                "RequestThrottled",
                "RequestThrottled",
                403,
            ),
        ];
        for (err, shape, query, status) in cases {
            let q = err.to_aws(Protocol::Query);
            assert_eq!((q.code.as_ref(), q.status), (query, status));
            let j = err.to_aws(Protocol::Json);
            assert_eq!((j.code.as_ref(), j.status), (shape, status));
            assert_eq!(
                j.headers,
                vec![("x-amzn-query-error", format!("{query};Sender"))]
            );
        }
    }

    #[test]
    fn encodes_both_envelopes() {
        let (status, ct, _, body) = SqsError::QueueDoesNotExist.encode(Protocol::Json, "r1");
        assert_eq!((status, ct), (400, "application/x-amz-json-1.0"));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["__type"], "com.amazonaws.sqs#QueueDoesNotExist");
        let (_, ct, _, body) = SqsError::QueueDoesNotExist.encode(Protocol::Query, "r1");
        assert_eq!(ct, "text/xml");
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>"));
        assert!(body.contains("for this wsdl version"));
    }
}
