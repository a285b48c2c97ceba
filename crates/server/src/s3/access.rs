//! Who an S3 request comes from and whether it may do what it asks.
//!
//! A request without any signature is anonymous and only a bucket policy can let it in. A signed
//! one is authenticated as for every service (S3's own error codes) and then authorized like any
//! other request, with the bucket's policy as the resource policy and the bucket owner's account
//! deciding whether the request is cross-account.

use crate::app::App;
use crate::audit::AuditRecord;
use crate::auth::{authenticate_signed, AuthError, Caller};
use crate::authorize::{authorize, authorize_anonymous, AuthzRequest, ResourcePolicy};
use crate::classify::Service;
use crate::incoming::Incoming;
use tessera_protocol::{AwsError, QueryParams};
use tessera_s3::{S3Caller, S3Request};
use tessera_sigv::chunked::ChunkSigning;
use tessera_sigv::ParsedAuth;

/// The authenticated caller, in the forms the later steps need.
pub struct Verified {
    /// `None` for an anonymous request.
    pub caller: Option<Caller>,
    /// The signature's form (for `s3:signatureversion` and which body checks apply).
    pub signature: Option<ParsedAuth>,
    /// The seed of an `aws-chunked` body's chunk signatures (SigV4 header signatures only).
    pub chunk_signing: Option<ChunkSigning>,
    /// The caller as the S3 service sees it (owner ids for new buckets and objects).
    pub s3_caller: S3Caller,
}

pub async fn authenticate(
    app: &App,
    head: &Incoming,
    request: &S3Request,
    request_id: &str,
) -> Result<Verified, AwsError> {
    // S3's payload hash comes from the request itself (see `tessera_sigv::verify`); the body is
    // checked against it while it streams.
    match authenticate_signed(app, head, None, Service::S3, "").await {
        Ok((caller, signature, verified)) => {
            let account = caller.principal.account();
            let (canonical_id, display_name) = app.canonical_identity(account).await?;
            let s3_caller = S3Caller {
                account: account.clone(),
                principal_arn: caller.principal.arn(),
                canonical_id,
                display_name,
                anonymous: false,
            };
            Ok(Verified {
                caller: Some(caller),
                signature: Some(signature),
                chunk_signing: verified.chunk_signing().cloned(),
                s3_caller,
            })
        }
        Err(AuthError::Missing) => Ok(Verified {
            caller: None,
            signature: None,
            chunk_signing: None,
            s3_caller: S3Caller {
                account: app.default_account().clone(),
                principal_arn: String::new(),
                canonical_id: "65a011a29cdf8ec533ec3d1ccaae921c".to_owned(),
                display_name: "anonymous".to_owned(),
                anonymous: true,
            },
        }),
        Err(e) => {
            let err = e.to_s3_aws();
            app.audit().record(&AuditRecord::auth_failure(
                Service::S3,
                request.operation().name(),
                head.remote,
                request_id,
                &err,
            ));
            Err(err)
        }
    }
}

/// One request's fixed inputs to its authorization checks (the operation itself, a copy's
/// source, each key of a DeleteObjects).
pub struct Check<'a> {
    app: &'a App,
    head: &'a Incoming,
    verified: &'a Verified,
    request_id: &'a str,
    event: &'a str,
    conditions: Vec<(&'static str, String)>,
}

/// A bucket's owner and policy, read once however many checks name the bucket.
struct BucketContext {
    arn: String,
    owner: Option<String>,
    policy: Option<String>,
}

impl BucketContext {
    async fn read(app: &App, bucket: Option<&str>) -> Result<Self, AwsError> {
        let info = match bucket {
            Some(name) => app.s3().bucket_policy(name).await.map_err(|e| e.to_aws())?,
            None => None,
        };
        Ok(BucketContext {
            arn: bucket
                .map(|b| format!("arn:aws:s3:::{b}"))
                .unwrap_or_default(),
            owner: info.as_ref().map(|b| b.owner.to_string()),
            policy: info.and_then(|b| b.policy),
        })
    }

    /// The owner and policy as the authorizer takes them; `None` when there is no such bucket.
    fn resource_policy(&self) -> Option<ResourcePolicy<'_>> {
        self.owner.as_deref().map(|owner| ResourcePolicy {
            document: self.policy.as_deref(),
            account: owner,
            owner_arn: &self.arn,
        })
    }
}

fn access_denied() -> AwsError {
    // S3 says only "Access Denied"; the decision's reason is in the audit log.
    AwsError::new("AccessDenied", 403, "Access Denied")
}

