//! GetBucketAcl and GetObjectAcl. tessera has no ACLs: access is decided by IAM and bucket
//! policies, and the owner has full control, which is exactly what these answer (tools read ACLs
//! to check ownership). It must never accept an ACL change (routing answers `NotImplemented`).

use crate::buckets::read_bucket;
use crate::db::Owner;
use crate::objects::read_object;
use crate::request::S3Request;
use crate::response::{doc, S3Response};
use crate::{Inner, S3Error};

fn owner_full_control(owner: &Owner) -> S3Response {
    let mut w = doc("AccessControlPolicy");
    crate::buckets::write_owner(&mut w, owner);
    w.open("AccessControlList");
    w.open("Grant");
    w.raw("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">");
    w.leaf("ID", &owner.canonical_id);
    w.leaf("DisplayName", &owner.display_name);
    w.raw("</Grantee>");
    w.leaf("Permission", "FULL_CONTROL");
    w.close("Grant");
    w.close("AccessControlList");
    w.close("AccessControlPolicy");
    S3Response::xml(w)
}

pub(crate) async fn get_bucket_acl(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let b = read_bucket(s, req.bucket_name()?).await?;
    Ok(owner_full_control(&b.owner))
}

pub(crate) async fn get_object_acl(s: &Inner, req: &S3Request) -> Result<S3Response, S3Error> {
    let (_, o) = read_object(s, req.bucket_name()?, req.key_name()?).await?;
    Ok(owner_full_control(&o.owner))
}
