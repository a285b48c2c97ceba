//! The XML shapes IAM responses share (User, Group, Role, Policy, AccessKeyMetadata, Tags, the
//! response envelope), written exactly as AWS's model names them. Policy documents leave here
//! URL-encoded, as AWS returns them.
//!
//! This module owns element names and order; it must never read the store.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tessera_protocol::timefmt::iso8601;
use tessera_protocol::XmlWriter;

use crate::model::{Group, ManagedPolicy, PolicyVersion, Role, Tag, User};

pub const XMLNS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// Everything but RFC 3986's unreserved characters is escaped, as AWS escapes policy documents.
const DOCUMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn encode_document(doc: &str) -> String {
    utf8_percent_encode(doc, DOCUMENT).to_string()
}

/// `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…</ResponseMetadata>`; the
/// Result element is omitted for actions without output.
pub fn envelope(action: &str, result: Option<&str>, request_id: &str) -> String {
    let mut w = XmlWriter::new();
    let response = format!("{action}Response");
    w.open_ns(&response, XMLNS);
    if let Some(body) = result {
        let tag = format!("{action}Result");
        w.open(&tag);
        w.raw(body);
        w.close(&tag);
    }
    w.open("ResponseMetadata");
    w.leaf("RequestId", request_id);
    w.close("ResponseMetadata");
    w.close(&response);
    w.finish()
}

pub fn date(w: &mut XmlWriter, tag: &str, unix: u64) {
    w.leaf(tag, &iso8601(unix));
}

pub fn bool_leaf(w: &mut XmlWriter, tag: &str, v: bool) {
    w.leaf(tag, if v { "true" } else { "false" });
}

/// `<tag><member>…</member>…</tag>`.
pub fn list<T>(
    w: &mut XmlWriter,
    tag: &str,
    items: &[T],
    mut item: impl FnMut(&mut XmlWriter, &T),
) {
    w.open(tag);
    for i in items {
        w.open("member");
        item(w, i);
        w.close("member");
    }
    w.close(tag);
}

/// `<tag><member>text</member>…</tag>` for a list of strings.
pub fn string_list(w: &mut XmlWriter, tag: &str, items: &[String]) {
    w.open(tag);
    for s in items {
        w.leaf("member", s);
    }
    w.close(tag);
}

/// `IsTruncated` and, when truncated, `Marker`.
pub fn truncation(w: &mut XmlWriter, marker: Option<&str>) {
    bool_leaf(w, "IsTruncated", marker.is_some());
    w.leaf_opt("Marker", marker);
}

pub fn tags(w: &mut XmlWriter, tags: &[Tag]) {
    list(w, "Tags", tags, |w, t| {
        w.leaf("Key", &t.key);
        w.leaf("Value", &t.value);
    });
}

pub fn boundary(w: &mut XmlWriter, arn: Option<&str>) {
    if let Some(arn) = arn {
        w.open("PermissionsBoundary");
        w.leaf("PermissionsBoundaryType", "PermissionsBoundaryPolicy");
        w.leaf("PermissionsBoundaryArn", arn);
        w.close("PermissionsBoundary");
    }
}

/// The fields of a `User` (inside an element the caller opened). `detail` adds boundary and tags,
/// as GetUser and CreateUser return them.
pub fn user_fields(w: &mut XmlWriter, u: &User, detail: bool) {
    w.leaf("Path", &u.path);
    w.leaf("UserName", &u.name);
    w.leaf("UserId", &u.id);
    w.leaf("Arn", &u.arn());
    date(w, "CreateDate", u.created);
    if detail {
        boundary(w, u.permissions_boundary.as_deref());
        if !u.tags.is_empty() {
            tags(w, &u.tags);
        }
    }
}

pub fn group_fields(w: &mut XmlWriter, g: &Group) {
    w.leaf("Path", &g.path);
    w.leaf("GroupName", &g.name);
    w.leaf("GroupId", &g.id);
    w.leaf("Arn", &g.arn());
    date(w, "CreateDate", g.created);
}

/// The fields of a `Role`. `detail` adds boundary, tags and `RoleLastUsed` (GetRole, CreateRole).
pub fn role_fields(w: &mut XmlWriter, r: &Role, detail: bool) {
    w.leaf("Path", &r.path);
    w.leaf("RoleName", &r.name);
    w.leaf("RoleId", &r.id);
    w.leaf("Arn", &r.arn());
    date(w, "CreateDate", r.created);
    w.leaf(
        "AssumeRolePolicyDocument",
        &encode_document(&r.assume_role_policy),
    );
    w.leaf_opt("Description", r.description.as_deref());
    w.leaf("MaxSessionDuration", &r.max_session_duration.to_string());
    if detail {
        boundary(w, r.permissions_boundary.as_deref());
        if !r.tags.is_empty() {
            tags(w, &r.tags);
        }
        w.open("RoleLastUsed");
        w.close("RoleLastUsed");
    }
}

/// The fields of a managed `Policy`.
pub fn policy_fields(w: &mut XmlWriter, p: &ManagedPolicy, with_tags: bool) {
    w.leaf("PolicyName", &p.name);
    w.leaf("PolicyId", &p.id);
    w.leaf("Arn", &p.arn());
    w.leaf("Path", &p.path);
    w.leaf("DefaultVersionId", &format!("v{}", p.default_version));
    w.leaf("AttachmentCount", &p.attachment_count.to_string());
    w.leaf(
        "PermissionsBoundaryUsageCount",
        &p.boundary_count.to_string(),
    );
    bool_leaf(w, "IsAttachable", true);
    w.leaf_opt("Description", p.description.as_deref());
    date(w, "CreateDate", p.created);
    date(w, "UpdateDate", p.updated);
    if with_tags && !p.tags.is_empty() {
        tags(w, &p.tags);
    }
}

/// The fields of a `PolicyVersion`; the document only where AWS returns it.
pub fn version_fields(w: &mut XmlWriter, v: &PolicyVersion, default: u32, with_document: bool) {
    if with_document {
        w.leaf("Document", &encode_document(&v.document));
    }
    w.leaf("VersionId", &v.version_id());
    bool_leaf(w, "IsDefaultVersion", v.number == default);
    date(w, "CreateDate", v.created);
}

/// `AttachedPolicies` members.
pub fn attached(w: &mut XmlWriter, tag: &str, items: &[(String, String)]) {
    list(w, tag, items, |w, (name, arn)| {
        w.leaf("PolicyName", name);
        w.leaf("PolicyArn", arn);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_percent_encoded_like_aws() {
        assert_eq!(
            encode_document("{\"Version\": \"2012-10-17\"}\n"),
            "%7B%22Version%22%3A%20%222012-10-17%22%7D%0A"
        );
    }

    #[test]
    fn envelope_with_and_without_result() {
        assert_eq!(
            envelope("DeleteUser", None, "r1"),
            "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DeleteUserResponse>"
        );
        assert!(envelope("GetUser", Some("<User/>"), "r2")
            .contains("<GetUserResult><User/></GetUserResult><ResponseMetadata>"));
    }
}
