//! Authentication: from a signed request to the principal who signed it.
//!
//! The signature grammar and cryptography live in `tessera-sigv` (pure); this module supplies what
//! it cannot know: the secret behind an access key id. Long-term keys (`AKIA…`) come from IAM's
//! cached key table; temporary keys (`ASIA…`) must arrive with their session token, which holds the
//! secret sealed inside it.

use crate::app::App;
use crate::audit::AuditRecord;
use crate::classify::Service;
use crate::incoming::Incoming;
use sha2::{Digest, Sha256};
use tessera_core::Principal;
use tessera_protocol::AwsError;
use tessera_sigv::{ParsedAuth, Scheme, SigError};
use tessera_token::SessionClaims;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub access_key_id: String,
    /// The session's claims when the request is signed with temporary credentials.
    pub session: Option<SessionClaims>,
}

/// Why authentication failed, in AWS's terms.
#[derive(Debug)]
pub enum AuthError {
    /// No signature at all.
    Missing,
    /// The signature could not be parsed, is stale, or does not match.
    Signature(SigError),
    /// The SigV4 credential scope names another region or service than the one answering.
    WrongScope(ScopeMismatch),
    /// The access key id is unknown or inactive, or a temporary one came without its token.
    UnknownAccessKey,
    /// The session token is malformed, foreign, of another key, or its parent is gone.
    InvalidToken,
    /// The session token has expired.
    ExpiredToken,
    /// The store could not be read.
    Internal(String),
}

/// A SigV4 credential scope that does not name this server's region or the service that received
/// the request. AWS refuses such a request before it looks at the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeMismatch {
    pub part: ScopePart,
    /// What the scope says.
    pub given: String,
    /// What it should say.
    pub expected: String,
    /// Whether the scope came in a presigned URL (S3 then blames the query parameter).
    pub presigned: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopePart {
    Region,
    Service,
}

/// The region AWS's global endpoints (IAM, and STS's `sts.amazonaws.com`) sign for; accepted by
/// IAM and STS whatever region tessera answers as.
const GLOBAL_REGION: &str = "us-east-1";

impl ScopeMismatch {
    /// Checks `parsed`'s scope (SigV4 only; SigV2 has none) against the service that received it
    /// and the server's region.
    pub fn check(parsed: &ParsedAuth, service: Service, region: &str) -> Result<(), Self> {
        let presigned = parsed.scheme == Scheme::V4Presigned;
        if let Some(given) = parsed.service.as_deref() {
            if given != service.name() {
                return Err(Self {
                    part: ScopePart::Service,
                    given: given.to_owned(),
                    expected: service.name().to_owned(),
                    presigned,
                });
            }
        }
        if let Some(given) = parsed.region.as_deref() {
            let global = matches!(service, Service::Iam | Service::Sts) && given == GLOBAL_REGION;
            if given != region && !global {
                return Err(Self {
                    part: ScopePart::Region,
                    given: given.to_owned(),
                    expected: region.to_owned(),
                    presigned,
                });
            }
        }
        Ok(())
    }

    /// As IAM, STS and SQS word it.
    fn to_aws(&self) -> AwsError {
        let message = match self.part {
            ScopePart::Region => format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                self.given
            ),
            ScopePart::Service => format!(
                "Credential should be scoped to correct service: '{}'. ",
                self.expected
            ),
        };
        AwsError::new("SignatureDoesNotMatch", 403, message)
    }

    /// As S3 words it: a malformed header, or a malformed `X-Amz-Credential` parameter.
    fn to_s3_aws(&self) -> AwsError {
        let what = match self.part {
            ScopePart::Region => "region",
            ScopePart::Service => "service",
        };
        let problem = format!(
            "the {what} '{}' is wrong; expecting '{}'",
            self.given, self.expected
        );
        let err = if self.presigned {
            AwsError::new(
                "AuthorizationQueryParametersError",
                400,
                format!("Error parsing the X-Amz-Credential parameter; {problem}"),
            )
        } else {
            AwsError::new(
                "AuthorizationHeaderMalformed",
                400,
                format!("The authorization header is malformed; {problem}"),
            )
        };
        match self.part {
            ScopePart::Region => err.with_header("x-amz-bucket-region", self.expected.clone()),
            ScopePart::Service => err,
        }
    }
}

