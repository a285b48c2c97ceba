//! Object and bucket tagging: Put/Get/DeleteObjectTagging, Put/Get/DeleteBucketTagging and the
//! `x-amz-tagging` header of PutObject. It owns the `Tagging` document ([`parse_tagging`], pure)
//! and S3's tag limits; it must never touch blobs.

use crate::body::{read_small, RequestBody};
use crate::buckets::update_bucket;
use crate::db::{self, ObjectRecord};
use crate::request::{decode_query, S3Request};
use crate::response::{doc, S3Response};
use crate::{xml_in, Inner, S3Error};

fn invalid_tag(message: &str) -> S3Error {
    S3Error::api("InvalidTag", 400, message)
}

/// Checks S3's limits: keys 1–128 and values 0–256 characters, unique keys, at most `max` tags.
fn check_tags(tags: &[(String, String)], max: usize) -> Result<(), S3Error> {
    if tags.len() > max {
        return Err(S3Error::api(
            "BadRequest",
            400,
            format!("Object tags cannot be greater than {max}"),
        ));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(invalid_tag("The TagKey you have provided is invalid"));
        }
        if v.chars().count() > 256 {
            return Err(invalid_tag("The TagValue you have provided is invalid"));
        }
        if tags[..i].iter().any(|(other, _)| other == k) {
            return Err(invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    Ok(())
}

/// `x-amz-tagging: k1=v1&k2=v2` (URL query encoding).
pub(crate) fn parse_tagging_header(v: &str) -> Result<Vec<(String, String)>, S3Error> {
    let tags = decode_query(v)?;
    check_tags(&tags, 10)?;
    Ok(tags)
}

/// Parses a `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>` document.
pub fn parse_tagging(doc: &[u8]) -> Result<Vec<(String, String)>, S3Error> {
    let root = xml_in::parse(doc).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "Tagging" {
        return Err(S3Error::malformed_xml());
    }
    let set = root.child("TagSet").ok_or_else(S3Error::malformed_xml)?;
    set.all("Tag")
        .map(|t| {
            Some((
                t.child_text("Key")?.to_owned(),
                t.child_text("Value").unwrap_or("").to_owned(),
            ))
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(S3Error::malformed_xml)
}

fn tagging_doc(tags: &[(String, String)]) -> S3Response {
    let mut w = doc("Tagging");
    w.open("TagSet");
    for (k, v) in tags {
        w.open("Tag");
        w.leaf("Key", k);
        w.leaf("Value", v);
        w.close("Tag");
    }
    w.close("TagSet");
    w.close("Tagging");
    S3Response::xml(w)
}

/// Replaces an object's tags (`None` clears them).
async fn set_object_tags(
    s: &Inner,
    req: &S3Request,
    tags: Vec<(String, String)>,
) -> Result<(), S3Error> {
    let (bucket, key) = (req.bucket_name()?.to_owned(), req.key_name()?.to_owned());
    s.store
        .write(move |tx| {
            let b = db::bucket(tx, &bucket)?;
            let k = db::object_key(&b.id, &key);
            let mut o: ObjectRecord = db::get_object(tx, &k)?.ok_or_else(S3Error::no_such_key)?;
            o.tags = tags;
            db::put_object(tx, &k, &o)
        })
        .await
}

pub(crate) async fn put_object(
    s: &Inner,
    req: &S3Request,
    body: RequestBody,
) -> Result<S3Response, S3Error> {
    let tags = parse_tagging(&read_small(req, body, xml_in::MAX_DOC).await?)?;
    check_tags(&tags, 10)?;
    set_object_tags(s, req, tags).await?;
    Ok(S3Response::empty(200))
}

pub(crate) async fn get_object(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let (_, o) = crate::objects::read_object(s, req.bucket_name()?, req.key_name()?).await?;
    Ok(tagging_doc(&o.tags))
}

pub(crate) async fn delete_object(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    set_object_tags(s, req, Vec::new()).await?;
    Ok(S3Response::empty(204))
}

pub(crate) async fn put_bucket(
    s: &Inner,
    req: &S3Request,
    body: RequestBody,
) -> Result<S3Response, S3Error> {
    let tags = parse_tagging(&read_small(req, body, xml_in::MAX_DOC).await?)?;
    check_tags(&tags, 50)?;
    update_bucket(s, req.bucket_name()?, move |b| b.tags = tags).await?;
    Ok(S3Response::empty(204))
}

pub(crate) async fn get_bucket(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let b = crate::buckets::read_bucket(s, req.bucket_name()?).await?;
    if b.tags.is_empty() {
        return Err(S3Error::api(
            "NoSuchTagSet",
            404,
            "The TagSet does not exist",
        ));
    }
    Ok(tagging_doc(&b.tags))
}

pub(crate) async fn delete_bucket(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    update_bucket(s, req.bucket_name()?, |b| b.tags.clear()).await?;
    Ok(S3Response::empty(204))
}
