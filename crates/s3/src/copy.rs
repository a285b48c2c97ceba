//! CopyObject and UploadPartCopy: the source is read from its blob as a stream (optionally a byte
//! range) into a new blob, same bucket or across buckets, under the `x-amz-copy-source-if-*`
//! conditions. It owns the metadata and tagging directives; it must never share a blob between
//! two objects (each object owns its blob, so deletes stay simple).

use crate::body::{ingest, ChecksumPlan, Expected};
use crate::buckets::{owner_of, read_bucket};
use crate::conditions::{Conditions, Precondition};
use crate::db::{ObjectRecord, PartRecord, StoredChecksum};
use crate::multipart::{commit_part, part_number, part_plan, read_upload};
use crate::objects::{commit_object, content_headers, open_object, WriteCondition};
use crate::request::{parse_copy_source, S3Caller, S3Request};
use crate::response::{doc, S3Response};
use crate::timefmt::iso8601_ms;
use crate::{names, tagging, Inner, S3Error};
use tessera_checksum::{Algorithm, Checksum};

/// The largest object CopyObject copies in one request (AWS's 5 GiB).
const MAX_COPY: u64 = 5 * 1024 * 1024 * 1024;

fn check_source_conditions(req: &S3Request, o: &ObjectRecord) -> Result<(), S3Error> {
    let cond = Conditions {
        if_match: req.header("x-amz-copy-source-if-match"),
        if_none_match: req.header("x-amz-copy-source-if-none-match"),
        if_modified_since: req.header("x-amz-copy-source-if-modified-since"),
        if_unmodified_since: req.header("x-amz-copy-source-if-unmodified-since"),
    };
    match cond.evaluate(&o.etag, o.last_modified_ms) {
        Precondition::Proceed => Ok(()),
        Precondition::NotModified | Precondition::Failed => Err(S3Error::precondition_failed()),
    }
}

fn directive(req: &S3Request, name: &str) -> Result<bool, S3Error> {
    match req.header(name).map(str::trim) {
        None | Some("COPY") => Ok(false),
        Some("REPLACE") => Ok(true),
        Some(_) => Err(S3Error::invalid_argument(format!("Unknown {name}"))),
    }
}

