//! PutObject, GetObject, HeadObject and DeleteObject, and the commit step every object write
//! shares (PutObject, CopyObject, CompleteMultipartUpload): one store transaction that checks the
//! bucket and any write condition, then points the key at the new blob.
//!
//! It must never make a blob visible before its metadata commit, nor delete a blob before the
//! commit that stops referencing it.

use crate::body::{checksum_plan, content_md5, ingest, RequestBody};
use crate::buckets::{owner_of, read_bucket};
use crate::conditions::{parse_range, ByteRange, Conditions, Precondition};
use crate::content::ObjectBody;
use crate::db::{self, BucketRecord, ContentHeaders, ObjectRecord, StoredChecksum};
use crate::request::{S3Caller, S3Request};
use crate::response::{ResponseBody, S3Response};
use crate::timefmt::http_date;
use crate::{names, tagging, Inner, S3Error};
use std::sync::Arc;
use tessera_blob::{BlobError, BlobId};

/// AWS's limit on user metadata: names and values of `x-amz-meta-*`, in UTF-8 bytes.
const MAX_USER_METADATA: usize = 2 * 1024;

/// The representation headers of a PUT (or CreateMultipartUpload, or a REPLACE copy).
pub(crate) fn content_headers(req: &S3Request) -> Result<ContentHeaders, S3Error> {
    let h = |n: &str| req.header(n).map(str::to_owned);
    let mut meta: Vec<(String, String)> = req
        .headers
        .iter()
        .filter_map(|(name, value)| {
            let n = name.as_str().strip_prefix("x-amz-meta-")?;
            Some((n.to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    meta.sort();
    if meta.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() > MAX_USER_METADATA {
        return Err(S3Error::api(
            "MetadataTooLarge",
            400,
            "Your metadata headers exceed the maximum allowed metadata size",
        ));
    }
    Ok(ContentHeaders {
        content_type: h("content-type"),
        content_encoding: h("content-encoding")
            .map(|e| strip_aws_chunked(&e))
            .filter(|e| !e.is_empty()),
        content_disposition: h("content-disposition"),
        content_language: h("content-language"),
        cache_control: h("cache-control"),
        expires: h("expires"),
        meta,
    })
}

/// `Content-Encoding: aws-chunked, gzip` describes the transfer, not the object: S3 stores `gzip`.
fn strip_aws_chunked(e: &str) -> String {
    e.split(',')
        .map(str::trim)
        .filter(|p| !p.eq_ignore_ascii_case("aws-chunked"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The declared body size, when the client sent one (decoded size for aws-chunked bodies).
pub(crate) fn declared_size(req: &S3Request) -> Option<u64> {
    req.header("x-amz-decoded-content-length")
        .or_else(|| req.header("content-length"))
        .and_then(|v| v.trim().parse().ok())
}

/// A write condition (`If-None-Match: *`, `If-Match: etag`) checked inside the commit.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteCondition {
    pub if_none_match: Option<String>,
    pub if_match: Option<String>,
}

impl WriteCondition {
    pub(crate) fn from_request(req: &S3Request) -> Result<Self, S3Error> {
        let if_none_match = req.header("if-none-match").map(str::to_owned);
        if if_none_match.as_deref().is_some_and(|v| v.trim() != "*") {
            return Err(S3Error::api(
                "NotImplemented",
                501,
                "A header you provided implies functionality that is not implemented: If-None-Match other than '*'",
            ));
        }
        Ok(WriteCondition {
            if_none_match,
            if_match: req.header("if-match").map(str::to_owned),
        })
    }

    fn check(&self, existing: Option<&ObjectRecord>) -> Result<(), S3Error> {
        if self.if_none_match.is_some() && existing.is_some() {
            return Err(S3Error::precondition_failed());
        }
        if let Some(list) = &self.if_match {
            match existing {
                None => return Err(S3Error::no_such_key()),
                Some(o) if !crate::conditions::etag_matches(list, &o.etag) => {
                    return Err(S3Error::precondition_failed())
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// Points `bucket/key` at `record` (whose blob is finished) in one transaction, then deletes the
/// replaced blob. If the commit fails the new blob is deleted instead. `bucket_id` guards against
/// the bucket having been deleted (and perhaps re-created) while the body streamed.
pub(crate) async fn commit_object(
    s: &Inner,
    bucket: &BucketRecord,
    key: &str,
    record: ObjectRecord,
    cond: WriteCondition,
    extra: impl FnOnce(&mut dyn tessera_store::Tx) -> Result<Vec<String>, S3Error> + Send + 'static,
) -> Result<(), S3Error> {
    let name = bucket.name.clone();
    let id = bucket.id.clone();
    let k = db::object_key(&bucket.id, key);
    let new_blob = record.owned_blob();
    let outcome = s
        .store
        .write(move |tx| {
            let b = db::bucket(tx, &name)?;
            if b.id != id {
                return Err(S3Error::no_such_bucket());
            }
            // The old record only (its inline bytes, if any, are replaced or removed below).
            let old: Option<ObjectRecord> = db::get(tx, db::OBJECT, &k)?;
            cond.check(old.as_ref())?;
            db::put_object(tx, &k, &record)?;
            let mut garbage = extra(tx)?;
            garbage.extend(
                old.and_then(|o| o.owned_blob())
                    .filter(|b| *b != record.blob),
            );
            Ok(garbage)
        })
        .await;
    match outcome {
        Ok(garbage) => {
            s.delete_blobs(garbage).await;
            Ok(())
        }
        Err(e) => {
            s.delete_blobs(new_blob).await;
            Err(e)
        }
    }
}

pub(crate) async fn put_object(
    s: &Inner,
    caller: &S3Caller,
    req: &S3Request,
    body: RequestBody,
) -> Result<S3Response, S3Error> {
    let key = req.key_name()?;
    names::check_key(key)?;
    let bucket = read_bucket(s, req.bucket_name()?).await?;
    if declared_size(req).is_some_and(|n| n > s.config.max_object_size) {
        return Err(S3Error::entity_too_large());
    }
    let headers = content_headers(req)?;
    let tags = match req.header("x-amz-tagging") {
        Some(t) => tagging::parse_tagging_header(t)?,
        None => Vec::new(),
    };
    let cond = WriteCondition::from_request(req)?;
    let plan = checksum_plan(req)?;
    let md5 = content_md5(req)?;
    let inline = (declared_size(req), s.config.inline_max);
    let got = ingest(
        &s.blobs,
        body,
        md5,
        plan.as_ref(),
        s.config.max_object_size,
        inline,
    )
    .await?;
    let etag = format!("\"{}\"", hex::encode(got.md5));
    let checksum = got.checksum.as_ref().map(|c| StoredChecksum {
        algorithm: c.algorithm().name().to_owned(),
        value: c.to_base64(),
        kind: "FULL_OBJECT".to_owned(),
    });
    let record = ObjectRecord {
        blob: got.content.blob_name(),
        inline: got.content.inline(),
        size: got.size,
        etag: etag.clone(),
        last_modified_ms: s.now_ms(),
        headers,
        checksum: checksum.clone(),
        parts: Vec::new(),
        tags,
        owner: owner_of(caller),
    };
    commit_object(s, &bucket, key, record, cond, |_| Ok(Vec::new())).await?;
    let mut resp = S3Response::empty(200).header("ETag", etag);
    if let (Some(c), Some(sum)) = (&got.checksum, checksum) {
        resp = resp
            .header(c.algorithm().header_name(), sum.value)
            .header("x-amz-checksum-type", sum.kind);
    }
    Ok(resp)
}

/// Reads the object record (bucket must exist): the bucket from the bucket cache, then one read
/// transaction for the object.
pub(crate) async fn read_object(
    s: &Inner,
    bucket: &str,
    key: &str,
) -> Result<(Arc<BucketRecord>, ObjectRecord), S3Error> {
    let b = read_bucket(s, bucket).await?;
    let k = db::object_key(&b.id, key);
    let o = s
        .store
        .read_short(move |tx| db::get_object(tx, &k)?.ok_or_else(S3Error::no_such_key))
        .await?;
    Ok((b, o))
}

/// Reads the record and opens its bytes. An overwrite can delete the blob between the two steps;
/// then the (new) record is read again. Inline bytes come with the record.
pub(crate) async fn open_object(
    s: &Inner,
    bucket: &str,
    key: &str,
) -> Result<(Arc<BucketRecord>, ObjectRecord, ObjectBody), S3Error> {
    let mut attempts = 0;
    loop {
        let (b, o) = read_object(s, bucket, key).await?;
        if let Some(bytes) = o.inline.clone() {
            return Ok((b, o, ObjectBody::Inline(bytes)));
        }
        let id = BlobId::parse(&o.blob)?;
        match s.blobs.open(&id).await {
            Ok(r) => return Ok((b, o, ObjectBody::Blob(r))),
            Err(BlobError::NotFound(_)) if attempts < 3 => attempts += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// `response-*` query overrides of GET, and the headers they replace.
const OVERRIDES: [(&str, &str); 6] = [
    ("response-content-type", "Content-Type"),
    ("response-content-language", "Content-Language"),
    ("response-expires", "Expires"),
    ("response-cache-control", "Cache-Control"),
    ("response-content-disposition", "Content-Disposition"),
    ("response-content-encoding", "Content-Encoding"),
];

/// The headers GET and HEAD return for an object (without length and range).
pub(crate) fn object_headers(o: &ObjectRecord) -> Vec<(String, String)> {
    let mut out = vec![
        ("ETag".to_owned(), o.etag.clone()),
        ("Last-Modified".to_owned(), http_date(o.last_modified_ms)),
        ("Accept-Ranges".to_owned(), "bytes".to_owned()),
        (
            "Content-Type".to_owned(),
            o.headers
                .content_type
                .clone()
                .unwrap_or_else(|| "binary/octet-stream".to_owned()),
        ),
    ];
    let h = &o.headers;
    for (name, v) in [
        ("Content-Encoding", &h.content_encoding),
        ("Content-Disposition", &h.content_disposition),
        ("Content-Language", &h.content_language),
        ("Cache-Control", &h.cache_control),
        ("Expires", &h.expires),
    ] {
        if let Some(v) = v {
            out.push((name.to_owned(), v.clone()));
        }
    }
    for (k, v) in &h.meta {
        out.push((format!("x-amz-meta-{k}"), v.clone()));
    }
    if !o.tags.is_empty() {
        out.push(("x-amz-tagging-count".to_owned(), o.tags.len().to_string()));
    }
    out
}

/// The byte span of part `n` (1-based) of an object, and the part count.
fn part_span(o: &ObjectRecord, n: u32) -> Option<(u64, u64, usize)> {
    if o.parts.is_empty() {
        return (n == 1).then_some((0, o.size, 1));
    }
    let idx = usize::try_from(n).ok()?.checked_sub(1)?;
    let start: u64 = o.parts.iter().take(idx).map(|p| p.size).sum();
    let part = o.parts.get(idx)?;
    Some((start, part.size, o.parts.len()))
}

pub(crate) async fn get_object(
    s: &Inner,
    caller: &S3Caller,
    req: &S3Request,
    head: bool,
) -> Result<S3Response, S3Error> {
    let key = req.key_name()?;
    let overrides: Vec<_> = OVERRIDES
        .iter()
        .filter_map(|(q, h)| req.q(q).map(|v| (*h, v.to_owned())))
        .collect();
    if !overrides.is_empty() && caller.anonymous {
        return Err(S3Error::invalid_request(
            "Request specific response headers cannot be used for anonymous GET requests.",
        ));
    }
    let part_number = match req.q("partNumber") {
        Some(p) => Some(
            p.parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    S3Error::invalid_argument(
                        "Part number must be an integer between 1 and 10000, inclusive",
                    )
                })?,
        ),
        None => None,
    };
    if part_number.is_some() && req.header("range").is_some() {
        return Err(S3Error::invalid_request(
            "Cannot specify both Range header and partNumber query parameter",
        ));
    }
    // HEAD needs only the record; GET opens the bytes too.
    let (o, reader) = if head {
        (read_object(s, req.bucket_name()?, key).await?.1, None)
    } else {
        let (_, o, reader) = open_object(s, req.bucket_name()?, key).await?;
        (o, Some(reader))
    };
    let cond = Conditions {
        if_match: req.header("if-match"),
        if_none_match: req.header("if-none-match"),
        if_modified_since: req.header("if-modified-since"),
        if_unmodified_since: req.header("if-unmodified-since"),
    };
    match cond.evaluate(&o.etag, o.last_modified_ms) {
        Precondition::Proceed => {}
        Precondition::Failed => return Err(S3Error::precondition_failed()),
        Precondition::NotModified => {
            return Ok(S3Response::empty(304)
                .header("ETag", o.etag.clone())
                .header("Last-Modified", http_date(o.last_modified_ms)))
        }
    }
    let mut headers = object_headers(&o);
    let (status, start, len) = if let Some(n) = part_number {
        let (start, len, count) = part_span(&o, n).ok_or_else(|| {
            S3Error::api(
                "InvalidPartNumber",
                416,
                "The requested partnumber is not satisfiable",
            )
        })?;
        headers.push(("x-amz-mp-parts-count".into(), count.to_string()));
        if o.parts.is_empty() {
            (200, start, len)
        } else {
            let end = (start + len).saturating_sub(1);
            headers.push((
                "Content-Range".into(),
                format!("bytes {start}-{end}/{}", o.size),
            ));
            (206, start, len)
        }
    } else {
        match req.header("range").map(|r| parse_range(r, o.size)) {
            None | Some(ByteRange::Full) => (200, 0, o.size),
            Some(ByteRange::Part { start, len }) => {
                let end = start + len - 1;
                headers.push((
                    "Content-Range".into(),
                    format!("bytes {start}-{end}/{}", o.size),
                ));
                (206, start, len)
            }
            Some(ByteRange::Unsatisfiable) => {
                return Err(S3Error::api(
                    "InvalidRange",
                    416,
                    "The requested range is not satisfiable",
                )
                .with_header("Content-Range", format!("bytes */{}", o.size)))
            }
        }
    };
    if status == 200
        && req
            .header("x-amz-checksum-mode")
            .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"))
    {
        if let Some(c) = &o.checksum {
            if let Some(alg) = tessera_checksum::Algorithm::parse(&c.algorithm) {
                headers.push((alg.header_name().to_owned(), c.value.clone()));
                headers.push(("x-amz-checksum-type".into(), c.kind.clone()));
            }
        }
    }
    for (name, value) in overrides {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.to_owned(), value));
    }
    headers.push(("Content-Length".into(), len.to_string()));
    let body = match reader {
        Some(reader) => reader.respond(start, len),
        None => ResponseBody::Empty,
    };
    Ok(S3Response {
        status,
        headers,
        body,
    })
}

pub(crate) async fn delete_object(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let key = req.key_name()?.to_owned();
    names::check_key(&key)?;
    let bucket = req.bucket_name()?.to_owned();
    let garbage = s
        .store
        .write(move |tx| {
            let b = db::bucket(tx, &bucket)?;
            let k = db::object_key(&b.id, &key);
            let old = db::delete_object(tx, &k)?;
            Ok::<_, S3Error>(old.and_then(|o| o.owned_blob()))
        })
        .await?;
    s.delete_blobs(garbage).await;
    Ok(S3Response::empty(204))
}
