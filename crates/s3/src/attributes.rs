//! GetObjectAttributes: the attributes named in `x-amz-object-attributes` (ETag, Checksum,
//! ObjectParts, StorageClass, ObjectSize) from the object's record. It must never read the blob.

use crate::objects::read_object;
use crate::request::S3Request;
use crate::response::{doc, S3Response};
use crate::timefmt::http_date;
use crate::{Inner, S3Error};

const KNOWN: [&str; 5] = [
    "ETag",
    "Checksum",
    "ObjectParts",
    "StorageClass",
    "ObjectSize",
];

pub(crate) async fn get_object_attributes(
    s: &Inner,
    req: &S3Request,
) -> Result<S3Response, S3Error> {
    let wanted: Vec<String> = req
        .headers
        .get_all("x-amz-object-attributes")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    if wanted.is_empty() {
        return Err(S3Error::invalid_argument(
            "Empty value provided for input HTTP header x-amz-object-attributes.",
        ));
    }
    if let Some(bad) = wanted.iter().find(|a| !KNOWN.contains(&a.as_str())) {
        return Err(S3Error::invalid_argument(format!(
            "Invalid attribute name specified: {bad}"
        )));
    }
    let has = |a: &str| wanted.iter().any(|w| w == a);
    let (_, o) = read_object(s, req.bucket_name()?, req.key_name()?).await?;
    let mut w = doc("GetObjectAttributesResponse");
    if has("ETag") {
        w.leaf("ETag", o.etag.trim_matches('"'));
    }
    if has("Checksum") {
        if let Some(c) = &o.checksum {
            w.open("Checksum");
            w.leaf(&format!("Checksum{}", c.algorithm), &c.value);
            w.leaf("ChecksumType", &c.kind);
            w.close("Checksum");
        }
    }
    if has("ObjectParts") && !o.parts.is_empty() {
        let max: usize = req
            .header("x-amz-max-parts")
            .and_then(|m| m.parse().ok())
            .unwrap_or(1000)
            .min(1000);
        let marker: usize = req
            .header("x-amz-part-number-marker")
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        let shown: Vec<_> = o.parts.iter().enumerate().skip(marker).take(max).collect();
        w.open("ObjectParts");
        w.leaf("TotalPartsCount", &o.parts.len().to_string());
        w.leaf("PartNumberMarker", &marker.to_string());
        if let Some((i, _)) = shown.last() {
            w.leaf("NextPartNumberMarker", &(i + 1).to_string());
        }
        w.leaf("MaxParts", &max.to_string());
        let truncated = marker + shown.len() < o.parts.len();
        w.leaf("IsTruncated", if truncated { "true" } else { "false" });
        for (i, p) in &shown {
            w.open("Part");
            w.leaf("PartNumber", &(i + 1).to_string());
            w.leaf("Size", &p.size.to_string());
            if let (Some(c), Some(v)) = (&o.checksum, &p.checksum) {
                w.leaf(&format!("Checksum{}", c.algorithm), v);
            }
            w.close("Part");
        }
        w.close("ObjectParts");
    }
    if has("StorageClass") {
        w.leaf("StorageClass", "STANDARD");
    }
    if has("ObjectSize") {
        w.leaf("ObjectSize", &o.size.to_string());
    }
    w.close("GetObjectAttributesResponse");
    Ok(S3Response::xml(w).header("Last-Modified", http_date(o.last_modified_ms)))
}
