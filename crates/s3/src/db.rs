//! S3's records in the store: namespaces, key layout and (de)serialization.
//!
//! - `s3.bucket`: bucket name → [`BucketRecord`].
//! - `s3.owned`: `{account}/{bucket name}` → empty; ListBuckets scans an account's slice.
//! - `s3.obj`: `{bucket id}/{key}` → [`ObjectRecord`] as JSON, then, for a small object, a NUL
//!   byte and the object's bytes (JSON text never contains a raw NUL, so the split is exact).
//!   Keys sort bytewise, so a listing is one scan from `{bucket id}/{prefix}`. The bucket id is random per creation, so a bucket deleted
//!   and re-created never sees the old one's objects.
//! - `s3.upload`: `{bucket id}/{upload id}` → [`UploadRecord`]; `s3.part`:
//!   `{upload id}/{part number, 5 digits}` → [`PartRecord`].
//!
//! This module must never know HTTP or the wire formats; it must never write a blob.

use crate::S3Error;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tessera_store::{Namespace, Tx};

pub const BUCKET: Namespace = "s3.bucket";
pub const OWNED: Namespace = "s3.owned";
pub const OBJECT: Namespace = "s3.obj";
pub const UPLOAD: Namespace = "s3.upload";
pub const PART: Namespace = "s3.part";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Owner {
    pub account: String,
    pub canonical_id: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketRecord {
    pub id: String,
    pub name: String,
    pub owner: Owner,
    pub region: String,
    pub created_ms: u64,
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    #[serde(default)]
    pub cors: Option<Vec<crate::cors::CorsRule>>,
}

/// The representation headers S3 stores with an object and returns on GET/HEAD.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ContentHeaders {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
    /// `x-amz-meta-*` pairs, names lowercased, without the prefix.
    pub meta: Vec<(String, String)>,
}

/// An object's stored checksum: algorithm name (`CRC32`…), base64 value and type.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredChecksum {
    pub algorithm: String,
    pub value: String,
    /// `FULL_OBJECT` or `COMPOSITE`.
    pub kind: String,
}

/// One part of an object completed from a multipart upload (for `partNumber` reads and
/// GetObjectAttributes).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ObjectPart {
    pub size: u64,
    pub checksum: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectRecord {
    /// The blob holding the bytes; empty when they are inline.
    #[serde(default)]
    pub blob: String,
    /// The bytes of a small object, stored after the JSON (see the module docs).
    #[serde(skip)]
    pub inline: Option<Bytes>,
    pub size: u64,
    /// Quoted, as sent in the `ETag` header.
    pub etag: String,
    pub last_modified_ms: u64,
    pub headers: ContentHeaders,
    pub checksum: Option<StoredChecksum>,
    #[serde(default)]
    pub parts: Vec<ObjectPart>,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    pub owner: Owner,
}