impl AuthError {
    /// The error as a Query/JSON-protocol service (IAM, STS, SQS) reports it.
    pub fn to_aws(&self) -> AwsError {
        match self {
            AuthError::Missing => AwsError::new(
                "MissingAuthenticationToken",
                403,
                "Request is missing Authentication Token",
            ),
            AuthError::Signature(e) => signature_error(e),
            AuthError::WrongScope(m) => m.to_aws(),
            AuthError::UnknownAccessKey | AuthError::InvalidToken => AwsError::new(
                "InvalidClientTokenId",
                403,
                "The security token included in the request is invalid.",
            ),
            AuthError::ExpiredToken => AwsError::new(
                "ExpiredToken",
                400,
                "The security token included in the request is expired",
            ),
            AuthError::Internal(detail) => {
                crate::respond::internal_failure(format_args!("authenticating: {detail}"))
            }
        }
    }
}

impl AuthError {
    /// The error as S3 reports it: S3 has its own codes for unknown keys, bad tokens and stale
    /// signatures.
    pub fn to_s3_aws(&self) -> AwsError {
        match self {
            AuthError::Missing => AwsError::new("AccessDenied", 403, "Access Denied"),
            AuthError::UnknownAccessKey => AwsError::new(
                "InvalidAccessKeyId",
                403,
                "The AWS Access Key Id you provided does not exist in our records.",
            ),
            AuthError::InvalidToken => AwsError::new(
                "InvalidToken",
                400,
                "The provided token is malformed or otherwise invalid.",
            ),
            AuthError::ExpiredToken => {
                AwsError::new("ExpiredToken", 400, "The provided token has expired.")
            }
            AuthError::Signature(e) => match e {
                SigError::RequestTimeTooSkewed => AwsError::new(
                    "RequestTimeTooSkewed",
                    403,
                    "The difference between the request time and the current time is too large.",
                ),
                SigError::Expired => AwsError::new("AccessDenied", 403, "Request has expired"),
                SigError::SignatureDoesNotMatch => {
                    AwsError::new("SignatureDoesNotMatch", 403, e.message())
                }
                SigError::MissingContentSha256 => AwsError::new("InvalidRequest", 400, e.message()),
                other => AwsError::new("AuthorizationHeaderMalformed", 400, other.message()),
            },
            AuthError::WrongScope(m) => m.to_s3_aws(),
            AuthError::Internal(_) => self.to_aws(),
        }
    }
}

fn signature_error(e: &SigError) -> AwsError {
    match e {
        // Query services report a stale signature as RequestExpired (S3 says RequestTimeTooSkewed).
        SigError::RequestTimeTooSkewed => AwsError::new(
            "RequestExpired",
            400,
            "Request has expired: the signing time is more than 15 minutes from the server time.",
        ),
        SigError::Expired => AwsError::new("RequestExpired", 400, "Request has expired."),
        SigError::SignatureDoesNotMatch | SigError::CredentialDateMismatch => {
            AwsError::new("SignatureDoesNotMatch", 403, e.message())
        }
        other => AwsError::new(other.aws_code(), 400, other.message()),
    }
}

/// Authenticates a Query- or JSON-protocol request whose body is already read.
pub async fn authenticate(
    app: &App,
    req: &Incoming,
    form: Option<&[(String, String)]>,
    service: Service,
) -> Result<Caller, AuthError> {
    let payload_hash = hex::encode(Sha256::digest(&req.body));
    authenticate_signed(app, req, form, service, &payload_hash)
        .await
        .map(|(caller, _, _)| caller)
}

