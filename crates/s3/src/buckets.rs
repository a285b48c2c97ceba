//! Bucket lifecycle: CreateBucket, DeleteBucket, HeadBucket, ListBuckets, GetBucketLocation and
//! GetBucketVersioning. It owns the bucket record's creation and removal (with its owner index);
//! it must never touch object bodies except to delete the blobs of aborted uploads.

use crate::body::{read_small, RequestBody};
use crate::db::{self, BucketRecord, Owner, UploadRecord};
use crate::request::{S3Caller, S3Request};
use crate::response::{doc, S3Response};
use crate::timefmt::iso8601_ms;
use crate::{names, xml_in, Inner, S3Error};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::sync::Arc;

/// The bucket record by name: from the bucket cache, or one read transaction.
pub(crate) async fn read_bucket(s: &Inner, name: &str) -> Result<Arc<BucketRecord>, S3Error> {
    let generation = match s.buckets.get(name) {
        Ok(record) => return Ok(record),
        Err(generation) => generation,
    };
    let owned = name.to_owned();
    let record = Arc::new(s.store.read_short(move |tx| db::bucket(tx, &owned)).await?);
    s.buckets.insert(generation, Arc::clone(&record));
    Ok(record)
}

/// Changes the bucket record in one transaction (`NoSuchBucket` if it is gone), then drops it
/// from the bucket cache. Every change to an existing bucket goes through here.
pub(crate) async fn update_bucket<F>(s: &Inner, name: &str, change: F) -> Result<(), S3Error>
where
    F: FnOnce(&mut BucketRecord) + Send + 'static,
{
    let owned = name.to_owned();
    let outcome = s
        .store
        .write(move |tx| {
            let mut b = db::bucket(tx, &owned)?;
            change(&mut b);
            db::put(tx, db::BUCKET, &owned, &b)
        })
        .await;
    s.buckets.forget(name);
    outcome
}

pub(crate) fn owner_of(caller: &S3Caller) -> Owner {
    Owner {
        account: caller.account.as_str().to_owned(),
        canonical_id: caller.canonical_id.clone(),
        display_name: caller.display_name.clone(),
    }
}

pub(crate) fn write_owner(w: &mut tessera_protocol::XmlWriter, owner: &Owner) {
    w.open("Owner");
    w.leaf("ID", &owner.canonical_id);
    w.leaf("DisplayName", &owner.display_name);
    w.close("Owner");
}

/// The `LocationConstraint` of a CreateBucketConfiguration document (pure, for fuzzing).
pub fn parse_create_bucket_configuration(doc: &[u8]) -> Result<Option<String>, S3Error> {
    if doc.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let root = xml_in::parse(doc).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "CreateBucketConfiguration" {
        return Err(S3Error::malformed_xml());
    }
    Ok(root
        .child_text("LocationConstraint")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned))
}

pub(crate) async fn create_bucket(
    s: &Inner,
    caller: &S3Caller,
    req: &S3Request,
    body: RequestBody,
) -> Result<S3Response, S3Error> {
    let name = req.bucket_name()?.to_owned();
    names::check_bucket_name(&name)?;
    let body = read_small(req, body, xml_in::MAX_DOC).await?;
    let constraint = parse_create_bucket_configuration(&body)?;
    let region = s.config.region.clone();
    match constraint.as_deref() {
        None => {}
        Some(c) if c == region && region != "us-east-1" => {}
        Some("us-east-1") => {
            return Err(S3Error::api(
                "InvalidLocationConstraint",
                400,
                "The specified location-constraint is not valid",
            ))
        }
        Some(c) => {
            return Err(S3Error::api(
                "IllegalLocationConstraintException",
                400,
                format!("The {c} location constraint is incompatible for the region specific endpoint this request was sent to."),
            ))
        }
    }
    let record = BucketRecord {
        id: format!("{:032x}", rand::random::<u128>()),
        name: name.clone(),
        owner: owner_of(caller),
        region,
        created_ms: s.now_ms(),
        policy: None,
        tags: Vec::new(),
        cors: None,
    };
    s.store
        .write(move |tx| {
            if let Some(existing) = db::get::<BucketRecord>(tx, db::BUCKET, &record.name)? {
                return Err(if existing.owner.account == record.owner.account {
                    S3Error::api(
                        "BucketAlreadyOwnedByYou",
                        409,
                        "Your previous request to create the named bucket succeeded and you already own it.",
                    )
                } else {
                    S3Error::api(
                        "BucketAlreadyExists",
                        409,
                        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
                    )
                });
            }
            db::put(tx, db::BUCKET, &record.name, &record)?;
            tx.put(
                db::OWNED,
                &format!("{}/{}", record.owner.account, record.name),
                b"",
            )?;
            Ok(())
        })
        .await?;
    s.buckets.forget(&name);
    Ok(S3Response::empty(200).header("Location", format!("/{name}")))
}