pub(crate) async fn copy_object(
    s: &Inner,
    caller: &S3Caller,
    req: &S3Request,
) -> Result<S3Response, S3Error> {
    let key = req.key_name()?.to_owned();
    names::check_key(&key)?;
    let raw = req
        .header("x-amz-copy-source")
        .ok_or_else(|| S3Error::invalid_argument("Invalid copy source"))?;
    let (src_bucket, src_key) = parse_copy_source(raw)?;
    let replace_meta = directive(req, "x-amz-metadata-directive")?;
    let replace_tags = directive(req, "x-amz-tagging-directive")?;
    let dest = read_bucket(s, req.bucket_name()?).await?;
    let (_, src, reader) = open_object(s, &src_bucket, &src_key).await?;
    check_source_conditions(req, &src)?;
    if src_bucket == dest.name && src_key == key && !replace_meta {
        return Err(S3Error::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    if src.size > MAX_COPY {
        return Err(S3Error::invalid_request(format!(
            "The specified copy source is larger than the maximum allowable size for a copy source: {MAX_COPY}"
        )));
    }
    // The copy keeps a full-object checksum of the source's algorithm (or the requested one).
    let alg = match req.header("x-amz-checksum-algorithm") {
        Some(a) => Some(Algorithm::parse(a.trim()).ok_or_else(|| {
            S3Error::invalid_request("Checksum algorithm provided is unsupported.")
        })?),
        None => src
            .checksum
            .as_ref()
            .and_then(|c| Algorithm::parse(&c.algorithm)),
    };
    let plan = alg.map(|alg| ChecksumPlan {
        alg,
        expected: Expected::None,
    });
    let size = src.size;
    let cond = WriteCondition::from_request(req)?;
    let got = ingest(
        &s.blobs,
        reader.stream(0, size)?,
        None,
        plan.as_ref(),
        MAX_COPY,
        (Some(size), s.config.inline_max),
    )
    .await?;
    let etag = format!("\"{}\"", hex::encode(got.md5));
    let now = s.now_ms();
    let checksum = got.checksum.as_ref().map(|c: &Checksum| StoredChecksum {
        algorithm: c.algorithm().name().to_owned(),
        value: c.to_base64(),
        kind: "FULL_OBJECT".into(),
    });
    let tags = if replace_tags {
        match req.header("x-amz-tagging") {
            Some(t) => tagging::parse_tagging_header(t)?,
            None => Vec::new(),
        }
    } else {
        src.tags.clone()
    };
    let record = ObjectRecord {
        blob: got.content.blob_name(),
        inline: got.content.inline(),
        size: got.size,
        etag: etag.clone(),
        last_modified_ms: now,
        headers: if replace_meta {
            content_headers(req)?
        } else {
            src.headers.clone()
        },
        checksum: checksum.clone(),
        parts: Vec::new(),
        tags,
        owner: owner_of(caller),
    };
    commit_object(s, &dest, &key, record, cond, |_| Ok(Vec::new())).await?;
    let mut w = doc("CopyObjectResult");
    w.leaf("ETag", &etag);
    w.leaf("LastModified", &iso8601_ms(now));
    if let Some(c) = &checksum {
        w.leaf("ChecksumType", &c.kind);
        w.leaf(&format!("Checksum{}", c.algorithm), &c.value);
    }
    w.close("CopyObjectResult");
    Ok(S3Response::xml(w))
}

/// `x-amz-copy-source-range: bytes=first-last`, both required and inside the source.
fn copy_range(header: Option<&str>, size: u64) -> Result<(u64, u64), S3Error> {
    let Some(h) = header else {
        return Ok((0, size));
    };
    let bad = || {
        S3Error::invalid_argument(format!(
            "Range specified is not valid for source object of size: {size}"
        ))
    };
    let (a, b) = h
        .trim()
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .ok_or_else(bad)?;
    let first: u64 = a.parse().map_err(|_| bad())?;
    let last: u64 = b.parse().map_err(|_| bad())?;
    if first > last || last >= size {
        return Err(bad());
    }
    Ok((first, last - first + 1))
}

pub(crate) async fn upload_part_copy(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let number = part_number(req)?;
    let (bucket, upload, uid) = read_upload(s, req).await?;
    let raw = req
        .header("x-amz-copy-source")
        .ok_or_else(|| S3Error::invalid_argument("Invalid copy source"))?;
    let (src_bucket, src_key) = parse_copy_source(raw)?;
    let (_, src, reader) = open_object(s, &src_bucket, &src_key).await?;
    check_source_conditions(req, &src)?;
    let (start, len) = copy_range(req.header("x-amz-copy-source-range"), src.size)?;
    if len > MAX_COPY {
        return Err(S3Error::entity_too_large());
    }
    let plan = part_plan(req, &upload)?.map(|p| ChecksumPlan {
        alg: p.alg,
        expected: Expected::None,
    });
    // Parts are always blobs (inline limit 0): completing the upload concatenates them.
    let got = ingest(
        &s.blobs,
        reader.stream(start, len)?,
        None,
        plan.as_ref(),
        MAX_COPY,
        (Some(len), 0),
    )
    .await?;
    let etag = hex::encode(got.md5);
    let now = s.now_ms();
    let part = PartRecord {
        blob: got.content.blob_name(),
        size: got.size,
        md5: etag.clone(),
        last_modified_ms: now,
        checksum: got.checksum.as_ref().map(Checksum::to_base64),
    };
    commit_part(s, &bucket, &uid, &upload.key, number, part).await?;
    let mut w = doc("CopyPartResult");
    w.leaf("ETag", &format!("\"{etag}\""));
    w.leaf("LastModified", &iso8601_ms(now));
    if let Some(c) = &got.checksum {
        w.leaf(&format!("Checksum{}", c.algorithm().name()), &c.to_base64());
    }
    w.close("CopyPartResult");
    Ok(S3Response::xml(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_ranges() {
        assert_eq!(copy_range(None, 10).ok(), Some((0, 10)));
        assert_eq!(copy_range(Some("bytes=2-5"), 10).ok(), Some((2, 4)));
        for bad in ["bytes=5-2", "bytes=0-10", "bytes=-3", "bytes=3-", "2-5"] {
            assert!(copy_range(Some(bad), 10).is_err(), "{bad}");
        }
    }
}
