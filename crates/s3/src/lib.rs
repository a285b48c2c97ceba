//! Amazon S3 (REST XML, API 2006-03-01) over tessera's store (metadata) and blob store (bodies).
//!
//! The server authenticates and authorizes; this crate routes a request to an [`Operation`]
//! ([`S3::route`]), tells the server what to authorize ([`S3Request::iam_action`],
//! [`S3Request::resource_arn`], [`S3::bucket_policy`]) and executes it ([`S3::call`]).
//!
//! Layout (each file's first lines say what it owns and must never do):
//! - `request`: routing, [`Operation`], IAM actions and ARNs.
//! - `body`: request body frames, streaming into blobs with MD5 and checksums.
//! - `response`: [`S3Response`] and [`ResponseBody`].
//! - `db`: namespaces, keys and records in the store.
//! - `buckets`, `objects`, `acl`, `conditions`, `list`, `delete_objects`, `copy`, `multipart`,
//!   `tagging`, `policy`, `cors`, `attributes`: one area of operations each.
//! - `xml_in`: the strict request XML reader; `names`: bucket and key rules; `timefmt`: dates.
//! - [`S3Error`] (`error.rs`): the crate's one error type, mapped to AWS codes in one place.
//!
//! Invariants: an object's body is streamed into a new blob and only then does one store
//! transaction point the object at it, so readers see the old or the new object, never a partial
//! one; a replaced or deleted blob is removed only after the commit; blobs left by a crash between
//! those steps are removed by [`S3::sweep_orphans`] at start. Keys are data, never paths.
//!
//! Must never: see sockets or authentication; read configuration files or the environment.

mod acl;
mod attributes;
mod body;
mod bucket_cache;
mod buckets;
mod conditions;
mod content;
mod copy;
mod cors;
mod db;
mod delete_objects;
mod error;
mod list;
mod multipart;
mod names;
mod objects;
mod policy;
mod request;
mod response;
mod tagging;
mod timefmt;
pub mod xml_in;

pub use body::{bytes_body, empty_body, BodyError, BodyFrame, RequestBody};
pub use buckets::parse_create_bucket_configuration;
pub use cors::{parse_cors, CorsRule};
pub use delete_objects::{parse_delete, DeleteRequest};
pub use error::S3Error;
pub use multipart::{parse_complete, CompletedPart, MIN_PART_SIZE};
pub use policy::validate_policy;
pub use request::{Operation, S3Caller, S3Request};
pub use response::{ResponseBody, S3Response, XMLNS};
pub use tagging::parse_tagging;

use std::collections::HashSet;
use std::sync::Arc;
use tessera_blob::{BlobId, BlobStore, SweepReport};
use tessera_core::{AccountId, Clock};
use tessera_store::Store;

/// S3's settings, from the server's configuration.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// Endpoint domains for virtual-host addressing (`bucket.<domain>`).
    pub domains: Vec<String>,
    /// The region buckets are created in and `GetBucketLocation` reports.
    pub region: String,
    /// Largest single PUT (and part); AWS's limit is 5 GiB.
    pub max_object_size: u64,
    /// Objects up to this size keep their bytes in their record (see `content`); 0: never.
    pub inline_max: u64,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            domains: vec!["s3.localhost".into(), "localhost".into()],
            region: "us-east-1".into(),
            max_object_size: 5 * 1024 * 1024 * 1024,
            inline_max: content::DEFAULT_INLINE_MAX,
        }
    }
}

/// What the authorizer needs to know about a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketAuthInfo {
    /// The account that owns the bucket.
    pub owner: AccountId,
    /// The bucket policy's JSON text, if one is set.
    pub policy: Option<String>,
}

/// The S3 service. Cloning is cheap.
#[derive(Clone)]
pub struct S3 {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub store: Store,
    pub blobs: BlobStore,
    pub clock: Arc<dyn Clock>,
    pub config: S3Config,
    pub buckets: bucket_cache::BucketCache,
}

