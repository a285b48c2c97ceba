//! The S3 route: a REST request whose body has not been read, through authentication (signed,
//! presigned or anonymous), routing to an operation, authorization against the caller's policies
//! and the bucket's policy, and the S3 service, with the body streamed in and out.
//!
//! - [`body`]: the request body as the service consumes it: de-chunked (`aws-chunked`, every
//!   chunk signature checked), hashed against `x-amz-content-sha256`, idle-timed.
//! - [`access`]: who the caller is and whether the bucket's policy and theirs allow the operation.
//! - [`reply`]: the service's answer (or error) as an HTTP response, object bodies streamed from
//!   disk; CORS headers.

mod access;
mod body;
mod reply;

use crate::app::App;
use crate::incoming::Incoming;
use crate::respond::{new_request_id, Body};
use hyper::body::Incoming as HyperBody;
use std::time::Instant;
use tessera_protocol::AwsError;

/// Serves one S3 request.
pub async fn handle(
    app: &App,
    head: Incoming,
    parts: http::request::Parts,
    body: HyperBody,
) -> hyper::Response<Body> {
    let started = Instant::now();
    let request_id = new_request_id();
    let is_head = parts.method == http::Method::HEAD;
    let origin = head.header("origin").map(str::to_owned);
    let (response, bucket) = match serve(app, &head, &parts, body, &request_id).await {
        Ok((response, bucket)) => (response, bucket),
        Err((err, resource, bucket)) => {
            (reply::error(&err, &resource, &request_id, is_head), bucket)
        }
    };
    let response = match (origin, bucket) {
        (Some(origin), Some(bucket)) => {
            reply::with_cors(app, &bucket, &origin, &parts.method, response).await
        }
        _ => response,
    };
    app.metrics().observe(
        crate::classify::Route::S3,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// An error with the `Resource` it names and the bucket (for CORS headers).
type Failure = (AwsError, String, Option<String>);

async fn serve(
    app: &App,
    head: &Incoming,
    parts: &http::request::Parts,
    body: HyperBody,
    request_id: &str,
) -> Result<(hyper::Response<Body>, Option<String>), Failure> {
    let s3 = app.s3();
    let resource_of = |path: &str| percent_decode(path);
    let request = s3
        .route(&parts.method, &head.path, &head.query, &parts.headers)
        .map_err(|e| (e.to_aws(), resource_of(&head.path), None))?;
    let bucket = request.bucket().map(str::to_owned);
    let fail = |err: AwsError| (err, resource_of(&head.path), bucket.clone());
    if parts.method == http::Method::OPTIONS {
        // A CORS preflight is answered from the bucket's CORS rules, unauthenticated, as S3 does.
        let response = reply::preflight(app, &request, &parts.headers, request_id)
            .await
            .map_err(fail)?;
        return Ok((response, None));
    }
    let verified = access::authenticate(app, head, &request, request_id)
        .await
        .map_err(fail)?;
    let check = access::Check::new(app, head, &verified, &request, request_id);
    check.request(&request).await.map_err(fail)?;
    let mut denied = Vec::new();
    let mut request_body = body::stream(head, &verified, body).map_err(fail)?;
    if request.operation() == tessera_s3::Operation::DeleteObjects {
        // Each key is authorized on its own: the document is read here (it is small and
        // bounded), checked, and handed on unchanged.
        let (frames, document) = body::buffer_small(request_body, tessera_s3::xml_in::MAX_DOC)
            .await
            .map_err(|e| fail(AwsError::new(e.code, e.status, e.message)))?;
        if let (Some(bucket), Ok(parsed)) = (request.bucket(), tessera_s3::parse_delete(&document))
        {
            denied = check
                .denied_keys(bucket, &parsed.keys)
                .await
                .map_err(fail)?;
        }
        request_body = body::replay(frames);
    }
    let mut request = request;
    request.deny_keys(denied);
    let answer = s3
        .call(&verified.s3_caller, request, request_body)
        .await
        .map_err(|e| {
            let aws = e.to_aws();
            if aws.status >= 500 {
                tracing::error!("s3 failure: {e}");
            }
            fail(aws)
        })?;
    Ok((reply::success(answer, request_id), bucket))
}

/// The decoded path, as S3 names the `Resource` of an error.
fn percent_decode(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}
