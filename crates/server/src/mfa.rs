//! The second factor of STS calls: `SerialNumber` + `TokenCode` on `GetSessionToken` and
//! `AssumeRole`.
//!
//! The code is checked before authorization because AWS evaluates the request itself with
//! `aws:MultiFactorAuthPresent` (a trust policy may require MFA to assume a role), and a code is
//! accepted once only, so it is checked exactly once and the outcome handed on to STS.

use crate::app::App;
use crate::auth::Caller;
use tessera_core::Principal;
use tessera_protocol::{AwsError, QueryParams};

/// Whether the request proved MFA. Absent parameters: `Ok(false)`. A wrong, reused or foreign
/// code, or a caller that cannot own a device: `AccessDenied`, as AWS answers.
pub async fn verify(app: &App, caller: &Caller, params: &QueryParams) -> Result<bool, AwsError> {
    let (serial, code) = match (params.get("SerialNumber"), params.get("TokenCode")) {
        (None, None) => return Ok(false),
        (Some(s), Some(c)) => (s, c),
        (_, None) => {
            return Err(AwsError::new(
                "ValidationError",
                400,
                "1 validation error detected: Value null at 'tokenCode' failed to satisfy constraint: Member must not be null",
            ))
        }
        (None, _) => {
            return Err(AwsError::new(
                "ValidationError",
                400,
                "1 validation error detected: Value null at 'serialNumber' failed to satisfy constraint: Member must not be null",
            ))
        }
    };
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AwsError::new(
            "ValidationError",
            400,
            format!("1 validation error detected: Value '{code}' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*"),
        ));
    }
    let failed = || {
        AwsError::new(
            "AccessDenied",
            403,
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        )
    };
    // Only an IAM user (or root) owns MFA devices; a session's own MFA was proven when it began.
    let owner = match (&caller.principal, &caller.session) {
        (Principal::Root { account }, None) => account.to_string(),
        (Principal::User { user_id, .. }, None) => user_id.clone(),
        _ => return Err(failed()),
    };
    let ok = app
        .iam()
        .verify_mfa_code(caller.principal.account(), serial, &owner, code)
        .await
        .map_err(|e| crate::respond::internal_failure(format_args!("checking an MFA code: {e}")))?;
    if ok {
        Ok(true)
    } else {
        Err(failed())
    }
}
