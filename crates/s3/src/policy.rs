//! Put/Get/DeleteBucketPolicy. A policy is validated with the policy engine's resource-policy
//! parser before it is stored (`MalformedPolicy` otherwise) and stored as the client sent it,
//! since GetBucketPolicy returns the text. It must never evaluate a policy (the server does).

use crate::body::{read_small, RequestBody};
use crate::buckets::update_bucket;
use crate::request::S3Request;
use crate::response::{ResponseBody, S3Response};
use crate::{Inner, S3Error};

/// AWS's limit on a bucket policy's size.
const MAX_POLICY: usize = 20 * 1024;

/// Checks a policy document as PutBucketPolicy does (pure).
pub fn validate_policy(text: &[u8]) -> Result<String, S3Error> {
    if text.len() > MAX_POLICY {
        return Err(S3Error::api(
            "PolicyTooLarge",
            400,
            "Policy exceeds the maximum allowed document size.",
        ));
    }
    let text = std::str::from_utf8(text)
        .map_err(|_| S3Error::api("MalformedPolicy", 400, "Policies must be valid UTF-8"))?;
    tessera_policy::parse_resource_policy(text)
        .map_err(|e| S3Error::api("MalformedPolicy", 400, e.to_string()))?;
    Ok(text.to_owned())
}

pub(crate) async fn put(
    s: &Inner,
    req: &S3Request,
    body: RequestBody,
) -> Result<S3Response, S3Error> {
    let raw = read_small(req, body, MAX_POLICY + 1)
        .await
        .map_err(|e| match e {
            S3Error::Api {
                code: "MalformedXML",
                ..
            } => S3Error::api(
                "PolicyTooLarge",
                400,
                "Policy exceeds the maximum allowed document size.",
            ),
            other => other,
        })?;
    let text = validate_policy(&raw)?;
    update_bucket(s, req.bucket_name()?, move |b| b.policy = Some(text)).await?;
    Ok(S3Response::empty(204))
}

pub(crate) async fn get(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let b = crate::buckets::read_bucket(s, req.bucket_name()?).await?;
    let policy = b.policy.clone().ok_or_else(|| {
        S3Error::api(
            "NoSuchBucketPolicy",
            404,
            "The bucket policy does not exist",
        )
    })?;
    Ok(S3Response {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: ResponseBody::Bytes(policy.into()),
    })
}

pub(crate) async fn delete(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    update_bucket(s, req.bucket_name()?, |b| b.policy = None).await?;
    Ok(S3Response::empty(204))
}
