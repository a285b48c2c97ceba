//! Routing: which S3 operation an HTTP request is. It owns the addressing styles (path-style and
//! virtual-host style), the subresource table, and each operation's IAM action and resource ARN.
//! It must never touch storage or bodies.

use crate::S3Error;
use http::{HeaderMap, Method};
use percent_encoding::percent_decode_str;

/// Who is calling, as the server authenticated them.
#[derive(Debug, Clone)]
pub struct S3Caller {
    pub account: tessera_core::AccountId,
    pub principal_arn: String,
    pub canonical_id: String,
    pub display_name: String,
    pub anonymous: bool,
}

macro_rules! operations {
    ($($op:ident => $action:literal, $scope:ident;)*) => {
        /// Every S3 operation tessera serves.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation { $($op,)* }

        impl Operation {
            /// AWS's operation name, e.g. `PutObject`.
            pub fn name(self) -> &'static str {
                match self { $(Operation::$op => stringify!($op),)* }
            }
            /// The IAM action AWS's authorization reference lists for the operation.
            pub fn iam_action(self) -> &'static str {
                match self { $(Operation::$op => $action,)* }
            }
            fn scope(self) -> Scope {
                match self { $(Operation::$op => Scope::$scope,)* }
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Service,
    Bucket,
    Object,
}

operations! {
    ListBuckets => "s3:ListAllMyBuckets", Service;
    CreateBucket => "s3:CreateBucket", Bucket;
    DeleteBucket => "s3:DeleteBucket", Bucket;
    HeadBucket => "s3:ListBucket", Bucket;
    GetBucketLocation => "s3:GetBucketLocation", Bucket;
    GetBucketVersioning => "s3:GetBucketVersioning", Bucket;
    ListObjects => "s3:ListBucket", Bucket;
    ListObjectsV2 => "s3:ListBucket", Bucket;
    ListObjectVersions => "s3:ListBucketVersions", Bucket;
    GetBucketAcl => "s3:GetBucketAcl", Bucket;
    PutBucketPolicy => "s3:PutBucketPolicy", Bucket;
    GetBucketPolicy => "s3:GetBucketPolicy", Bucket;
    DeleteBucketPolicy => "s3:DeleteBucketPolicy", Bucket;
    PutBucketTagging => "s3:PutBucketTagging", Bucket;
    GetBucketTagging => "s3:GetBucketTagging", Bucket;
    DeleteBucketTagging => "s3:PutBucketTagging", Bucket;
    PutBucketCors => "s3:PutBucketCORS", Bucket;
    GetBucketCors => "s3:GetBucketCORS", Bucket;
    DeleteBucketCors => "s3:PutBucketCORS", Bucket;
    ListMultipartUploads => "s3:ListBucketMultipartUploads", Bucket;
    DeleteObjects => "s3:DeleteObject", Bucket;
    PutObject => "s3:PutObject", Object;
    CopyObject => "s3:PutObject", Object;
    GetObject => "s3:GetObject", Object;
    HeadObject => "s3:GetObject", Object;
    DeleteObject => "s3:DeleteObject", Object;
    PutObjectTagging => "s3:PutObjectTagging", Object;
    GetObjectTagging => "s3:GetObjectTagging", Object;
    DeleteObjectTagging => "s3:DeleteObjectTagging", Object;
    GetObjectAttributes => "s3:GetObjectAttributes", Object;
    GetObjectAcl => "s3:GetObjectAcl", Object;
    CreateMultipartUpload => "s3:PutObject", Object;
    UploadPart => "s3:PutObject", Object;
    UploadPartCopy => "s3:PutObject", Object;
    CompleteMultipartUpload => "s3:PutObject", Object;
    AbortMultipartUpload => "s3:AbortMultipartUpload", Object;
    ListParts => "s3:ListMultipartUploadParts", Object;
}

/// A routed request: the operation, its bucket and key, and the decoded query and headers.
#[derive(Debug, Clone)]
pub struct S3Request {
    pub(crate) op: Operation,
    pub(crate) bucket: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    /// DeleteObjects: keys the caller may not delete (decided per key by the server), reported
    /// as `AccessDenied` entries while the others are deleted, as S3 does.
    pub(crate) denied_keys: std::collections::HashSet<String>,
}

impl S3Request {
    pub fn operation(&self) -> Operation {
        self.op
    }

    /// Marks the keys of a DeleteObjects request that the caller is not allowed to delete.
    pub fn deny_keys(&mut self, keys: impl IntoIterator<Item = String>) {
        self.denied_keys.extend(keys);
    }

    pub fn iam_action(&self) -> &'static str {
        self.op.iam_action()
    }

    /// `arn:aws:s3:::bucket`, `arn:aws:s3:::bucket/key`, or `*` for ListBuckets.
    pub fn resource_arn(&self) -> String {
        match (&self.bucket, &self.key, self.op.scope()) {
            (Some(b), Some(k), Scope::Object) => format!("arn:aws:s3:::{b}/{k}"),
            (Some(b), _, _) => format!("arn:aws:s3:::{b}"),
            _ => "*".to_owned(),
        }
    }

    pub fn bucket(&self) -> Option<&str> {
        self.bucket.as_deref()
    }

    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// For CopyObject and UploadPartCopy: the source bucket and key, which the caller must also be
    /// allowed to read (`s3:GetObject` on `arn:aws:s3:::bucket/key`).
    pub fn copy_source(&self) -> Option<(String, String)> {
        if !matches!(self.op, Operation::CopyObject | Operation::UploadPartCopy) {
            return None;
        }
        parse_copy_source(self.header("x-amz-copy-source")?).ok()
    }

    /// The resource for the error envelope's `<Resource>`: `/bucket/key`.
    pub fn resource_path(&self) -> String {
        match (&self.bucket, &self.key) {
            (Some(b), Some(k)) => format!("/{b}/{k}"),
            (Some(b), None) => format!("/{b}"),
            _ => "/".to_owned(),
        }
    }

    pub(crate) fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn bucket_name(&self) -> Result<&str, S3Error> {
        self.bucket
            .as_deref()
            .ok_or_else(S3Error::method_not_allowed)
    }

    pub(crate) fn key_name(&self) -> Result<&str, S3Error> {
        self.key.as_deref().ok_or_else(S3Error::method_not_allowed)
    }
}