pub(crate) async fn delete_bucket(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let name = req.bucket_name()?.to_owned();
    let cached = name.clone();
    let blobs = s
        .store
        .write(move |tx| {
            let b = db::bucket(tx, &name)?;
            let prefix = format!("{}/", b.id);
            if !tx.scan(db::OBJECT, &prefix, None, 1)?.is_empty() {
                return Err(S3Error::api(
                    "BucketNotEmpty",
                    409,
                    "The bucket you tried to delete is not empty",
                ));
            }
            // In-progress multipart uploads go with the bucket.
            let mut blobs = Vec::new();
            for (k, v) in tx.scan(db::UPLOAD, &prefix, None, usize::MAX)? {
                let _: UploadRecord = db::decode(db::UPLOAD, &v)?;
                let upload_id = k.get(prefix.len()..).unwrap_or_default().to_owned();
                blobs.extend(crate::multipart::remove_parts(tx, &upload_id)?);
                tx.delete(db::UPLOAD, &k)?;
            }
            tx.delete(db::BUCKET, &name)?;
            tx.delete(db::OWNED, &format!("{}/{}", b.owner.account, name))?;
            Ok(blobs)
        })
        .await;
    s.buckets.forget(&cached);
    s.delete_blobs(blobs?).await;
    Ok(S3Response::empty(204))
}

pub(crate) async fn head_bucket(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let b = read_bucket(s, req.bucket_name()?).await?;
    Ok(S3Response::empty(200)
        .header("x-amz-bucket-region", b.region.clone())
        .header("x-amz-access-point-alias", "false"))
}

pub(crate) async fn get_bucket_location(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let b = read_bucket(s, req.bucket_name()?).await?;
    let region = if b.region == "us-east-1" {
        ""
    } else {
        b.region.as_str()
    };
    let mut w = doc("LocationConstraint");
    let mut text = String::new();
    tessera_protocol::xml::escape_into(&mut text, region);
    w.raw(&text);
    w.close("LocationConstraint");
    Ok(S3Response::xml(w))
}

pub(crate) async fn get_bucket_versioning(
    s: &Inner,
    req: &S3Request,
) -> Result<S3Response, S3Error> {
    read_bucket(s, req.bucket_name()?).await?;
    let mut w = doc("VersioningConfiguration");
    w.close("VersioningConfiguration");
    Ok(S3Response::xml(w))
}

const MAX_BUCKETS: usize = 10_000;

pub(crate) async fn list_buckets(
    s: &Inner,
    caller: &S3Caller,
    req: &S3Request,
) -> Result<S3Response, S3Error> {
    if caller.anonymous {
        return Err(S3Error::access_denied());
    }
    let max = match req.q("max-buckets") {
        None => MAX_BUCKETS,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_BUCKETS).contains(n))
            .ok_or_else(|| {
                S3Error::invalid_argument(
                    "Argument max-buckets must be an integer between 1 and 10000",
                )
            })?,
    };
    let prefix = req.q("prefix").unwrap_or("").to_owned();
    let after = match req.q("continuation-token").filter(|t| !t.is_empty()) {
        Some(t) => Some(decode_token(t)?),
        None => None,
    };
    let account = caller.account.as_str().to_owned();
    let region = req.q("bucket-region").map(str::to_owned);
    let (buckets, more) = s
        .store
        .read(move |tx| -> Result<(Vec<BucketRecord>, bool), S3Error> {
            let scan_prefix = format!("{account}/{prefix}");
            let start = after.map(|a| format!("{account}/{a}"));
            let keys = tx.scan(db::OWNED, &scan_prefix, start.as_deref(), max + 1)?;
            let more = keys.len() > max;
            let mut out = Vec::new();
            for (k, _) in keys.into_iter().take(max) {
                let name = k.get(account.len() + 1..).unwrap_or_default();
                if let Some(b) = db::get::<BucketRecord>(tx, db::BUCKET, name)? {
                    if region.as_deref().is_none_or(|r| r == b.region) {
                        out.push(b);
                    }
                }
            }
            Ok((out, more))
        })
        .await?;
    let mut w = doc("ListAllMyBucketsResult");
    write_owner(&mut w, &owner_of(caller));
    w.open("Buckets");
    for b in &buckets {
        w.open("Bucket");
        w.leaf("Name", &b.name);
        w.leaf("CreationDate", &iso8601_ms(b.created_ms));
        w.leaf("BucketRegion", &b.region);
        w.close("Bucket");
    }
    w.close("Buckets");
    if more {
        if let Some(last) = buckets.last() {
            w.leaf("ContinuationToken", &encode_token(&last.name));
        }
    }
    if let Some(p) = req.q("prefix") {
        w.leaf("Prefix", p);
    }
    w.close("ListAllMyBucketsResult");
    Ok(S3Response::xml(w))
}

/// Continuation tokens are the last returned name, base64url: opaque to clients, and any
/// tampering only moves the page start.
pub(crate) fn encode_token(last: &str) -> String {
    URL_SAFE_NO_PAD.encode(last.as_bytes())
}

pub(crate) fn decode_token(token: &str) -> Result<String, S3Error> {
    URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| S3Error::invalid_argument("The continuation token provided is incorrect"))
}
