//! The IAM service's one error type and its mapping to AWS's codes, statuses and messages.
//!
//! Every variant carries the message exactly as AWS words it, built by the constructors below, so
//! the service code never spells a message twice. This module must never know about HTTP.

use tessera_protocol::AwsError;
use tessera_store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamError {
    #[error("NoSuchEntity: {0}")]
    NoSuchEntity(String),
    #[error("EntityAlreadyExists: {0}")]
    EntityAlreadyExists(String),
    #[error("DeleteConflict: {0}")]
    DeleteConflict(String),
    #[error("LimitExceeded: {0}")]
    LimitExceeded(String),
    #[error("MalformedPolicyDocument: {0}")]
    MalformedPolicyDocument(String),
    #[error("InvalidInput: {0}")]
    InvalidInput(String),
    /// An MFA code that does not match the device (or was already used).
    #[error("InvalidAuthenticationCode: {0}")]
    InvalidAuthenticationCode(String),
    /// A parameter failed the model's constraints (length, pattern, range, required).
    #[error("ValidationError: {0}")]
    Validation(String),
    /// The `Action` parameter names no IAM operation.
    #[error("InvalidAction: {0}")]
    InvalidAction(String),
    /// The store failed; the client sees `ServiceFailure`.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A bootstrap declaration was refused; `item` says which one.
    #[error("bootstrap {item}: {source}")]
    Bootstrap { item: String, source: Box<IamError> },
    /// A stored record could not be decoded or a sealed secret could not be opened.
    #[error("corrupt IAM record: {0}")]
    Corrupt(String),
}

impl IamError {
    /// The AWS error as the client must see it. Internal failures keep their detail in logs only.
    pub fn to_aws(&self) -> AwsError {
        let (code, status, message) = match self {
            IamError::NoSuchEntity(m) => ("NoSuchEntity", 404, m.as_str()),
            IamError::EntityAlreadyExists(m) => ("EntityAlreadyExists", 409, m.as_str()),
            IamError::DeleteConflict(m) => ("DeleteConflict", 409, m.as_str()),
            IamError::LimitExceeded(m) => ("LimitExceeded", 409, m.as_str()),
            IamError::MalformedPolicyDocument(m) => ("MalformedPolicyDocument", 400, m.as_str()),
            IamError::InvalidInput(m) => ("InvalidInput", 400, m.as_str()),
            IamError::InvalidAuthenticationCode(m) => {
                ("InvalidAuthenticationCode", 403, m.as_str())
            }
            IamError::Validation(m) => ("ValidationError", 400, m.as_str()),
            IamError::InvalidAction(m) => ("InvalidAction", 400, m.as_str()),
            IamError::Store(_) | IamError::Corrupt(_) | IamError::Bootstrap { .. } => (
                "ServiceFailure",
                500,
                "The request processing has failed because of an unknown error, exception or failure.",
            ),
        };
        AwsError::new(code, status, message)
    }

    pub(crate) fn no_such(kind: &str, name: &str) -> Self {
        IamError::NoSuchEntity(format!("The {kind} with name {name} cannot be found."))
    }

    pub(crate) fn already_exists(kind: &str, name: &str) -> Self {
        IamError::EntityAlreadyExists(format!("{kind} with name {name} already exists."))
    }

    pub(crate) fn no_such_policy(arn: &str) -> Self {
        IamError::NoSuchEntity(format!("Policy {arn} was not found."))
    }

    /// What Attach… and Put…PermissionsBoundary say about a policy that does not exist.
    pub(crate) fn not_attachable(arn: &str) -> Self {
        IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
    }

    pub(crate) fn no_such_key(id: &str) -> Self {
        IamError::NoSuchEntity(format!("The Access Key with id {id} cannot be found."))
    }

    pub(crate) fn invalid_code() -> Self {
        IamError::InvalidAuthenticationCode(
            "Authentication code for device is not valid.".to_owned(),
        )
    }

    pub(crate) fn no_such_mfa(serial: &str) -> Self {
        IamError::NoSuchEntity(format!(
            "MFA Device with serial number {serial} does not exist."
        ))
    }

    pub(crate) fn no_such_oidc(arn: &str) -> Self {
        IamError::NoSuchEntity(format!("OpenIDConnect Provider not found for arn {arn}"))
    }

    pub(crate) fn conflict(what: &str) -> Self {
        IamError::DeleteConflict(format!("Cannot delete entity, must {what} first."))
    }

    /// AWS's "1 validation error detected" wording for one failed constraint.
    pub(crate) fn validation(value: Option<&str>, field: &str, constraint: &str) -> Self {
        let value = match value {
            Some(v) => format!("'{v}'"),
            None => "null".to_owned(),
        };
        IamError::Validation(format!(
            "1 validation error detected: Value {value} at '{field}' failed to satisfy constraint: {constraint}"
        ))
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        IamError::Corrupt(what.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_the_model() {
        let cases = [
            (IamError::no_such("user", "bob"), "NoSuchEntity", 404),
            (
                IamError::already_exists("User", "bob"),
                "EntityAlreadyExists",
                409,
            ),
            (
                IamError::conflict("delete access keys"),
                "DeleteConflict",
                409,
            ),
            (IamError::LimitExceeded(String::new()), "LimitExceeded", 409),
            (
                IamError::MalformedPolicyDocument(String::new()),
                "MalformedPolicyDocument",
                400,
            ),
            (IamError::InvalidInput(String::new()), "InvalidInput", 400),
            (IamError::invalid_code(), "InvalidAuthenticationCode", 403),
            (
                IamError::validation(None, "userName", "x"),
                "ValidationError",
                400,
            ),
            (IamError::InvalidAction(String::new()), "InvalidAction", 400),
            (IamError::Store(StoreError::Closed), "ServiceFailure", 500),
        ];
        for (err, code, status) in cases {
            let aws = err.to_aws();
            assert_eq!((aws.code.as_ref(), aws.status), (code, status), "{err}");
        }
        assert_eq!(
            IamError::no_such("user", "bob").to_aws().message,
            "The user with name bob cannot be found."
        );
    }
}