/// `x-amz-copy-source`: `bucket/key` or `/bucket/key`, percent-encoded, optional `?versionId=`.
pub(crate) fn parse_copy_source(raw: &str) -> Result<(String, String), S3Error> {
    let bad = || S3Error::invalid_argument("Invalid copy source object key");
    let raw = raw.split_once("?versionId=").map_or(raw, |(p, _)| p);
    let decoded = percent_decode_str(raw).decode_utf8().map_err(|_| bad())?;
    let path = decoded.strip_prefix('/').unwrap_or(&decoded);
    let (bucket, key) = path.split_once('/').ok_or_else(bad)?;
    if bucket.is_empty() || key.is_empty() {
        return Err(bad());
    }
    Ok((bucket.to_owned(), key.to_owned()))
}

/// Subresources S3 defines that tessera does not serve: answered `NotImplemented` rather than
/// misread as a plain object or bucket request.
const UNSUPPORTED: &[&str] = &[
    "accelerate",
    "analytics",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "torrent",
    "website",
];

pub(crate) fn decode_query(raw: &str) -> Result<Vec<(String, String)>, S3Error> {
    let mut out = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let dec = |s: &str| {
            let s = s.replace('+', " ");
            percent_decode_str(&s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| S3Error::api("InvalidURI", 400, "Couldn't parse the specified URI."))
        };
        out.push((dec(k)?, dec(v)?));
    }
    Ok(out)
}

