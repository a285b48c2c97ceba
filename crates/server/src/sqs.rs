//! The SQS route: a fully read Query (`Action=…`, form or query string, also POSTed to a queue's
//! URL) or JSON 1.0 (`X-Amz-Target: AmazonSQS.…`) request, through authentication, decoding,
//! authorization against the caller's policies and the queue's policy, and the SQS service.
//!
//! Decoding comes before authorization because the decision needs the queue: its ARN is the
//! resource, its policy may grant other accounts access. An unknown queue is authorized on its
//! ARN alone, so a caller without `sqs:` rights learns nothing about which queues exist.

use crate::app::App;
use crate::audit::AuditRecord;
use crate::auth::authenticate_audited;
use crate::authorize::{authorize, AuthzRequest, ResourcePolicy};
use crate::classify::Service;
use crate::incoming::Incoming;
use tessera_protocol::{AwsError, QueryParams};
use tessera_sqs::{Protocol, SqsCaller, Wire};

/// A successful answer: its content type and body.
pub type Answer = (&'static str, Vec<u8>);

/// Serves one SQS request; errors come back as `AwsError`s already in `protocol`'s terms.
pub async fn handle(
    app: &App,
    req: &Incoming,
    protocol: Protocol,
    params: &QueryParams,
    form: Option<&[(String, String)]>,
    request_id: &str,
) -> Result<Answer, AwsError> {
    let action = match protocol {
        Protocol::Query => params.action().unwrap_or(""),
        Protocol::Json => req
            .header("x-amz-target")
            .and_then(|t| t.strip_prefix("AmazonSQS."))
            .unwrap_or(""),
    };
    let caller = authenticate_audited(app, req, form, Service::Sqs, action, request_id).await?;
    let sqs = app.sqs();
    let account = caller.principal.account().clone();
    let wire = match protocol {
        Protocol::Query => Wire::Query(params),
        Protocol::Json => Wire::Json {
            action,
            body: &req.body,
        },
    };
    let request = sqs
        .parse(wire, &req.path, &account)
        .map_err(|e| e.to_aws(protocol))?;
    let queue_arn = match request.queue() {
        Some(q) => format!("arn:aws:sqs:{}:{}:{}", app.region(), q.account, q.name),
        // ListQueues and the like act on no particular queue.
        None => "*".to_owned(),
    };
    let policy = match request.queue() {
        Some(q) => sqs
            .queue_policy(q)
            .await
            .map_err(|e| e.to_aws(protocol))?
            .map(|doc| (doc, q.account.to_string())),
        None => None,
    };
    let iam_action = request.action().iam_action();
    let decision = authorize(
        app,
        &AuthzRequest {
            caller: &caller,
            service: Service::Sqs,
            action: iam_action.strip_prefix("sqs:").unwrap_or(iam_action),
            params,
            remote: req.remote,
            mfa: false,
            resource: Some(&queue_arn),
            resource_policy: policy.as_ref().map(|(doc, account)| ResourcePolicy {
                document: Some(doc),
                account,
                owner_arn: &queue_arn,
            }),
            conditions: &[],
        },
    )
    .await?;
    app.audit().record(&AuditRecord::decision(
        Service::Sqs,
        request.action().name(),
        req.remote,
        request_id,
        &caller,
        &decision,
    ));
    if !decision.allowed {
        return Err(decision.to_error());
    }
    let sqs_caller = SqsCaller {
        account,
        sender_id: caller.principal.user_id(),
        base_url: format!("http://{}", req.header("host").unwrap_or("localhost")),
    };
    let response = sqs.call(&sqs_caller, request).await.map_err(|e| {
        let aws = e.to_aws(protocol);
        if aws.status >= 500 {
            tracing::error!("sqs failure: {e}");
        }
        aws
    })?;
    Ok(response.encode(request_id))
}
