//! The S3 service's one error type and its mapping to AWS's codes, statuses and messages.
//!
//! Every client-visible failure is built by a constructor here, so a code, its status and its
//! wording live in one place. Internal failures (store, blob, corrupt records) keep their detail in
//! logs and reach the client as `InternalError`. This module must never know about HTTP types.

use tessera_blob::BlobError;
use tessera_protocol::AwsError;
use tessera_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// An error S3 defines, with its code, status and message.
    #[error("{code}: {message}")]
    Api {
        code: &'static str,
        status: u16,
        message: String,
        headers: Vec<(&'static str, String)>,
    },
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("blob: {0}")]
    Blob(#[from] BlobError),
    /// A stored record could not be decoded.
    #[error("corrupt S3 record: {0}")]
    Corrupt(String),
}

impl S3Error {
    /// The AWS error as the client must see it (rendered with `AwsError::to_s3_xml`).
    pub fn to_aws(&self) -> AwsError {
        match self {
            S3Error::Api {
                code,
                status,
                message,
                headers,
            } => {
                let mut e = AwsError::new(*code, *status, message.clone());
                e.headers.clone_from(headers);
                e
            }
            S3Error::Store(_) | S3Error::Blob(_) | S3Error::Corrupt(_) => AwsError::new(
                "InternalError",
                500,
                "We encountered an internal error. Please try again.",
            ),
        }
    }

    /// AWS's error code (e.g. for DeleteObjects' per-key `<Error>` entries and tests).
    pub fn code(&self) -> &'static str {
        match self {
            S3Error::Api { code, .. } => code,
            _ => "InternalError",
        }
    }

    pub(crate) fn api(code: &'static str, status: u16, message: impl Into<String>) -> Self {
        S3Error::Api {
            code,
            status,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Self {
        if let S3Error::Api { headers, .. } = &mut self {
            headers.push((name, value));
        }
        self
    }

    pub(crate) fn no_such_bucket() -> Self {
        Self::api("NoSuchBucket", 404, "The specified bucket does not exist")
    }
    pub(crate) fn is_no_such_bucket(&self) -> bool {
        matches!(
            self,
            S3Error::Api {
                code: "NoSuchBucket",
                ..
            }
        )
    }
    pub(crate) fn no_such_key() -> Self {
        Self::api("NoSuchKey", 404, "The specified key does not exist.")
    }
    pub(crate) fn no_such_upload() -> Self {
        Self::api(
            "NoSuchUpload",
            404,
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        )
    }
    pub(crate) fn invalid_bucket_name() -> Self {
        Self::api(
            "InvalidBucketName",
            400,
            "The specified bucket is not valid.",
        )
    }
    pub(crate) fn key_too_long() -> Self {
        Self::api("KeyTooLongError", 400, "Your key is too long")
    }
    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Self::api("InvalidArgument", 400, message)
    }
    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Self::api("InvalidRequest", 400, message)
    }
    pub(crate) fn malformed_xml() -> Self {
        Self::api(
            "MalformedXML",
            400,
            "The XML you provided was not well-formed or did not validate against our published schema",
        )
    }
    pub(crate) fn bad_digest(message: impl Into<String>) -> Self {
        Self::api("BadDigest", 400, message)
    }
    pub(crate) fn precondition_failed() -> Self {
        Self::api(
            "PreconditionFailed",
            412,
            "At least one of the pre-conditions you specified did not hold",
        )
    }
    pub(crate) fn entity_too_large() -> Self {
        Self::api(
            "EntityTooLarge",
            400,
            "Your proposed upload exceeds the maximum allowed size",
        )
    }
    pub(crate) fn method_not_allowed() -> Self {
        Self::api(
            "MethodNotAllowed",
            405,
            "The specified method is not allowed against this resource.",
        )
    }
    pub(crate) fn not_implemented() -> Self {
        Self::api(
            "NotImplemented",
            501,
            "A header or query you provided implies functionality that is not implemented.",
        )
    }
    pub(crate) fn access_denied() -> Self {
        Self::api("AccessDenied", 403, "Access Denied")
    }
}
