//! S3's records in the store: namespaces, key layout and (de)serialization.
//!
//! - `s3.bucket`: bucket name → [`BucketRecord`].
//! - `s3.owned`: `{account}/{bucket name}` → empty; ListBuckets scans an account's slice.
//! - `s3.obj`: `{bucket id}/{key}` → [`ObjectRecord`]. Keys sort bytewise, so a listing is one
//!   scan from `{bucket id}/{prefix}`. The bucket id is random per creation, so a bucket deleted
//!   and re-created never sees the old one's objects.
//! - `s3.upload`: `{bucket id}/{upload id}` → [`UploadRecord`]; `s3.part`:
//!   `{upload id}/{part number, 5 digits}` → [`PartRecord`].
//!
//! This module must never know HTTP or the wire formats; it must never write a blob.

use crate::S3Error;
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
    pub blob: String,
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

/// The bucket by name, or `NoSuchBucket`.
pub fn bucket(tx: &mut dyn Tx, name: &str) -> Result<BucketRecord, S3Error> {
    get(tx, BUCKET, name)?.ok_or_else(S3Error::no_such_bucket)
}