impl Inner {
    /// Now, in milliseconds since the epoch.
    pub(crate) fn now_ms(&self) -> u64 {
        self.clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// Deletes blobs that a committed transaction no longer references. Failures are logged only:
    /// the next start-up sweep removes what is left.
    pub(crate) async fn delete_blobs(&self, ids: impl IntoIterator<Item = String>) {
        for id in ids {
            let result = match BlobId::parse(&id) {
                Ok(id) => self.blobs.delete(&id).await.map(|_| ()),
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                tracing::warn!(blob = %id, error = %e, "could not delete a replaced blob");
            }
        }
    }
}

impl S3 {
    pub fn new(store: Store, blobs: BlobStore, clock: Arc<dyn Clock>, config: S3Config) -> Self {
        S3 {
            inner: Arc::new(Inner {
                store,
                blobs,
                clock,
                config,
                buckets: bucket_cache::BucketCache::default(),
            }),
        }
    }

    /// Which S3 operation a request is. `path` is the raw (percent-encoded) path, `query` the raw
    /// query string.
    pub fn route(
        &self,
        method: &http::Method,
        path: &str,
        query: &str,
        headers: &http::HeaderMap,
    ) -> Result<S3Request, S3Error> {
        request::route(&self.inner.config.domains, method, path, query, headers)
    }

    /// For authorization: the bucket's owner and policy (`None` if there is no such bucket).
    pub async fn bucket_policy(&self, bucket: &str) -> Result<Option<BucketAuthInfo>, S3Error> {
        let rec = match buckets::read_bucket(&self.inner, bucket).await {
            Ok(b) => Some(b),
            Err(e) if e.is_no_such_bucket() => None,
            Err(e) => return Err(e),
        };
        rec.map(|b| {
            let owner = AccountId::parse(&b.owner.account)
                .map_err(|e| S3Error::Corrupt(format!("bucket owner: {e:?}")))?;
            Ok(BucketAuthInfo {
                owner,
                policy: b.policy.clone(),
            })
        })
        .transpose()
    }

    /// Executes an authorized request.
    pub async fn call(
        &self,
        caller: &S3Caller,
        req: S3Request,
        body: RequestBody,
    ) -> Result<S3Response, S3Error> {
        let s = &*self.inner;
        self.check_expected_owner(&req).await?;
        use Operation as O;
        match req.op {
            O::ListBuckets => buckets::list_buckets(s, caller, &req).await,
            O::CreateBucket => buckets::create_bucket(s, caller, &req, body).await,
            O::DeleteBucket => buckets::delete_bucket(s, &req).await,
            O::HeadBucket => buckets::head_bucket(s, &req).await,
            O::GetBucketLocation => buckets::get_bucket_location(s, &req).await,
            O::GetBucketVersioning => buckets::get_bucket_versioning(s, &req).await,
            O::ListObjects => list::list_objects(s, &req, false).await,
            O::ListObjectsV2 => list::list_objects(s, &req, true).await,
            O::ListObjectVersions => list::list_object_versions(s, &req).await,
            O::GetBucketAcl => acl::get_bucket_acl(s, &req).await,
            O::GetObjectAcl => acl::get_object_acl(s, &req).await,
            O::PutBucketPolicy => policy::put(s, &req, body).await,
            O::GetBucketPolicy => policy::get(s, &req).await,
            O::DeleteBucketPolicy => policy::delete(s, &req).await,
            O::PutBucketTagging => tagging::put_bucket(s, &req, body).await,
            O::GetBucketTagging => tagging::get_bucket(s, &req).await,
            O::DeleteBucketTagging => tagging::delete_bucket(s, &req).await,
            O::PutBucketCors => cors::put(s, &req, body).await,
            O::GetBucketCors => cors::get(s, &req).await,
            O::DeleteBucketCors => cors::delete(s, &req).await,
            O::ListMultipartUploads => multipart::list_uploads(s, &req).await,
            O::DeleteObjects => delete_objects::delete_objects(s, &req, body).await,
            O::PutObject => objects::put_object(s, caller, &req, body).await,
            O::CopyObject => copy::copy_object(s, caller, &req).await,
            O::GetObject => objects::get_object(s, caller, &req, false).await,
            O::HeadObject => objects::get_object(s, caller, &req, true).await,
            O::DeleteObject => objects::delete_object(s, &req).await,
            O::PutObjectTagging => tagging::put_object(s, &req, body).await,
            O::GetObjectTagging => tagging::get_object(s, &req).await,
            O::DeleteObjectTagging => tagging::delete_object(s, &req).await,
            O::GetObjectAttributes => attributes::get_object_attributes(s, &req).await,
            O::CreateMultipartUpload => multipart::create(s, caller, &req).await,
            O::UploadPart => multipart::upload_part(s, &req, body).await,
            O::UploadPartCopy => copy::upload_part_copy(s, &req).await,
            O::CompleteMultipartUpload => multipart::complete(s, &req, body).await,
            O::AbortMultipartUpload => multipart::abort(s, &req).await,
            O::ListParts => multipart::list_parts(s, &req).await,
        }
    }