/// [`authenticate`], with a failure recorded in the audit log and returned in AWS's terms.
pub async fn authenticate_audited(
    app: &App,
    req: &Incoming,
    form: Option<&[(String, String)]>,
    service: Service,
    action: &str,
    request_id: &str,
) -> Result<Caller, AwsError> {
    authenticate(app, req, form, service).await.map_err(|e| {
        let err = e.to_aws();
        app.audit().record(&AuditRecord::auth_failure(
            service, action, req.remote, request_id, &err,
        ));
        err
    })
}

/// Authenticates a request against `payload_hash` (the body's SHA-256 for Query and JSON; S3
/// takes its payload hash from the request and checks the streamed body itself). Returns the
/// parsed and verified signature too, which S3 needs to verify `aws-chunked` bodies.
pub async fn authenticate_signed(
    app: &App,
    req: &Incoming,
    form: Option<&[(String, String)]>,
    service: Service,
    payload_hash: &str,
) -> Result<(Caller, ParsedAuth, tessera_sigv::Verified), AuthError> {
    let headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sig_req = tessera_sigv::Request {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &headers,
        form_params: form,
    };
    let parsed = tessera_sigv::parse(&sig_req)
        .map_err(AuthError::Signature)?
        .ok_or(AuthError::Missing)?;
    ScopeMismatch::check(&parsed, service, app.region()).map_err(AuthError::WrongScope)?;
    let s3_dialect = matches!(
        parsed.scheme,
        tessera_sigv::Scheme::V2S3Header | tessera_sigv::Scheme::V2S3Presigned
    );
    if s3_dialect && service != Service::S3 {
        return Err(AuthError::Signature(SigError::UnsupportedAlgorithm(
            "AWS".into(),
        )));
    }
    let (secret, principal, session) = credentials(app, &parsed).await?;
    let verified = tessera_sigv::verify(
        &sig_req,
        &parsed,
        &secret,
        payload_hash,
        app.clock().now(),
        app.signing_keys(),
    )
    .map_err(AuthError::Signature)?;
    if session.is_none() {
        app.iam()
            .record_key_use(&parsed.access_key_id, service.name(), app.region())
            .await;
    }
    let caller = Caller {
        principal,
        access_key_id: parsed.access_key_id.clone(),
        session,
    };
    Ok((caller, parsed, verified))
}

/// The secret, principal and (for temporary credentials) session behind the request's key.
async fn credentials(
    app: &App,
    parsed: &ParsedAuth,
) -> Result<(String, Principal, Option<SessionClaims>), AuthError> {
    if parsed.access_key_id.starts_with("ASIA") {
        return session_credentials(app, parsed).await;
    }
    if parsed.security_token.is_some() {
        // A long-term key never comes with a session token; AWS rejects the pair.
        return Err(AuthError::InvalidToken);
    }
    let record = app
        .iam()
        .access_key(&parsed.access_key_id)
        .await
        .map_err(|e| AuthError::Internal(e.to_string()))?
        .ok_or(AuthError::UnknownAccessKey)?;
    if !record.active {
        return Err(AuthError::UnknownAccessKey);
    }
    Ok((record.secret_access_key, record.principal, None))
}

/// Temporary credentials: the token must unseal with our key ring, name the request's access key
/// id, not be expired, and its parent identity must still exist (deleting a user or role ends
/// its sessions).
async fn session_credentials(
    app: &App,
    parsed: &ParsedAuth,
) -> Result<(String, Principal, Option<SessionClaims>), AuthError> {
    let token = parsed
        .security_token
        .as_deref()
        .ok_or(AuthError::UnknownAccessKey)?;
    let claims = app
        .sts()
        .unseal_fresh(token)
        .await
        .map_err(|_| AuthError::InvalidToken)?;
    if claims.access_key_id != parsed.access_key_id {
        return Err(AuthError::InvalidToken);
    }
    if claims.is_expired(app.clock().now_unix()) {
        return Err(AuthError::ExpiredToken);
    }
    let principal = tessera_sts::principal_of(&claims).ok_or(AuthError::InvalidToken)?;
    // A store failure here was logged with its detail where it happened.
    if !parent_exists(app, &claims)
        .await
        .map_err(|e| AuthError::Internal(e.message))?
    {
        return Err(AuthError::InvalidToken);
    }
    Ok((claims.secret_access_key.clone(), principal, Some(claims)))
}

