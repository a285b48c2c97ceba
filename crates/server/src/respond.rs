//! Building responses: the body type every handler returns, AWS's error envelopes per protocol,
//! request ids, and the rule that internal details are logged, never sent.

use crate::classify::{Route, Service};
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{Either, Full};
use hyper::{Response, StatusCode};
use tessera_protocol::AwsError;

/// A response body: a buffer for every Query/JSON answer and S3's small ones; a stream for S3
/// object bodies (read from disk chunk by chunk).
pub type Body = Either<Full<Bytes>, UnsyncBoxBody<Bytes, std::io::Error>>;

/// A body held in memory.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Either::Left(Full::new(bytes.into()))
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
pub fn service_error<E: std::fmt::Display>(e: &E, aws: AwsError) -> AwsError {
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

pub fn xml_response(status: StatusCode, xml: String, request_id: &str) -> Response<Body> {
    response(status, "text/xml", xml, request_id)
}

pub fn text_response(status: StatusCode, text: &str) -> Response<Body> {
    let mut r = Response::new(full(Bytes::copy_from_slice(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

pub fn response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
    request_id: &str,
) -> Response<Body> {
    let mut r = Response::new(full(body));
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