    /// `x-amz-expected-bucket-owner`: the request fails with `AccessDenied` unless the bucket (and
    /// a copy's source bucket, for `x-amz-source-expected-bucket-owner`) belongs to that account.
    async fn check_expected_owner(&self, req: &S3Request) -> Result<(), S3Error> {
        let checks = [
            (
                req.header("x-amz-expected-bucket-owner"),
                req.bucket().map(str::to_owned),
            ),
            (
                req.header("x-amz-source-expected-bucket-owner"),
                req.copy_source().map(|(b, _)| b),
            ),
        ];
        for (expected, bucket) in checks {
            let (Some(expected), Some(bucket)) = (expected, bucket) else {
                continue;
            };
            if let Some(info) = self.bucket_policy(&bucket).await? {
                if info.owner.as_str() != expected.trim() {
                    return Err(S3Error::access_denied());
                }
            }
        }
        Ok(())
    }

    /// CORS for a browser's preflight `OPTIONS` request to `bucket`: the headers to answer with,
    /// or `AccessDenied`/`NoSuchBucket` as S3 answers when no rule allows it.
    pub async fn cors_preflight(
        &self,
        bucket: &str,
        origin: &str,
        method: &str,
        request_headers: &[String],
    ) -> Result<S3Response, S3Error> {
        cors::preflight(&self.inner, bucket, origin, method, request_headers).await
    }

    /// CORS headers to add to an actual (non-preflight) response for a request with `Origin`.
    /// Empty when the bucket has no rule matching the origin and method.
    pub async fn cors_headers(
        &self,
        bucket: &str,
        origin: &str,
        method: &str,
    ) -> Result<Vec<(String, String)>, S3Error> {
        cors::response_headers(&self.inner, bucket, origin, method).await
    }

    /// Removes blobs no object or upload part references, and writers' temporary files. Call at
    /// start, before serving requests (an upload in flight would lose its blob).
    pub async fn sweep_orphans(&self) -> Result<SweepReport, S3Error> {
        let referenced = self
            .inner
            .store
            .read(|tx| -> Result<HashSet<BlobId>, S3Error> {
                let mut set = HashSet::new();
                for ns in [db::OBJECT, db::PART] {
                    let mut after: Option<String> = None;
                    loop {
                        let page = tx.scan(ns, "", after.as_deref(), 1000)?;
                        let Some((last, _)) = page.last() else { break };
                        let last = last.clone();
                        for (_, v) in &page {
                            let blob = blob_of(ns, v)?;
                            if let Ok(id) = BlobId::parse(&blob) {
                                set.insert(id);
                            }
                        }
                        after = Some(last);
                    }
                }
                Ok(set)
            })
            .await?;
        Ok(self.inner.blobs.sweep_orphans(referenced).await?)
    }
}

fn blob_of(ns: tessera_store::Namespace, v: &[u8]) -> Result<String, S3Error> {
    if ns == db::PART {
        Ok(db::decode::<db::PartRecord>(ns, v)?.blob)
    } else {
        Ok(db::decode::<db::ObjectRecord>(ns, v)?
            .owned_blob()
            .unwrap_or_default())
    }
}