impl ObjectRecord {
    /// The blob this record owns, if its bytes are not inline: what to delete once a commit
    /// stops referencing it.
    pub fn owned_blob(&self) -> Option<String> {
        (self.inline.is_none() && !self.blob.is_empty()).then(|| self.blob.clone())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadRecord {
    pub key: String,
    pub initiated_ms: u64,
    pub headers: ContentHeaders,
    pub checksum_algorithm: Option<String>,
    /// `COMPOSITE` or `FULL_OBJECT` when a checksum algorithm is set.
    pub checksum_type: Option<String>,
    pub tags: Vec<(String, String)>,
    pub owner: Owner,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartRecord {
    pub blob: String,
    pub size: u64,
    /// Hex MD5 of the part, unquoted.
    pub md5: String,
    pub last_modified_ms: u64,
    pub checksum: Option<String>,
}

pub fn object_key(bucket_id: &str, key: &str) -> String {
    format!("{bucket_id}/{key}")
}

pub fn part_key(upload_id: &str, part: u32) -> String {
    format!("{upload_id}/{part:05}")
}

pub fn get<T: DeserializeOwned>(
    tx: &mut dyn Tx,
    ns: Namespace,
    key: &str,
) -> Result<Option<T>, S3Error> {
    match tx.get(ns, key)? {
        Some(bytes) => decode(ns, &bytes).map(Some),
        None => Ok(None),
    }
}

pub fn put<T: Serialize>(tx: &mut dyn Tx, ns: Namespace, key: &str, v: &T) -> Result<(), S3Error> {
    let bytes = serde_json::to_vec(v).map_err(|e| S3Error::Corrupt(format!("{ns}: {e}")))?;
    tx.put(ns, key, &bytes)?;
    Ok(())
}

pub fn decode<T: DeserializeOwned>(ns: Namespace, bytes: &[u8]) -> Result<T, S3Error> {
    serde_json::from_slice(bytes).map_err(|e| S3Error::Corrupt(format!("{ns}: {e}")))
}

/// The object record at `key`, with its inline bytes.
pub fn get_object(tx: &mut dyn Tx, key: &str) -> Result<Option<ObjectRecord>, S3Error> {
    match tx.get(OBJECT, key)? {
        Some(bytes) => decode_object(&bytes, true).map(Some),
        None => Ok(None),
    }
}

pub fn put_object(tx: &mut dyn Tx, key: &str, o: &ObjectRecord) -> Result<(), S3Error> {
    tx.put(OBJECT, key, &encode_object(o)?)?;
    Ok(())
}

fn encode_object(o: &ObjectRecord) -> Result<Vec<u8>, S3Error> {
    let mut bytes =
        serde_json::to_vec(o).map_err(|e| S3Error::Corrupt(format!("{OBJECT}: {e}")))?;
    if let Some(inline) = &o.inline {
        bytes.reserve(1 + inline.len());
        bytes.push(0);
        bytes.extend_from_slice(inline);
    }
    Ok(bytes)
}

/// An object record as stored; its inline bytes only if `with_body` (listings skip them).
pub fn decode_object(bytes: &[u8], with_body: bool) -> Result<ObjectRecord, S3Error> {
    let split = bytes.iter().position(|&b| b == 0);
    let json = split.map_or(bytes, |at| &bytes[..at]);
    let mut o: ObjectRecord = decode(OBJECT, json)?;
    if let Some(at) = split {
        // Inline even when not returned, so `owned_blob` never names a blob that is not there.
        o.inline = Some(if with_body {
            Bytes::copy_from_slice(&bytes[at + 1..])
        } else {
            Bytes::new()
        });
    }
    Ok(o)
}

/// The bucket by name, or `NoSuchBucket`.
pub fn bucket(tx: &mut dyn Tx, name: &str) -> Result<BucketRecord, S3Error> {
    get(tx, BUCKET, name)?.ok_or_else(S3Error::no_such_bucket)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(inline: Option<&'static [u8]>) -> ObjectRecord {
        ObjectRecord {
            blob: if inline.is_some() {
                String::new()
            } else {
                "b1".into()
            },
            inline: inline.map(Bytes::from_static),
            size: inline.map_or(7, |b| b.len() as u64),
            etag: "\"e\"".into(),
            last_modified_ms: 1,
            headers: ContentHeaders {
                // JSON escapes control characters: a NUL in metadata must not split the record.
                content_type: Some("text/\u{0}plain".into()),
                ..ContentHeaders::default()
            },
            checksum: None,
            parts: Vec::new(),
            tags: Vec::new(),
            owner: Owner {
                account: "111122223333".into(),
                canonical_id: "c".into(),
                display_name: "d".into(),
            },
        }
    }

    #[test]
    fn records_round_trip_with_and_without_inline_bytes() {
        for inline in [None, Some(&b""[..]), Some(&b"\0bytes\0with\0NULs\0"[..])] {
            let o = record(inline);
            let bytes = encode_object(&o).unwrap();
            let back = decode_object(&bytes, true).unwrap();
            assert_eq!(back.inline.as_deref(), inline);
            assert_eq!(back.headers, o.headers);
            assert_eq!(back.owned_blob(), inline.is_none().then(|| "b1".to_owned()));
            let meta = decode_object(&bytes, false).unwrap();
            assert_eq!(
                meta.owned_blob(),
                back.owned_blob(),
                "listings see the same owner"
            );
        }
    }
}
