//! Multipart uploads: CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
//! AbortMultipartUpload, ListParts and ListMultipartUploads (UploadPartCopy lives in `copy.rs`).
//!
//! Each part is its own blob. Completing concatenates the parts into one new blob (streamed,
//! never in memory), so a completed object is one blob like any other; one transaction then
//! re-checks that the upload and its parts are unchanged, writes the object and removes the
//! upload, and only after it commits are the part blobs deleted. The composite ETag is the MD5 of
//! the parts' MD5s (`"hex-N"`). It owns the `CompleteMultipartUpload` document
//! ([`parse_complete`], pure); it must never let an incomplete upload become visible as an object.

use crate::body::{
    checksum_plan, content_md5, ingest, BodyError, BodyFrame, ChecksumPlan, Expected, RequestBody,
};
use crate::buckets::{owner_of, read_bucket, write_owner};
use crate::db::{
    self, BucketRecord, ObjectPart, ObjectRecord, PartRecord, StoredChecksum, UploadRecord,
};
use crate::objects::{commit_object, content_headers, declared_size, WriteCondition};
use crate::request::{S3Caller, S3Request};
use crate::response::{doc, S3Response};
use crate::timefmt::iso8601_ms;
use crate::{names, tagging, xml_in, Inner, S3Error};
use futures_util::{StreamExt, TryStreamExt};
use tessera_blob::BlobId;
use tessera_checksum::{composite, multipart_etag, Algorithm, Checksum};
use tessera_store::Tx;

/// Every part but the last must be at least this large.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
const MAX_PART_NUMBER: u32 = 10_000;

/// One `<Part>` of a CompleteMultipartUpload document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: u32,
    pub etag: String,
    /// `(algorithm, base64)` if the client listed a part checksum.
    pub checksum: Option<(Algorithm, String)>,
}

/// Parses `<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>…`; part numbers must
/// ascend (`InvalidPartOrder`).
pub fn parse_complete(doc: &[u8]) -> Result<Vec<CompletedPart>, S3Error> {
    let root = xml_in::parse(doc).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "CompleteMultipartUpload" {
        return Err(S3Error::malformed_xml());
    }
    let mut parts: Vec<CompletedPart> = Vec::new();
    for p in root.all("Part") {
        let part_number = p
            .child_text("PartNumber")
            .and_then(|n| n.trim().parse::<u32>().ok())
            .ok_or_else(S3Error::malformed_xml)?;
        let etag = p
            .child_text("ETag")
            .ok_or_else(S3Error::malformed_xml)?
            .trim()
            .trim_matches('"')
            .to_owned();
        let checksum = Algorithm::ALL.into_iter().find_map(|alg| {
            let tag = format!("Checksum{}", alg.name());
            p.child_text(&tag).map(|v| (alg, v.trim().to_owned()))
        });
        if parts
            .last()
            .is_some_and(|last| last.part_number >= part_number)
        {
            return Err(S3Error::api(
                "InvalidPartOrder",
                400,
                "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
            ));
        }
        parts.push(CompletedPart {
            part_number,
            etag,
            checksum,
        });
    }
    if parts.is_empty() {
        return Err(S3Error::malformed_xml());
    }
    Ok(parts)
}

fn upload_id(req: &S3Request) -> Result<String, S3Error> {
    req.q("uploadId")
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .ok_or_else(S3Error::no_such_upload)
}

/// The bucket and upload of a request, checked against its key.
fn load_upload(
    tx: &mut dyn Tx,
    bucket: &str,
    upload: &str,
    key: &str,
) -> Result<(BucketRecord, UploadRecord), S3Error> {
    let b = db::bucket(tx, bucket)?;
    let u: UploadRecord = db::get(tx, db::UPLOAD, &format!("{}/{upload}", b.id))?
        .filter(|u: &UploadRecord| u.key == key)
        .ok_or_else(S3Error::no_such_upload)?;
    Ok((b, u))
}

/// Deletes an upload's part records, returning their blobs.
pub(crate) fn remove_parts(tx: &mut dyn Tx, upload: &str) -> Result<Vec<String>, S3Error> {
    let mut blobs = Vec::new();
    for (k, v) in tx.scan(db::PART, &format!("{upload}/"), None, usize::MAX)? {
        let p: PartRecord = db::decode(db::PART, &v)?;
        blobs.push(p.blob);
        tx.delete(db::PART, &k)?;
    }
    Ok(blobs)
}

