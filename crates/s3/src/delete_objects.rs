//! DeleteObjects: up to 1000 keys in one request, in one store transaction, with Quiet mode.
//! It owns the `Delete` document's parsing ([`parse_delete`], pure) and the `DeleteResult`; it
//! must never delete a blob before the transaction commits.

use crate::body::{read_small, RequestBody};
use crate::db;
use crate::request::S3Request;
use crate::response::{doc, S3Response};
use crate::{names, xml_in, Inner, S3Error};

const MAX_OBJECTS: usize = 1000;

/// A parsed `<Delete>` document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRequest {
    pub quiet: bool,
    pub keys: Vec<String>,
}

/// Parses a `<Delete>` document; `MalformedXML` for anything else, no keys, or more than 1000.
pub fn parse_delete(doc: &[u8]) -> Result<DeleteRequest, S3Error> {
    let root = xml_in::parse(doc).map_err(|_| S3Error::malformed_xml())?;
    if root.name != "Delete" {
        return Err(S3Error::malformed_xml());
    }
    let quiet = match root.child_text("Quiet").map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(S3Error::malformed_xml()),
    };
    let keys = root
        .all("Object")
        .map(|o| o.child_text("Key").map(str::to_owned))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(S3Error::malformed_xml)?;
    if keys.is_empty() || keys.len() > MAX_OBJECTS {
        return Err(S3Error::malformed_xml());
    }
    Ok(DeleteRequest { quiet, keys })
}

pub(crate) async fn delete_objects(
    s: &Inner,
    req: &S3Request,
    body: RequestBody,
) -> Result<S3Response, S3Error> {
    let bucket = req.bucket_name()?.to_owned();
    let raw = read_small(req, body, xml_in::MAX_DOC).await?;
    let parsed = parse_delete(&raw)?;
    let keys = parsed.keys.clone();
    let denied = req.denied_keys.clone();
    let (results, garbage) = s
        .store
        .write(move |tx| {
            let b = db::bucket(tx, &bucket)?;
            let mut results = Vec::new();
            let mut garbage = Vec::new();
            for key in keys {
                if denied.contains(&key) {
                    results.push((key, Some(S3Error::access_denied())));
                    continue;
                }
                if let Err(e) = names::check_key(&key) {
                    results.push((key, Some(e)));
                    continue;
                }
                let k = db::object_key(&b.id, &key);
                if let Some(o) = db::delete_object(tx, &k)? {
                    garbage.extend(o.owned_blob());
                }
                results.push((key, None));
            }
            Ok::<_, S3Error>((results, garbage))
        })
        .await?;
    s.delete_blobs(garbage).await;
    let mut w = doc("DeleteResult");
    for (key, err) in &results {
        match err {
            None if parsed.quiet => {}
            None => {
                w.open("Deleted");
                w.leaf("Key", key);
                w.close("Deleted");
            }
            Some(e) => {
                let aws = e.to_aws();
                w.open("Error");
                w.leaf("Key", key);
                w.leaf("Code", &aws.code);
                w.leaf("Message", &aws.message);
                w.close("Error");
            }
        }
    }
    w.close("DeleteResult");
    Ok(S3Response::xml(w))
}
