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
use tessera_sigv::{ParsedAuth, SigError};
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
    /// The access key id is unknown or inactive, or a temporary one came without its token.
    UnknownAccessKey,
    /// The session token is malformed, foreign, of another key, or its parent is gone.
    InvalidToken,
    /// The session token has expired.
    ExpiredToken,
    /// The store could not be read.
    Internal(String),
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
