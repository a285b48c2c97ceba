//! ListObjects (v1), ListObjectsV2 and ListObjectVersions (every object is its only, `null`,
//! version, since versioning is never enabled): prefix, delimiter and `CommonPrefixes`, markers and
//! continuation tokens, `max-keys`, `fetch-owner` and `encoding-type=url`. Keys are listed in
//! bytewise (UTF-8) order straight from one store scan; a common prefix is skipped over in one
//! jump rather than read key by key. It must never read blobs.

use crate::buckets::{decode_token, encode_token, write_owner};
use crate::db::{self, ObjectRecord};
use crate::request::S3Request;
use crate::response::{doc, S3Response};
use crate::timefmt::iso8601_ms;
use crate::{Inner, S3Error};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tessera_store::Tx;

const MAX_KEYS: usize = 1000;
const SCAN_BATCH: usize = 1000;

/// `encoding-type=url`: everything but unreserved characters and `/` is percent-encoded.
const URL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// One listing request, independent of the API version.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Keys (and common prefixes) at or before this are not listed.
    pub start_after: Option<String>,
    pub max_keys: usize,
}

#[derive(Debug)]
pub(crate) enum Entry {
    Object(String, Box<ObjectRecord>),
    Prefix(String),
}

#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub entries: Vec<Entry>,
    pub truncated: bool,
}

impl Listing {
    /// The name of the last entry, where the next page starts after.
    fn last(&self) -> Option<&str> {
        self.entries.last().map(|e| match e {
            Entry::Object(k, _) | Entry::Prefix(k) => k.as_str(),
        })
    }
}

/// Lists a bucket's objects (bucket id `bucket_id`) inside a read transaction.
pub(crate) fn list(tx: &mut dyn Tx, bucket_id: &str, q: &ListQuery) -> Result<Listing, S3Error> {
    let mut out = Listing::default();
    if q.max_keys == 0 {
        return Ok(out);
    }
    let base = format!("{bucket_id}/");
    let scan_prefix = format!("{base}{}", q.prefix);
    let mut cursor = q.start_after.as_ref().map(|m| format!("{base}{m}"));
    let mut last_prefix: Option<String> = None;
    'scan: loop {
        let page = tx.scan(db::OBJECT, &scan_prefix, cursor.as_deref(), SCAN_BATCH)?;
        let full = page.len() == SCAN_BATCH;
        for (k, v) in page {
            let key = k.get(base.len()..).unwrap_or_default();
            let group = q.delimiter.as_deref().and_then(|d| {
                let rest = key.get(q.prefix.len()..)?;
                let i = rest.find(d)?;
                key.get(..q.prefix.len() + i + d.len())
            });
            if let Some(cp) = group.map(str::to_owned) {
                let cp = cp.as_str();
                let seen = last_prefix.as_deref() == Some(cp)
                    || q.start_after.as_deref().is_some_and(|m| cp <= m);
                if !seen {
                    if out.entries.len() == q.max_keys {
                        out.truncated = true;
                        break 'scan;
                    }
                    out.entries.push(Entry::Prefix(cp.to_owned()));
                }
                // Skip the rest of the group: no UTF-8 key continues a prefix with a character
                // above U+10FFFF; the few keys that continue with U+10FFFF itself sort after the
                // jump target, are caught by `last_prefix`, and move the cursor past themselves.
                let jump = format!("{base}{cp}\u{10FFFF}");
                last_prefix = Some(cp.to_owned());
                cursor = Some(jump.max(k));
                continue 'scan;
            }
            if out.entries.len() == q.max_keys {
                out.truncated = true;
                break 'scan;
            }
            let rec: ObjectRecord = db::decode(db::OBJECT, &v)?;
            out.entries
                .push(Entry::Object(key.to_owned(), Box::new(rec)));
            cursor = Some(k);
        }
        if !full {
            break;
        }
    }
    Ok(out)
}

/// `encoding-type`: only `url` exists.
fn url_encoding(req: &S3Request) -> Result<bool, S3Error> {
    match req.q("encoding-type") {
        None => Ok(false),
        Some(e) if e.eq_ignore_ascii_case("url") => Ok(true),
        Some(_) => Err(S3Error::invalid_argument(
            "Invalid Encoding Method specified in Request",
        )),
    }
}

fn encode(url: bool, s: &str) -> String {
    if url {
        utf8_percent_encode(s, URL_ENCODE).to_string()
    } else {
        s.to_owned()
    }
}

fn parse_max_keys(req: &S3Request) -> Result<usize, S3Error> {
    match req.q("max-keys") {
        None => Ok(MAX_KEYS),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| usize::try_from(n).unwrap_or(MAX_KEYS).min(MAX_KEYS))
            .ok_or_else(|| {
                S3Error::invalid_argument(
                    "Provided max-keys not an integer or within integer range",
                )
            }),
    }
}

