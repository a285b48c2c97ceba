//! S3's answers as HTTP responses: the service's status, headers and body (object bodies streamed
//! from the blob store, never loaded whole), errors in S3's XML envelope, and CORS.

use crate::app::App;
use crate::respond::{full, Body};
use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, Either, StreamBody};
use hyper::body::Frame;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use tessera_protocol::AwsError;
use tessera_s3::{ResponseBody, S3Request, S3Response};

/// The service's answer. Headers the service produced that are not valid HTTP are dropped (the
/// service never produces them from unchecked input).
pub fn success(answer: S3Response, request_id: &str) -> Response<Body> {
    let body = match answer.body {
        ResponseBody::Empty => full(Bytes::new()),
        ResponseBody::Bytes(bytes) => full(bytes),
        ResponseBody::Blob { reader, start, len } => match reader.into_stream(start, len) {
            Ok(stream) => {
                let frames = stream
                    .map_ok(Frame::data)
                    .map_err(|e| std::io::Error::other(e.to_string()));
                Either::Right(StreamBody::new(frames).boxed_unsync())
            }
            Err(e) => {
                let err =
                    crate::respond::internal_failure(format_args!("opening object data: {e}"));
                return error(&err, "", request_id, false);
            }
        },
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(name, value);
        }
    }
    insert_request_id(headers, request_id);
    response
}

/// An error in S3's XML envelope; a HEAD response carries the status and no body, as S3's does.
pub fn error(err: &AwsError, resource: &str, request_id: &str, is_head: bool) -> Response<Body> {
    if err.status == 500 {
        tracing::error!(code = %err.code, request_id, "internal error: {}", err.message);
    }
    let body = if is_head {
        full(Bytes::new())
    } else {
        full(err.to_s3_xml(resource, request_id))
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    if !is_head {
        headers.insert(
            hyper::header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        );
    }
    for (name, value) in &err.headers {
        if let Ok(v) = value.parse() {
            headers.insert(*name, v);
        }
    }
    insert_request_id(headers, request_id);
    response
}

fn insert_request_id(headers: &mut hyper::HeaderMap, request_id: &str) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amz-request-id", v.clone());
        headers.insert("x-amzn-requestid", v);
    }
}

/// A CORS preflight (`OPTIONS`), answered from the bucket's CORS configuration.
pub async fn preflight(
    app: &App,
    request: &S3Request,
    headers: &http::HeaderMap,
    request_id: &str,
) -> Result<Response<Body>, AwsError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(bucket), Some(origin), Some(method)) = (
        request.bucket(),
        header("origin"),
        header("access-control-request-method"),
    ) else {
        return Err(AwsError::new(
            "BadRequest",
            400,
            "Insufficient information. Origin request header needed.",
        ));
    };
    let requested: Vec<String> = header("access-control-request-headers")
        .map(|v| {
            v.split(',')
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let answer = app
        .s3()
        .cors_preflight(bucket, origin, method, &requested)
        .await
        .map_err(|e| e.to_aws())?;
    Ok(success(answer, request_id))
}

/// Adds the `Access-Control-*` headers the bucket's CORS rules grant `origin`, if any.
pub async fn with_cors(
    app: &App,
    bucket: &str,
    origin: &str,
    method: &http::Method,
    mut response: Response<Body>,
) -> Response<Body> {
    let granted = match app.s3().cors_headers(bucket, origin, method.as_str()).await {
        Ok(headers) => headers,
        Err(e) => {
            tracing::warn!("reading the CORS rules of {bucket}: {e}");
            return response;
        }
    };
    let headers = response.headers_mut();
    for (name, value) in granted {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    response
}
