//! STS's errors and their AWS codes, HTTP statuses and messages.

use tessera_protocol::AwsError;

#[derive(Debug, thiserror::Error)]
pub enum StsError {
    #[error("Could not find operation {0} for version 2011-06-15")]
    InvalidAction(String),
    #[error("The request must contain the parameter Action")]
    MissingAction,
    /// A parameter breaks a documented constraint (AWS's "1 validation error detected: …").
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    PackedPolicyTooLarge(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    InvalidParameterValue(String),
    #[error("The encoded authorization message is invalid.")]
    InvalidAuthorizationMessage,
    #[error("{0}")]
    InvalidIdentityToken(String),
    #[error("{0}")]
    ExpiredIdentityToken(String),
    #[error("{0}")]
    IdpRejectedClaim(String),
    #[error("{0}")]
    IdpCommunicationError(String),
    #[error("{0}")]
    Internal(String),
}

impl StsError {
    pub fn to_aws(&self) -> AwsError {
        let (code, status) = match self {
            StsError::InvalidAction(_) => ("InvalidAction", 400),
            StsError::MissingAction => ("MissingAction", 400),
            StsError::Validation(_) => ("ValidationError", 400),
            StsError::MalformedPolicyDocument(_) => ("MalformedPolicyDocument", 400),
            StsError::PackedPolicyTooLarge(_) => ("PackedPolicyTooLarge", 400),
            StsError::AccessDenied(_) => ("AccessDenied", 403),
            StsError::InvalidParameterValue(_) => ("InvalidParameterValue", 400),
            StsError::InvalidAuthorizationMessage => ("InvalidAuthorizationMessageException", 400),
            StsError::InvalidIdentityToken(_) => ("InvalidIdentityToken", 400),
            StsError::ExpiredIdentityToken(_) => ("ExpiredTokenException", 400),
            StsError::IdpRejectedClaim(_) => ("IDPRejectedClaim", 403),
            StsError::IdpCommunicationError(_) => ("IDPCommunicationError", 400),
            StsError::Internal(_) => ("InternalFailure", 500),
        };
        let message = match self {
            StsError::Internal(_) => {
                "The request processing has failed because of an unknown error.".to_owned()
            }
            other => other.to_string(),
        };
        AwsError::new(code, status, message)
    }

    /// AWS's wording for a failed member constraint.
    pub fn constraint(value: &str, member: &str, constraint: &str) -> Self {
        StsError::Validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
        ))
    }
}

impl From<tessera_store::StoreError> for StsError {
    fn from(e: tessera_store::StoreError) -> Self {
        StsError::Internal(e.to_string())
    }
}

impl From<tessera_iam::IamError> for StsError {
    fn from(e: tessera_iam::IamError) -> Self {
        StsError::Internal(e.to_string())
    }
}