/// Whether the user or role that issued a session still exists (root always does).
async fn parent_exists(app: &App, claims: &SessionClaims) -> Result<bool, AwsError> {
    let Ok(arn) = tessera_core::Arn::parse(&claims.parent_arn) else {
        return Ok(false);
    };
    let Ok(account) = tessera_core::AccountId::parse(&arn.account) else {
        return Ok(false);
    };
    let name = arn.resource.rsplit('/').next().unwrap_or("");
    if arn.resource == "root" {
        Ok(true)
    } else if arn.resource.starts_with("user/") {
        Ok(crate::authorize::user(app, &account, name)
            .await?
            .is_some_and(|u| u.id == claims.parent_id))
    } else if arn.resource.starts_with("role/") {
        Ok(crate::authorize::role(app, &account, name)
            .await?
            .is_some_and(|r| r.id == claims.parent_id))
    } else {
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    fn parsed(scope: &str, presigned: bool) -> ParsedAuth {
        let header = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/{scope}/aws4_request, SignedHeaders=host;x-amz-date, Signature={SIG}"
        );
        let query = format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2F{}%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature={SIG}",
            scope.replace('/', "%2F")
        );
        let mut headers = vec![("host", "localhost"), ("x-amz-date", "20260101T000000Z")];
        if !presigned {
            headers.push(("authorization", &header));
        }
        let request = tessera_sigv::Request {
            method: "GET",
            path: "/",
            query: if presigned { &query } else { "" },
            headers: &headers,
            form_params: None,
        };
        tessera_sigv::parse(&request).unwrap().unwrap()
    }

    #[test]
    fn scopes_must_name_the_region_and_the_service() {
        use ScopePart::{Region, Service as Svc};
        let cases = [
            ("us-east-1/sts", Service::Sts, "eu-west-1", false, None),
            ("eu-west-1/sts", Service::Sts, "eu-west-1", false, None),
            ("us-east-1/iam", Service::Iam, "eu-west-1", false, None),
            ("eu-west-1/sqs", Service::Sqs, "eu-west-1", false, None),
            (
                "us-west-2/sts",
                Service::Sts,
                "us-east-1",
                false,
                Some(Region),
            ),
            (
                "us-east-1/sqs",
                Service::Sqs,
                "eu-west-1",
                false,
                Some(Region),
            ),
            ("us-west-2/s3", Service::S3, "us-east-1", true, Some(Region)),
            ("us-east-1/iam", Service::Sts, "us-east-1", false, Some(Svc)),
            ("us-east-1/sts", Service::Sqs, "us-east-1", true, Some(Svc)),
        ];
        for (scope, service, region, presigned, expected) in cases {
            let got = ScopeMismatch::check(&parsed(scope, presigned), service, region);
            assert_eq!(
                got.as_ref().err().map(|m| m.part),
                expected,
                "{scope} at {service:?}/{region}"
            );
            if let Err(m) = got {
                assert_eq!(m.presigned, presigned);
                let s3 = m.to_s3_aws();
                let expected_code = if presigned {
                    "AuthorizationQueryParametersError"
                } else {
                    "AuthorizationHeaderMalformed"
                };
                assert_eq!((s3.code.as_ref(), s3.status), (expected_code, 400));
                assert_eq!(m.to_aws().code, "SignatureDoesNotMatch");
            }
        }
    }
}
