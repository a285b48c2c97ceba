//! S3's records in the store: namespaces, key layout and (de)serialization.
//!
//! - `s3.bucket`: bucket name → [`BucketRecord`].
//! - `s3.owned`: `{account}/{bucket name}` → empty; ListBuckets scans an account's slice.
//! - `s3.obj`: `{bucket id}/{key}` → [`ObjectRecord`]. Keys sort bytewise, so a listing is one
//!   scan from `{bucket id}/{prefix}`. The bucket id is random per creation, so a bucket deleted
//!   and re-created never sees the old one's objects.
//! - `s3.inline`: the same key → the bytes of a small object (one whose record names no blob).
//!   A row of its own so that listings never read object bytes. Only [`put_object`] and
//!   [`delete_object`] write either namespace, so the two rows change together.
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
pub const INLINE: Namespace = "s3.inline";
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
    /// The bytes of a small object, stored in their own row (see the module docs); `None` also
    /// when the record was read by a listing, which never reads them.
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
        (!self.blob.is_empty()).then(|| self.blob.clone())
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
    let Some(mut o) = get::<ObjectRecord>(tx, OBJECT, key)? else {
        return Ok(None);
    };
    if o.blob.is_empty() {
        let bytes = tx
            .get(INLINE, key)?
            .ok_or_else(|| S3Error::Corrupt(format!("{INLINE}: no bytes for {key}")))?;
        o.inline = Some(Bytes::from(bytes));
    }
    Ok(Some(o))
}

/// Writes the record at `key` and its inline bytes, or removes the bytes of an inline object it
/// replaces.
pub fn put_object(tx: &mut dyn Tx, key: &str, o: &ObjectRecord) -> Result<(), S3Error> {
    match (&o.inline, o.blob.is_empty()) {
        (Some(bytes), true) => tx.put(INLINE, key, bytes)?,
        (None, false) => {
            tx.delete(INLINE, key)?;
        }
        _ => {
            return Err(S3Error::Corrupt(format!(
                "{OBJECT}: a record must name a blob or carry bytes, not both or neither ({key})"
            )))
        }
    }
    put(tx, OBJECT, key, o)
}

/// Removes the record at `key` and any inline bytes; returns the record that was there.
pub fn delete_object(tx: &mut dyn Tx, key: &str) -> Result<Option<ObjectRecord>, S3Error> {
    let old = get::<ObjectRecord>(tx, OBJECT, key)?;
    if let Some(o) = &old {
        tx.delete(OBJECT, key)?;
        if o.blob.is_empty() {
            tx.delete(INLINE, key)?;
        }
    }
    Ok(old)
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
    fn inline_bytes_live_and_die_with_their_record() {
        let dir = tempfile::tempdir().unwrap();
        let store = tessera_store::Store::open_sqlite(dir.path()).unwrap();
        store
            .write_blocking(|tx| -> Result<(), S3Error> {
                let bytes = &b"\0bytes\0with\0NULs\0"[..];
                put_object(tx, "b/small", &record(Some(bytes)))?;
                put_object(tx, "b/large", &record(None))?;
                let small = get_object(tx, "b/small")?.unwrap();
                assert_eq!(small.inline.as_deref(), Some(bytes));
                assert_eq!(
                    small.headers.content_type.as_deref(),
                    Some("text/\u{0}plain")
                );
                assert_eq!(small.owned_blob(), None);
                let large = get_object(tx, "b/large")?.unwrap();
                assert_eq!(
                    (large.inline.clone(), large.owned_blob()),
                    (None, Some("b1".into()))
                );
                // Replacing a small object by a large one drops its bytes; deleting drops both.
                put_object(tx, "b/small", &record(None))?;
                assert!(tx.get(INLINE, "b/small")?.is_none());
                put_object(tx, "b/large", &record(Some(b"x")))?;
                assert!(delete_object(tx, "b/large")?.is_some());
                assert!(tx.get(INLINE, "b/large")?.is_none());
                assert!(get_object(tx, "b/large")?.is_none());
                // Neither bytes nor a blob, or both: refused, nothing written.
                let mut bad = record(None);
                bad.blob.clear();
                assert!(put_object(tx, "b/bad", &bad).is_err());
                let mut bad = record(Some(b"x"));
                bad.blob = "b2".into();
                assert!(put_object(tx, "b/bad", &bad).is_err());
                assert!(get_object(tx, "b/bad")?.is_none());
                Ok(())
            })
            .unwrap();
    }
}