/// Decides the operation. `domains` are the S3 endpoint domains for virtual-host addressing.
pub(crate) fn route(
    domains: &[String],
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Result<S3Request, S3Error> {
    let invalid_uri = || S3Error::api("InvalidURI", 400, "Couldn't parse the specified URI.");
    let query = decode_query(query)?;
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let host = host
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
        .to_ascii_lowercase();
    // A host that is itself an endpoint domain (`s3.localhost`) is path-style, even though it
    // also ends with another domain (`localhost`).
    let is_endpoint = domains.contains(&host);
    let vhost_bucket = domains.iter().filter(|_| !is_endpoint).find_map(|d| {
        host.strip_suffix(d.as_str())
            .and_then(|h| h.strip_suffix('.'))
            .filter(|b| !b.is_empty())
            .map(str::to_owned)
    });
    let path = path.strip_prefix('/').unwrap_or(path);
    let (bucket, raw_key) = match vhost_bucket {
        Some(b) => (Some(b), path),
        None => match path.split_once('/') {
            Some((b, k)) => (Some(b.to_owned()), k),
            None if path.is_empty() => (None, ""),
            None => (Some(path.to_owned()), ""),
        },
    };
    let bucket = bucket
        .map(|b| {
            percent_decode_str(&b)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| invalid_uri())
        })
        .transpose()?;
    // A decoded bucket that is empty (`//key`) or holds a slash (`/a%2Fb`) could never exist and
    // would give a misleading resource ARN (`arn:aws:s3:::a/b` is an object's ARN).
    if bucket
        .as_deref()
        .is_some_and(|b| b.is_empty() || b.contains('/'))
    {
        return Err(S3Error::invalid_bucket_name());
    }
    let key = if raw_key.is_empty() {
        None
    } else {
        Some(
            percent_decode_str(raw_key)
                .decode_utf8()
                .map_err(|_| invalid_uri())?
                .into_owned(),
        )
    };
    let has = |name: &str| query.iter().any(|(k, _)| k == name);
    // Reading an ACL is served (the owner has full control); changing ACLs is not.
    if has("acl") && *method != Method::GET {
        return Err(S3Error::not_implemented());
    }
    if let Some(sub) = UNSUPPORTED.iter().find(|s| has(s)) {
        tracing::debug!(subresource = sub, "unsupported S3 subresource");
        return Err(S3Error::not_implemented());
    }
    let copy = headers.contains_key("x-amz-copy-source");
    use Operation as O;
    let op = match (&bucket, &key) {
        (None, _) => match *method {
            Method::GET => O::ListBuckets,
            _ => return Err(S3Error::method_not_allowed()),
        },
        (Some(_), None) => match *method {
            Method::GET if has("location") => O::GetBucketLocation,
            Method::GET if has("acl") => O::GetBucketAcl,
            Method::GET if has("versions") => O::ListObjectVersions,
            Method::GET if has("versioning") => O::GetBucketVersioning,
            Method::GET if has("policy") => O::GetBucketPolicy,
            Method::GET if has("tagging") => O::GetBucketTagging,
            Method::GET if has("cors") => O::GetBucketCors,
            Method::GET if has("uploads") => O::ListMultipartUploads,
            Method::GET if query.iter().any(|(k, v)| k == "list-type" && v == "2") => {
                O::ListObjectsV2
            }
            Method::GET => O::ListObjects,
            Method::HEAD => O::HeadBucket,
            Method::PUT if has("policy") => O::PutBucketPolicy,
            Method::PUT if has("tagging") => O::PutBucketTagging,
            Method::PUT if has("cors") => O::PutBucketCors,
            Method::PUT if has("versioning") => return Err(S3Error::not_implemented()),
            Method::PUT => O::CreateBucket,
            Method::DELETE if has("policy") => O::DeleteBucketPolicy,
            Method::DELETE if has("tagging") => O::DeleteBucketTagging,
            Method::DELETE if has("cors") => O::DeleteBucketCors,
            Method::DELETE => O::DeleteBucket,
            Method::POST if has("delete") => O::DeleteObjects,
            _ => return Err(S3Error::method_not_allowed()),
        },
        (Some(_), Some(_)) => match *method {
            Method::GET if has("uploadId") => O::ListParts,
            Method::GET if has("acl") => O::GetObjectAcl,
            Method::GET if has("versions") => return Err(S3Error::not_implemented()),
            Method::GET if has("tagging") => O::GetObjectTagging,
            Method::GET if has("attributes") => O::GetObjectAttributes,
            Method::GET => O::GetObject,
            Method::HEAD => O::HeadObject,
            Method::PUT if has("uploadId") && copy => O::UploadPartCopy,
            Method::PUT if has("uploadId") => O::UploadPart,
            Method::PUT if has("tagging") => O::PutObjectTagging,
            Method::PUT if copy => O::CopyObject,
            Method::PUT => O::PutObject,
            Method::DELETE if has("uploadId") => O::AbortMultipartUpload,
            Method::DELETE if has("tagging") => O::DeleteObjectTagging,
            Method::DELETE => O::DeleteObject,
            Method::POST if has("uploads") => O::CreateMultipartUpload,
            Method::POST if has("uploadId") => O::CompleteMultipartUpload,
            _ => return Err(S3Error::method_not_allowed()),
        },
    };
    Ok(S3Request {
        op,
        bucket,
        key,
        query,
        headers: headers.clone(),
        denied_keys: std::collections::HashSet::new(),
    })
}