fn checksum_headers(resp: S3Response, alg: Option<&str>, kind: Option<&str>) -> S3Response {
    match (alg, kind) {
        (Some(a), Some(k)) => resp
            .header("x-amz-checksum-algorithm", a)
            .header("x-amz-checksum-type", k),
        _ => resp,
    }
}

pub(crate) async fn create(
    s: &Inner,
    caller: &S3Caller,
    req: &S3Request,
) -> Result<S3Response, S3Error> {
    let key = req.key_name()?.to_owned();
    names::check_key(&key)?;
    let bucket = read_bucket(s, req.bucket_name()?).await?;
    let alg = match req.header("x-amz-checksum-algorithm") {
        Some(a) => Some(Algorithm::parse(a.trim()).ok_or_else(|| {
            S3Error::invalid_request("Checksum algorithm provided is unsupported.")
        })?),
        None => None,
    };
    let kind = match (req.header("x-amz-checksum-type"), alg) {
        (Some(t), Some(a)) => {
            let t = t.trim().to_ascii_uppercase();
            let ok = match t.as_str() {
                "COMPOSITE" => a.supports_composite(),
                "FULL_OBJECT" => a.supports_full_object(),
                _ => false,
            };
            if !ok {
                return Err(S3Error::invalid_request(format!(
                    "The {} checksum type is not supported for {}",
                    t,
                    a.name()
                )));
            }
            Some(t)
        }
        (Some(_), None) => {
            return Err(S3Error::invalid_request(
                "x-amz-checksum-type requires x-amz-checksum-algorithm",
            ))
        }
        (None, Some(a)) if a.supports_composite() => Some("COMPOSITE".to_owned()),
        (None, Some(_)) => Some("FULL_OBJECT".to_owned()),
        (None, None) => None,
    };
    let tags = match req.header("x-amz-tagging") {
        Some(t) => tagging::parse_tagging_header(t)?,
        None => Vec::new(),
    };
    let id = format!("{:032x}", rand::random::<u128>());
    let record = UploadRecord {
        key: key.clone(),
        initiated_ms: s.now_ms(),
        headers: content_headers(req)?,
        checksum_algorithm: alg.map(|a| a.name().to_owned()),
        checksum_type: kind.clone(),
        tags,
        owner: owner_of(caller),
    };
    let (name, bid, uid) = (bucket.name.clone(), bucket.id.clone(), id.clone());
    s.store
        .write(move |tx| {
            let b = db::bucket(tx, &name)?;
            if b.id != bid {
                return Err(S3Error::no_such_bucket());
            }
            db::put(tx, db::UPLOAD, &format!("{bid}/{uid}"), &record)
        })
        .await?;
    let mut w = doc("InitiateMultipartUploadResult");
    w.leaf("Bucket", &bucket.name);
    w.leaf("Key", &key);
    w.leaf("UploadId", &id);
    w.close("InitiateMultipartUploadResult");
    Ok(checksum_headers(
        S3Response::xml(w),
        alg.map(Algorithm::name),
        kind.as_deref(),
    ))
}

pub(crate) fn part_number(req: &S3Request) -> Result<u32, S3Error> {
    req.q("partNumber")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=MAX_PART_NUMBER).contains(n))
        .ok_or_else(|| {
            S3Error::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
            )
        })
}

/// Reads the upload (for UploadPart and UploadPartCopy).
pub(crate) async fn read_upload(
    s: &Inner,
    req: &S3Request,
) -> Result<(BucketRecord, UploadRecord, String), S3Error> {
    let (bucket, key) = (req.bucket_name()?.to_owned(), req.key_name()?.to_owned());
    let uid = upload_id(req)?;
    let u2 = uid.clone();
    let (b, u) = s
        .store
        .read(move |tx| load_upload(tx, &bucket, &u2, &key))
        .await?;
    Ok((b, u, uid))
}

