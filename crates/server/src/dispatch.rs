//! From a read request to a response: classify, authenticate, authorize, call the service, encode.
//!
//! Every error leaves through [`error_response`], which renders it in the envelope of the protocol
//! the request came in, so a client always gets the shape its SDK parses.

use crate::app::App;
use crate::audit::AuditRecord;
use crate::auth::{authenticate_audited, Caller};
use crate::authorize::{authorize, AuthzRequest};
use crate::classify::{self, classify, Route, Service};
use crate::incoming::Incoming;
use crate::respond::{
    error_response, new_request_id, response, service_error, text_response, xml_response, Body,
};
use hyper::{Response, StatusCode};
use std::time::Instant;
use tessera_protocol::{AwsError, QueryParams};

/// Handles one request that has been read in full.
pub async fn handle(app: &App, req: Incoming) -> Response<Body> {
    let started = Instant::now();
    let request_id = new_request_id();
    let (query, form) = match req.query_params() {
        Ok(p) => p,
        Err(e) => {
            let err = AwsError::new("MalformedQueryString", 400, e.to_string());
            return error_response(classify::route_of_head(&req), &err, &request_id);
        }
    };
    // One list: the query string's parameters, then the form body's (SigV2 signs the latter,
    // which stay addressable as the tail of the list).
    let mut params = query;
    let form_start = form.as_ref().map(|_| params.pairs().len());
    if let Some(form) = form {
        if let Err(e) = params.extend(form) {
            let err = AwsError::new("MalformedQueryString", 400, e.to_string());
            return error_response(classify::route_of_head(&req), &err, &request_id);
        }
    }
    let form = form_start.map(|start| &params.pairs()[start..]);
    let route = classify(&req, &params);
    let response = match route {
        Route::Health => text_response(StatusCode::OK, "ok\n"),
        Route::Metrics => {
            let mut text = app.metrics().render();
            text.push_str("# HELP tessera_audit_dropped_total Audit records dropped because the writer fell behind.\n");
            text.push_str("# TYPE tessera_audit_dropped_total counter\n");
            text.push_str(&format!(
                "tessera_audit_dropped_total {}\n",
                app.audit().dropped()
            ));
            text_response(StatusCode::OK, &text)
        }
        Route::Query(service @ (Service::Iam | Service::Sts)) => {
            match query_service(app, &req, service, &params, form, &request_id).await {
                Ok(xml) => xml_response(StatusCode::OK, xml, &request_id),
                Err(err) => error_response(route, &err, &request_id),
            }
        }
        Route::Query(Service::Sqs) | Route::Json(Service::Sqs) => {
            let protocol = match route {
                Route::Json(_) => tessera_sqs::Protocol::Json,
                _ => tessera_sqs::Protocol::Query,
            };
            match crate::sqs::handle(app, &req, protocol, &params, form, &request_id).await {
                Ok((content_type, body)) => {
                    response(StatusCode::OK, content_type, body, &request_id)
                }
                Err(err) => error_response(route, &err, &request_id),
            }
        }
        Route::UnknownService | Route::Query(Service::S3) | Route::Json(_) => {
            let err = AwsError::new(
                "InvalidAction",
                400,
                "The credential scope names a service tessera does not serve",
            );
            error_response(Route::Query(Service::Iam), &err, &request_id)
        }
        // Only a form post without an `Action` gets here (other S3 requests stream, see
        // `classify::streams_to_s3`): S3's browser-form uploads are not served.
        Route::S3 => {
            let err = AwsError::new(
                "NotImplemented",
                501,
                "A header you provided implies functionality that is not implemented",
            );
            error_response(route, &err, &request_id)
        }
    };
    app.metrics()
        .observe(route, response.status().as_u16(), started.elapsed());
    response
}

/// An IAM or STS Query request: authenticate, authorize, call the service.
async fn query_service(
    app: &App,
    req: &Incoming,
    service: Service,
    params: &QueryParams,
    form: Option<&[(String, String)]>,
    request_id: &str,
) -> Result<String, AwsError> {
    let action = params.action().unwrap_or("").to_owned();
    if service == Service::Sts && action == "AssumeRoleWithWebIdentity" {
        // Unsigned by design: the web identity token is verified by STS itself.
        let result = app
            .sts()
            .assume_role_with_web_identity(params, request_id)
            .await
            .map_err(|e| service_error(&e, e.to_aws()));
        app.audit().record(&AuditRecord::unsigned(
            service,
            &action,
            req.remote,
            request_id,
            result.as_ref().err(),
        ));
        return result;
    }
    let caller = authenticate_audited(app, req, form, service, &action, request_id).await?;
    if action.is_empty() {
        return Err(AwsError::new(
            "MissingAction",
            400,
            "The request must contain the parameter Action",
        ));
    }
    let mfa = if service == Service::Sts {
        crate::mfa::verify(app, &caller, params).await?
    } else {
        false
    };
    let decision = authorize(
        app,
        &AuthzRequest {
            caller: &caller,
            service,
            action: &action,
            params,
            remote: req.remote,
            mfa,
            resource: None,
            resource_policy: None,
            conditions: &[],
        },
    )
    .await?;
    app.audit().record(&AuditRecord::decision(
        service, &action, req.remote, request_id, &caller, &decision,
    ));
    if !decision.allowed {
        return Err(decision.to_error());
    }
    call(app, &caller, mfa, service, params, request_id).await
}

async fn call(
    app: &App,
    caller: &Caller,
    mfa: bool,
    service: Service,
    params: &QueryParams,
    request_id: &str,
) -> Result<String, AwsError> {
    match service {
        Service::Iam => app
            .iam()
            .handle(&caller.principal, params, request_id)
            .await
            .map_err(|e| service_error(&e, e.to_aws())),
        Service::Sts => {
            let ctx = tessera_sts::CallerContext {
                principal: &caller.principal,
                session: caller.session.as_ref(),
                mfa_verified: mfa,
            };
            app.sts()
                .handle(&ctx, params, request_id)
                .await
                .map_err(|e| service_error(&e, e.to_aws()))
        }
        Service::Sqs | Service::S3 => Err(AwsError::new(
            "InvalidAction",
            400,
            "The action is not an IAM or STS action",
        )),
    }
}
