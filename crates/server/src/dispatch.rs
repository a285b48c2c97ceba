//! From a read request to a response: classify, authenticate, authorize, call the service, encode.
//!
//! Every error leaves through [`error_response`], which renders it in the envelope of the protocol
//! the request came in, so a client always gets the shape its SDK parses.

use crate::app::App;
use crate::audit::AuditRecord;
use crate::auth::{authenticate, Caller};
use crate::authorize::{authorize, AuthzRequest};
use crate::classify::{classify, Route, Service};
use crate::incoming::Incoming;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use std::time::Instant;
use tessera_protocol::{AwsError, QueryParams};

pub type Body = Full<Bytes>;

/// Handles one request that has been read in full.
pub async fn handle(app: &App, req: Incoming) -> Response<Body> {
    let started = Instant::now();
    let request_id = new_request_id();
    let (query, form) = match req.query_params() {
        Ok(p) => p,
        Err(e) => {
            let err = AwsError::new("MalformedQueryString", 400, e.to_string());
            return error_response(Route::Query(Service::Iam), &err, &request_id);
        }
    };
    // One list: the query string's parameters, then the form body's (SigV2 signs the latter,
    // which stay addressable as the tail of the list).
    let mut params = query;
    let form_start = form.as_ref().map(|_| params.pairs().len());
    if let Some(form) = form {
        if let Err(e) = params.extend(form) {
            let err = AwsError::new("MalformedQueryString", 400, e.to_string());
            return error_response(Route::Query(Service::Iam), &err, &request_id);
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
        Route::Query(Service::Sqs) | Route::Json(_) => {
            let err = AwsError::new(
                "InvalidAction",
                400,
                "Amazon SQS is not served by this tessera build yet",
            );
            error_response(route, &err, &request_id)
        }
        Route::UnknownService | Route::Query(Service::S3) => {
            let err = AwsError::new(
                "InvalidAction",
                400,
                "The credential scope names a service tessera does not serve",
            );
            error_response(Route::Query(Service::Iam), &err, &request_id)
        }
        Route::S3 => {
            let err = AwsError::new(
                "NotImplemented",
                501,
                "Amazon S3 is not served by this tessera build yet",
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
    let caller = match authenticate(app, req, form, service).await {
        Ok(c) => c,
        Err(e) => {
            let err = e.to_aws();
            app.audit().record(&AuditRecord::auth_failure(
                service, &action, req.remote, request_id, &err,
            ));
            return Err(err);
        }
    };
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
        Service::Sqs | Service::S3 => Err(AwsError::new("InvalidAction", 400, "not served")),
    }
}

/// An internal failure as the client sees it: AWS's generic message, never the detail (which may
/// name files or database errors); the detail goes to the log.
pub fn internal_failure(detail: impl std::fmt::Display) -> AwsError {
    tracing::error!("internal failure: {detail}");
    AwsError::new(
        "InternalFailure",
        500,
        "The request processing has failed because of an unknown error.",
    )
}

/// A service's error in AWS's form; for an internal one the service's own detail is logged, since
/// its AWS form carries only a generic message.
fn service_error<E: std::fmt::Display>(e: &E, aws: AwsError) -> AwsError {
    if aws.status >= 500 {
        tracing::error!("service failure: {e}");
    }
    aws
}

/// Renders `err` in the envelope of `route`'s protocol.
pub fn error_response(route: Route, err: &AwsError, request_id: &str) -> Response<Body> {
    if err.status == 500 {
        tracing::error!(code = %err.code, request_id, "internal error: {}", err.message);
    }
    let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = match route {
        Route::Json(_) => {
            let mut resp = response(
                status,
                "application/x-amz-json-1.0",
                err.to_json("com.amazonaws.sqs#"),
                request_id,
            );
            if let Ok(v) = format!("{};{}", err.code, err.fault()).parse() {
                resp.headers_mut().insert("x-amzn-query-error", v);
            }
            resp
        }
        Route::S3 => response(
            status,
            "application/xml",
            err.to_s3_xml("", request_id),
            request_id,
        ),
        Route::Query(service) => response(
            status,
            "text/xml",
            err.to_query_xml(service.xmlns(), request_id),
            request_id,
        ),
        Route::Health | Route::Metrics | Route::UnknownService => response(
            status,
            "text/xml",
            err.to_query_xml(Service::Iam.xmlns(), request_id),
            request_id,
        ),
    };
    for (name, value) in &err.headers {
        if let Ok(v) = value.parse() {
            resp.headers_mut().insert(*name, v);
        }
    }
    resp
}

fn xml_response(status: StatusCode, xml: String, request_id: &str) -> Response<Body> {
    response(status, "text/xml", xml, request_id)
}

fn text_response(status: StatusCode, text: &str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::copy_from_slice(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

fn response(
    status: StatusCode,
    content_type: &'static str,
    body: String,
    request_id: &str,
) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    if let Ok(v) = request_id.parse() {
        h.insert("x-amzn-requestid", v);
    }
    r
}

/// A request id in AWS's UUID shape.
pub fn new_request_id() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!(
        "{}-{}-4{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_uuids() {
        let id = new_request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_ne!(id, new_request_id());
    }
}