/// The part's checksum plan: the request's own, else the upload's algorithm (computed only).
pub(crate) fn part_plan(
    req: &S3Request,
    upload: &UploadRecord,
) -> Result<Option<ChecksumPlan>, S3Error> {
    let upload_alg = upload
        .checksum_algorithm
        .as_deref()
        .and_then(Algorithm::parse);
    let plan = checksum_plan(req)?;
    if let (Some(p), Some(a)) = (&plan, upload_alg) {
        if p.alg != a {
            return Err(S3Error::invalid_request(format!(
                "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                a.name().to_ascii_lowercase(),
                p.alg.name().to_ascii_lowercase()
            )));
        }
    }
    Ok(plan.or(upload_alg.map(|alg| ChecksumPlan {
        alg,
        expected: Expected::None,
    })))
}

/// Stores a finished part blob (replacing any earlier upload of the same number).
pub(crate) async fn commit_part(
    s: &Inner,
    bucket: &BucketRecord,
    upload: &str,
    key: &str,
    number: u32,
    part: PartRecord,
) -> Result<(), S3Error> {
    let (name, up, k) = (bucket.name.clone(), upload.to_owned(), key.to_owned());
    let new_blob = part.blob.clone();
    let outcome = s
        .store
        .write(move |tx| {
            load_upload(tx, &name, &up, &k)?;
            let pk = db::part_key(&up, number);
            let old: Option<PartRecord> = db::get(tx, db::PART, &pk)?;
            db::put(tx, db::PART, &pk, &part)?;
            Ok(old.map(|o| o.blob).filter(|b| *b != part.blob))
        })
        .await;
    match outcome {
        Ok(old) => {
            s.delete_blobs(old).await;
            Ok(())
        }
        Err(e) => {
            s.delete_blobs([new_blob]).await;
            Err(e)
        }
    }
}

pub(crate) async fn upload_part(
    s: &Inner,
    req: &S3Request,
    body: RequestBody,
) -> Result<S3Response, S3Error> {
    let number = part_number(req)?;
    let (bucket, upload, uid) = read_upload(s, req).await?;
    if declared_size(req).is_some_and(|n| n > s.config.max_object_size) {
        return Err(S3Error::entity_too_large());
    }
    let plan = part_plan(req, &upload)?;
    let md5 = content_md5(req)?;
    // Parts are always blobs (inline limit 0): completing the upload concatenates them.
    let got = ingest(
        &s.blobs,
        body,
        md5,
        plan.as_ref(),
        s.config.max_object_size,
        (None, 0),
    )
    .await?;
    let etag = hex::encode(got.md5);
    let part = PartRecord {
        blob: got.content.blob_name(),
        size: got.size,
        md5: etag.clone(),
        last_modified_ms: s.now_ms(),
        checksum: got.checksum.as_ref().map(Checksum::to_base64),
    };
    commit_part(s, &bucket, &uid, &upload.key, number, part).await?;
    let mut resp = S3Response::empty(200).header("ETag", format!("\"{etag}\""));
    if let Some(c) = &got.checksum {
        resp = resp.header(c.algorithm().header_name(), c.to_base64());
    }
    Ok(resp)
}

fn invalid_part() -> S3Error {
    S3Error::api(
        "InvalidPart",
        400,
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    )
}

/// Streams the blobs in order as one request body.
fn concat(s: &Inner, blobs: Vec<BlobId>) -> RequestBody {
    let store = s.blobs.clone();
    let stream = futures_util::stream::iter(blobs)
        .then(move |id| {
            let store = store.clone();
            async move {
                let r = store.open(&id).await?;
                let len = r.len();
                r.into_stream(0, len)
            }
        })
        .try_flatten()
        .map(|chunk| {
            chunk.map(BodyFrame::Data).map_err(|e| {
                tracing::error!(error = %e, "reading a part blob failed");
                BodyError {
                    code: "InternalError",
                    message: "We encountered an internal error. Please try again.".into(),
                    status: 500,
                }
            })
        });
    Box::pin(stream)
}