pub(crate) async fn list_objects(
    s: &Inner,
    req: &S3Request,
    v2: bool,
) -> Result<S3Response, S3Error> {
    let bucket = req.bucket_name()?.to_owned();
    let url = url_encoding(req)?;
    let token = match req.q("continuation-token").filter(|_| v2) {
        Some("") => {
            return Err(S3Error::invalid_argument(
                "The continuation token provided is incorrect",
            ))
        }
        Some(t) => Some(decode_token(t)?),
        None => None,
    };
    let start_after = if v2 {
        token
            .clone()
            .or_else(|| req.q("start-after").map(str::to_owned))
    } else {
        req.q("marker").map(str::to_owned)
    }
    .filter(|m| !m.is_empty());
    let q = ListQuery {
        prefix: req.q("prefix").unwrap_or("").to_owned(),
        delimiter: req
            .q("delimiter")
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
        start_after,
        max_keys: parse_max_keys(req)?,
    };
    let fetch_owner = !v2 || req.q("fetch-owner").is_some_and(|v| v == "true");
    let query = q.clone();
    let (listing, name) = s
        .store
        .read(move |tx| {
            let b = db::bucket(tx, &bucket)?;
            Ok::<_, S3Error>((list(tx, &b.id, &query)?, b.name))
        })
        .await?;
    let enc = |s: &str| encode(url, s);
    let mut w = doc("ListBucketResult");
    w.leaf("Name", &name);
    w.leaf("Prefix", &enc(&q.prefix));
    if v2 {
        if let Some(t) = req.q("continuation-token") {
            w.leaf("ContinuationToken", t);
        }
        if let Some(sa) = req.q("start-after") {
            w.leaf("StartAfter", &enc(sa));
        }
        w.leaf("KeyCount", &listing.entries.len().to_string());
    } else {
        w.leaf("Marker", &enc(req.q("marker").unwrap_or("")));
    }
    w.leaf("MaxKeys", &q.max_keys.to_string());
    if let Some(d) = &q.delimiter {
        w.leaf("Delimiter", &enc(d));
    }
    if url {
        w.leaf("EncodingType", "url");
    }
    w.leaf(
        "IsTruncated",
        if listing.truncated { "true" } else { "false" },
    );
    if listing.truncated {
        if let Some(last) = listing.last() {
            if v2 {
                w.leaf("NextContinuationToken", &encode_token(last));
            } else {
                w.leaf("NextMarker", &enc(last));
            }
        }
    }
    for e in &listing.entries {
        if let Entry::Object(key, o) = e {
            w.open("Contents");
            w.leaf("Key", &enc(key));
            w.leaf("LastModified", &iso8601_ms(o.last_modified_ms));
            w.leaf("ETag", &o.etag);
            if let Some(c) = &o.checksum {
                w.leaf("ChecksumAlgorithm", &c.algorithm);
                w.leaf("ChecksumType", &c.kind);
            }
            w.leaf("Size", &o.size.to_string());
            if fetch_owner {
                write_owner(&mut w, &o.owner);
            }
            w.leaf("StorageClass", "STANDARD");
            w.close("Contents");
        }
    }
    for e in &listing.entries {
        if let Entry::Prefix(p) = e {
            w.open("CommonPrefixes");
            w.leaf("Prefix", &enc(p));
            w.close("CommonPrefixes");
        }
    }
    w.close("ListBucketResult");
    Ok(S3Response::xml(w))
}

/// ListObjectVersions: the same listing, each object as its one `null` version.
pub(crate) async fn list_object_versions(
    s: &Inner,
    req: &S3Request,
) -> Result<S3Response, S3Error> {
    let bucket = req.bucket_name()?.to_owned();
    let url = url_encoding(req)?;
    let q = ListQuery {
        prefix: req.q("prefix").unwrap_or("").to_owned(),
        delimiter: req
            .q("delimiter")
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
        start_after: req
            .q("key-marker")
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
        max_keys: parse_max_keys(req)?,
    };
    let query = q.clone();
    let (listing, name) = s
        .store
        .read(move |tx| {
            let b = db::bucket(tx, &bucket)?;
            Ok::<_, S3Error>((list(tx, &b.id, &query)?, b.name))
        })
        .await?;
    let enc = |s: &str| encode(url, s);
    let mut w = doc("ListVersionsResult");
    w.leaf("Name", &name);
    w.leaf("Prefix", &enc(&q.prefix));
    w.leaf("KeyMarker", &enc(req.q("key-marker").unwrap_or("")));
    w.leaf("VersionIdMarker", req.q("version-id-marker").unwrap_or(""));
    if listing.truncated {
        if let Some(last) = listing.last() {
            w.leaf("NextKeyMarker", &enc(last));
            w.leaf("NextVersionIdMarker", "null");
        }
    }
    w.leaf("MaxKeys", &q.max_keys.to_string());
    if let Some(d) = &q.delimiter {
        w.leaf("Delimiter", &enc(d));
    }
    if url {
        w.leaf("EncodingType", "url");
    }
    w.leaf(
        "IsTruncated",
        if listing.truncated { "true" } else { "false" },
    );
    for e in &listing.entries {
        if let Entry::Object(key, o) = e {
            w.open("Version");
            w.leaf("Key", &enc(key));
            w.leaf("VersionId", "null");
            w.leaf("IsLatest", "true");
            w.leaf("LastModified", &iso8601_ms(o.last_modified_ms));
            w.leaf("ETag", &o.etag);
            w.leaf("Size", &o.size.to_string());
            write_owner(&mut w, &o.owner);
            w.leaf("StorageClass", "STANDARD");
            w.close("Version");
        }
    }
    for e in &listing.entries {
        if let Entry::Prefix(p) = e {
            w.open("CommonPrefixes");
            w.leaf("Prefix", &enc(p));
            w.close("CommonPrefixes");
        }
    }
    w.close("ListVersionsResult");
    Ok(S3Response::xml(w))
}