impl<'a> Check<'a> {
    pub fn new(
        app: &'a App,
        head: &'a Incoming,
        verified: &'a Verified,
        request: &'a S3Request,
        request_id: &'a str,
    ) -> Self {
        Check {
            app,
            head,
            verified,
            request_id,
            event: request.operation().name(),
            conditions: conditions(head, verified),
        }
    }

    /// Allows the request or returns S3's `AccessDenied`. A copy also needs `s3:GetObject` on
    /// its source (with the source bucket's policy).
    pub async fn request(&self, request: &S3Request) -> Result<(), AwsError> {
        let bucket = BucketContext::read(self.app, request.bucket()).await?;
        if !self
            .allows(request.iam_action(), &request.resource_arn(), &bucket)
            .await?
        {
            return Err(access_denied());
        }
        if let Some((source_bucket, key)) = request.copy_source() {
            let source = format!("arn:aws:s3:::{source_bucket}/{key}");
            let source_bucket = BucketContext::read(self.app, Some(&source_bucket)).await?;
            if !self.allows("s3:GetObject", &source, &source_bucket).await? {
                return Err(access_denied());
            }
        }
        Ok(())
    }

    /// DeleteObjects is authorized per key, as S3 does: returns the keys the caller may not
    /// delete.
    pub async fn denied_keys(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> Result<Vec<String>, AwsError> {
        let context = BucketContext::read(self.app, Some(bucket)).await?;
        let mut denied = Vec::new();
        for key in keys {
            let arn = format!("arn:aws:s3:::{bucket}/{key}");
            if !self.allows("s3:DeleteObject", &arn, &context).await? {
                denied.push(key.clone());
            }
        }
        Ok(denied)
    }

    /// Whether `iam_action` on `resource` is allowed, with the bucket's policy as the resource
    /// policy and its owner deciding whether the request is cross-account; audited.
    async fn allows(
        &self,
        iam_action: &str,
        resource: &str,
        bucket: &BucketContext,
    ) -> Result<bool, AwsError> {
        let app = self.app;
        let policy = bucket.resource_policy();
        let decision = match &self.verified.caller {
            None => {
                let decision = authorize_anonymous(
                    app,
                    iam_action,
                    resource,
                    policy,
                    self.head.remote,
                    &self.conditions,
                );
                app.audit().record(&AuditRecord::anonymous(
                    Service::S3,
                    self.event,
                    self.head.remote,
                    self.request_id,
                    &decision,
                ));
                decision
            }
            Some(caller) => {
                let params = QueryParams::default();
                let decision = authorize(
                    app,
                    &AuthzRequest {
                        caller,
                        service: Service::S3,
                        action: iam_action.strip_prefix("s3:").unwrap_or(iam_action),
                        params: &params,
                        remote: self.head.remote,
                        mfa: false,
                        resource: Some(resource),
                        resource_policy: policy,
                        conditions: &self.conditions,
                    },
                )
                .await?;
                app.audit().record(&AuditRecord::decision(
                    Service::S3,
                    self.event,
                    self.head.remote,
                    self.request_id,
                    caller,
                    &decision,
                ));
                decision
            }
        };
        Ok(decision.allowed)
    }
}

/// S3's condition keys that come from the request itself.
fn conditions(head: &Incoming, verified: &Verified) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Ok(params) = QueryParams::parse(head.query.as_bytes()) {
        for (param, key) in [
            ("prefix", "s3:prefix"),
            ("delimiter", "s3:delimiter"),
            ("max-keys", "s3:max-keys"),
        ] {
            if let Some(v) = params.get(param) {
                out.push((key, v.to_owned()));
            }
        }
    }
    if let Some(sig) = &verified.signature {
        let (version, auth_type) = match sig.scheme {
            tessera_sigv::Scheme::V4Header => ("AWS4-HMAC-SHA256", "REST-HEADER"),
            tessera_sigv::Scheme::V4Presigned => ("AWS4-HMAC-SHA256", "REST-QUERY-STRING"),
            tessera_sigv::Scheme::V2S3Presigned => ("AWS", "REST-QUERY-STRING"),
            _ => ("AWS", "REST-HEADER"),
        };
        out.push(("s3:signatureversion", version.to_owned()));
        out.push(("s3:authType", auth_type.to_owned()));
    }
    if let Some(v) = head.header("x-amz-content-sha256") {
        out.push(("s3:x-amz-content-sha256", v.to_owned()));
    }
    out
}