pub(crate) async fn complete(
    s: &Inner,
    req: &S3Request,
    body: RequestBody,
) -> Result<S3Response, S3Error> {
    let (bucket_name, key) = (req.bucket_name()?.to_owned(), req.key_name()?.to_owned());
    let uid = upload_id(req)?;
    let listed = parse_complete(&crate::body::read_document(req, body).await?)?;
    let cond = WriteCondition::from_request(req)?;
    let (bn, k, u) = (bucket_name.clone(), key.clone(), uid.clone());
    let want = listed.clone();
    let (bucket, upload, parts) = s
        .store
        .read(move |tx| {
            let (b, up) = load_upload(tx, &bn, &u, &k)?;
            let mut parts = Vec::new();
            for (i, p) in want.iter().enumerate() {
                let rec: PartRecord = db::get(tx, db::PART, &db::part_key(&u, p.part_number))?
                    .ok_or_else(invalid_part)?;
                if rec.md5 != p.etag {
                    return Err(invalid_part());
                }
                if let Some((_, v)) = &p.checksum {
                    if rec.checksum.as_deref() != Some(v.as_str()) {
                        return Err(invalid_part());
                    }
                }
                if i + 1 < want.len() && rec.size < MIN_PART_SIZE {
                    return Err(S3Error::api(
                        "EntityTooSmall",
                        400,
                        "Your proposed upload is smaller than the minimum allowed object size.",
                    ));
                }
                parts.push(rec);
            }
            Ok((b, up, parts))
        })
        .await?;
    let md5s = parts
        .iter()
        .map(|p| {
            hex::decode(&p.md5)
                .ok()
                .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
                .ok_or_else(|| S3Error::Corrupt("part md5".into()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let etag = multipart_etag(&md5s);
    let alg = upload
        .checksum_algorithm
        .as_deref()
        .and_then(Algorithm::parse);
    let full_object = upload.checksum_type.as_deref() == Some("FULL_OBJECT");
    let plan = alg.filter(|_| full_object).map(|alg| ChecksumPlan {
        alg,
        expected: Expected::None,
    });
    let ids = parts
        .iter()
        .map(|p| BlobId::parse(&p.blob))
        .collect::<Result<Vec<_>, _>>()?;
    let got = ingest(
        &s.blobs,
        concat(s, ids),
        None,
        plan.as_ref(),
        u64::MAX,
        (None, 0),
    )
    .await?;
    let checksum = match (alg, full_object) {
        (Some(_), true) => got.checksum.as_ref().map(|c| StoredChecksum {
            algorithm: c.algorithm().name().to_owned(),
            value: c.to_base64(),
            kind: "FULL_OBJECT".into(),
        }),
        (Some(a), false) => {
            let sums: Option<Vec<Checksum>> = parts
                .iter()
                .map(|p| {
                    p.checksum
                        .as_deref()
                        .and_then(|v| Checksum::from_base64(a, v))
                })
                .collect();
            sums.and_then(|v| composite(a, &v))
                .map(|value| StoredChecksum {
                    algorithm: a.name().to_owned(),
                    value,
                    kind: "COMPOSITE".into(),
                })
        }
        (None, _) => None,
    };
    // The client may state the whole object's checksum when completing.
    let stated = alg.and_then(|a| req.header(a.header_name()));
    if let (Some(stated), Some(c)) = (stated, &checksum) {
        if stated.trim() != c.value {
            s.delete_blobs([got.content.blob_name()]).await;
            return Err(S3Error::bad_digest(format!(
                "The {} you specified did not match the calculated checksum.",
                c.algorithm
            )));
        }
    }
    let record = ObjectRecord {
        blob: got.content.blob_name(),
        inline: None,
        size: got.size,
        etag: etag.clone(),
        last_modified_ms: s.now_ms(),
        headers: upload.headers.clone(),
        checksum: checksum.clone(),
        parts: parts
            .iter()
            .map(|p| ObjectPart {
                size: p.size,
                checksum: p.checksum.clone(),
            })
            .collect(),
        tags: upload.tags.clone(),
        owner: upload.owner.clone(),
    };
    let (up, bid, part_blobs) = (
        uid.clone(),
        bucket.id.clone(),
        parts.iter().map(|p| p.blob.clone()).collect::<Vec<_>>(),
    );
    commit_object(s, &bucket, &key, record, cond, move |tx| {
        // The upload must still exist with the very parts that were concatenated.
        let still: Option<UploadRecord> = db::get(tx, db::UPLOAD, &format!("{bid}/{up}"))?;
        if still.is_none() {
            return Err(S3Error::no_such_upload());
        }
        let current = remove_parts(tx, &up)?;
        if part_blobs.iter().any(|b| !current.contains(b)) {
            return Err(invalid_part());
        }
        tx.delete(db::UPLOAD, &format!("{bid}/{up}"))?;
        Ok(current)
    })
    .await?;
    let mut w = doc("CompleteMultipartUploadResult");
    w.leaf("Location", &format!("/{bucket_name}/{key}"));
    w.leaf("Bucket", &bucket_name);
    w.leaf("Key", &key);
    w.leaf("ETag", &etag);
    if let Some(c) = &checksum {
        w.leaf(&format!("Checksum{}", c.algorithm), &c.value);
        w.leaf("ChecksumType", &c.kind);
    }
    w.close("CompleteMultipartUploadResult");
    Ok(S3Response::xml(w))
}

pub(crate) async fn abort(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let (bucket, key) = (req.bucket_name()?.to_owned(), req.key_name()?.to_owned());
    let uid = upload_id(req)?;
    let blobs = s
        .store
        .write(move |tx| {
            let (b, _) = load_upload(tx, &bucket, &uid, &key)?;
            let blobs = remove_parts(tx, &uid)?;
            tx.delete(db::UPLOAD, &format!("{}/{uid}", b.id))?;
            Ok::<_, S3Error>(blobs)
        })
        .await?;
    s.delete_blobs(blobs).await;
    Ok(S3Response::empty(204))
}

fn bounded(req: &S3Request, name: &str, default: usize) -> Result<usize, S3Error> {
    match req.q(name) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().map(|n| n.min(default)).map_err(|_| {
            S3Error::invalid_argument(format!(
                "Provided {name} not an integer or within integer range"
            ))
        }),
    }
}

pub(crate) async fn list_parts(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let (bucket, key) = (req.bucket_name()?.to_owned(), req.key_name()?.to_owned());
    let uid = upload_id(req)?;
    let max = bounded(req, "max-parts", 1000)?;
    let marker: u32 = match req.q("part-number-marker") {
        Some(m) => m
            .parse()
            .map_err(|_| S3Error::invalid_argument("Invalid part-number-marker"))?,
        None => 0,
    };
    let u = uid.clone();
    let (upload, parts, more) = s
        .store
        .read(move |tx| {
            let (_, up) = load_upload(tx, &bucket, &u, &key)?;
            let start = (marker > 0).then(|| db::part_key(&u, marker));
            let rows = tx.scan(db::PART, &format!("{u}/"), start.as_deref(), max + 1)?;
            let more = rows.len() > max;
            let mut parts = Vec::new();
            for (k, v) in rows.into_iter().take(max) {
                let n: u32 = k
                    .rsplit('/')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                parts.push((n, db::decode::<PartRecord>(db::PART, &v)?));
            }
            Ok::<_, S3Error>((up, parts, more))
        })
        .await?;
    let mut w = doc("ListPartsResult");
    w.leaf("Bucket", req.bucket_name()?);
    w.leaf("Key", &upload.key);
    w.leaf("UploadId", &uid);
    w.open("Initiator");
    w.leaf("ID", &upload.owner.canonical_id);
    w.leaf("DisplayName", &upload.owner.display_name);
    w.close("Initiator");
    write_owner(&mut w, &upload.owner);
    w.leaf("StorageClass", "STANDARD");
    w.leaf("PartNumberMarker", &marker.to_string());
    if let Some((n, _)) = parts.last() {
        w.leaf("NextPartNumberMarker", &n.to_string());
    }
    w.leaf("MaxParts", &max.to_string());
    w.leaf("IsTruncated", if more { "true" } else { "false" });
    if let (Some(a), Some(k)) = (&upload.checksum_algorithm, &upload.checksum_type) {
        w.leaf("ChecksumAlgorithm", a);
        w.leaf("ChecksumType", k);
    }
    for (n, p) in &parts {
        w.open("Part");
        w.leaf("PartNumber", &n.to_string());
        w.leaf("LastModified", &iso8601_ms(p.last_modified_ms));
        w.leaf("ETag", &format!("\"{}\"", p.md5));
        w.leaf("Size", &p.size.to_string());
        if let (Some(a), Some(c)) = (&upload.checksum_algorithm, &p.checksum) {
            w.leaf(&format!("Checksum{a}"), c);
        }
        w.close("Part");
    }
    w.close("ListPartsResult");
    Ok(S3Response::xml(w))
}

/// One line of a ListMultipartUploads answer.
enum UploadEntry<'a> {
    Upload(&'a str, &'a UploadRecord),
    Prefix(String),
}

/// Most uploads one listing reads before sorting (in-progress uploads of one bucket).
const MAX_SCANNED_UPLOADS: usize = 100_000;

pub(crate) async fn list_uploads(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let bucket = req.bucket_name()?.to_owned();
    let max = bounded(req, "max-uploads", 1000)?;
    let prefix = req.q("prefix").unwrap_or("").to_owned();
    let key_marker = req.q("key-marker").unwrap_or("").to_owned();
    let id_marker = req.q("upload-id-marker").unwrap_or("").to_owned();
    let delimiter = req
        .q("delimiter")
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    let mut uploads = s
        .store
        .read(move |tx| {
            let b = db::bucket(tx, &bucket)?;
            let base = format!("{}/", b.id);
            let mut out = Vec::new();
            for (k, v) in tx.scan(db::UPLOAD, &base, None, MAX_SCANNED_UPLOADS)? {
                let u: UploadRecord = db::decode(db::UPLOAD, &v)?;
                out.push((k.get(base.len()..).unwrap_or_default().to_owned(), u));
            }
            Ok::<_, S3Error>(out)
        })
        .await?;
    uploads.retain(|(id, u)| {
        u.key.starts_with(&prefix)
            && (key_marker.is_empty()
                || u.key > key_marker
                || (u.key == key_marker && !id_marker.is_empty() && *id > id_marker))
    });
    uploads.sort_by(|(ia, a), (ib, b)| {
        (a.key.as_str(), a.initiated_ms, ia).cmp(&(b.key.as_str(), b.initiated_ms, ib))
    });
    let mut entries: Vec<UploadEntry> = Vec::new();
    let mut truncated = false;
    for (id, u) in &uploads {
        let cp = delimiter.as_deref().and_then(|d| {
            let rest = u.key.get(prefix.len()..)?;
            rest.find(d)
                .and_then(|i| u.key.get(..prefix.len() + i + d.len()))
        });
        if let Some(cp) = cp {
            if matches!(entries.last(), Some(UploadEntry::Prefix(p)) if p == cp) {
                continue;
            }
        }
        if entries.len() == max {
            truncated = true;
            break;
        }
        entries.push(match cp {
            Some(cp) => UploadEntry::Prefix(cp.to_owned()),
            None => UploadEntry::Upload(id, u),
        });
    }
    let mut w = doc("ListMultipartUploadsResult");
    w.leaf("Bucket", req.bucket_name()?);
    w.leaf("KeyMarker", &key_marker);
    w.leaf("UploadIdMarker", &id_marker);
    if truncated {
        match entries.last() {
            Some(UploadEntry::Upload(id, u)) => {
                w.leaf("NextKeyMarker", &u.key);
                w.leaf("NextUploadIdMarker", id);
            }
            Some(UploadEntry::Prefix(cp)) => w.leaf("NextKeyMarker", cp),
            None => {}
        }
    }
    w.leaf("Prefix", &prefix);
    if let Some(d) = &delimiter {
        w.leaf("Delimiter", d);
    }
    w.leaf("MaxUploads", &max.to_string());
    w.leaf("IsTruncated", if truncated { "true" } else { "false" });
    for entry in &entries {
        if let UploadEntry::Upload(id, u) = entry {
            w.open("Upload");
            w.leaf("Key", &u.key);
            w.leaf("UploadId", id);
            w.open("Initiator");
            w.leaf("ID", &u.owner.canonical_id);
            w.leaf("DisplayName", &u.owner.display_name);
            w.close("Initiator");
            write_owner(&mut w, &u.owner);
            w.leaf("StorageClass", "STANDARD");
            w.leaf("Initiated", &iso8601_ms(u.initiated_ms));
            if let Some(a) = &u.checksum_algorithm {
                w.leaf("ChecksumAlgorithm", a);
            }
            w.close("Upload");
        }
    }
    for entry in &entries {
        if let UploadEntry::Prefix(cp) = entry {
            w.open("CommonPrefixes");
            w.leaf("Prefix", cp);
            w.close("CommonPrefixes");
        }
    }
    w.close("ListMultipartUploadsResult");
    Ok(S3Response::xml(w))
}
