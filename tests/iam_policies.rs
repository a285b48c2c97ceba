//! Managed policies with versions, attachments, inline policies and document validation.

mod common;

use aws_sdk_iam::operation::create_policy::CreatePolicyError;
use aws_sdk_iam::operation::put_user_policy::PutUserPolicyError;
use common::{error_code, error_status, TestServer, ACCOUNT_ID};

const ALLOW_STS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#;
const ALLOW_IAM_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}"#;

/// Policy documents come back URL-encoded in the Query protocol; the SDK hands them over as it got
/// them, so the tests decode before comparing.
fn decode(document: &str) -> String {
    percent_encoding::percent_decode_str(document)
        .decode_utf8()
        .expect("UTF-8 policy document")
        .into_owned()
}

fn json(document: &str) -> serde_json::Value {
    serde_json::from_str(&decode(document)).expect("policy document is JSON")
}

#[tokio::test]
async fn managed_policy_versions() {
    let server = TestServer::start();
    let iam = server.iam();
    let policy = iam
        .create_policy()
        .policy_name("sts-only")
        .path("/team/")
        .description("lets the holder ask who it is")
        .policy_document(ALLOW_STS)
        .send()
        .await
        .expect("CreatePolicy")
        .policy
        .expect("Policy");
    let arn = policy.arn.clone().expect("Arn");
    assert_eq!(
        arn,
        format!("arn:aws:iam::{ACCOUNT_ID}:policy/team/sts-only")
    );
    assert!(policy
        .policy_id
        .as_deref()
        .unwrap_or("")
        .starts_with("ANPA"));
    assert_eq!(policy.default_version_id.as_deref(), Some("v1"));
    assert_eq!(policy.attachment_count, Some(0));

    let v1 = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .expect("GetPolicyVersion v1")
        .policy_version
        .unwrap();
    assert!(v1.is_default_version);
    // AWS returns policy documents URL-encoded (RFC 3986) inside the XML.
    assert!(
        v1.document.as_deref().unwrap_or("").starts_with("%7B"),
        "document should be URL-encoded like AWS's: {:?}",
        v1.document
    );
    assert_eq!(
        json(v1.document.as_deref().unwrap()),
        json(ALLOW_STS),
        "the document comes back as it was stored"
    );

    let v2 = iam
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(ALLOW_IAM_READ)
        .set_as_default(true)
        .send()
        .await
        .expect("CreatePolicyVersion")
        .policy_version
        .unwrap();
    assert_eq!(v2.version_id.as_deref(), Some("v2"));
    assert!(v2.is_default_version);

    let got = iam
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert_eq!(got.default_version_id.as_deref(), Some("v2"));

    let versions = iam
        .list_policy_versions()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap()
        .versions
        .unwrap_or_default();
    let mut ids: Vec<_> = versions
        .iter()
        .map(|v| (v.version_id.clone().unwrap(), v.is_default_version))
        .collect();
    ids.sort();
    assert_eq!(ids, [("v1".to_string(), false), ("v2".to_string(), true)]);

    // The default version cannot be deleted; a non-default one can.
    let err = iam
        .delete_policy_version()
        .policy_arn(&arn)
        .version_id("v2")
        .send()
        .await
        .expect_err("deleting the default version");
    assert_eq!(error_code(&err), "DeleteConflict");
    iam.set_default_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .expect("SetDefaultPolicyVersion");
    iam.delete_policy_version()
        .policy_arn(&arn)
        .version_id("v2")
        .send()
        .await
        .expect("DeletePolicyVersion of a non-default version");

    let listed = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .unwrap()
        .policies
        .unwrap_or_default();
    assert!(listed
        .iter()
        .any(|p| p.policy_name.as_deref() == Some("sts-only")));

    let err = iam
        .create_policy()
        .policy_name("sts-only")
        .path("/team/")
        .policy_document(ALLOW_STS)
        .send()
        .await
        .expect_err("same name twice");
    assert_eq!(error_code(&err), "EntityAlreadyExists");
}

#[tokio::test]
async fn at_most_five_versions() {
    let server = TestServer::start();
    let iam = server.iam();
    let arn = iam
        .create_policy()
        .policy_name("many")
        .policy_document(ALLOW_STS)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    for _ in 2..=5 {
        iam.create_policy_version()
            .policy_arn(&arn)
            .policy_document(ALLOW_IAM_READ)
            .send()
            .await
            .expect("versions 2 to 5");
    }
    let err = iam
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(ALLOW_IAM_READ)
        .send()
        .await
        .expect_err("a sixth version");
    assert_eq!(error_code(&err), "LimitExceeded");
}

#[tokio::test]
async fn attach_and_detach_managed_policies() {
    let server = TestServer::start();
    let iam = server.iam();
    let arn = iam
        .create_policy()
        .policy_name("attachable")
        .policy_document(ALLOW_STS)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    iam.create_user().user_name("u1").send().await.unwrap();
    iam.create_group().group_name("g1").send().await.unwrap();
    iam.create_role()
        .role_name("r1")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();

    iam.attach_user_policy()
        .user_name("u1")
        .policy_arn(&arn)
        .send()
        .await
        .expect("AttachUserPolicy");
    iam.attach_group_policy()
        .group_name("g1")
        .policy_arn(&arn)
        .send()
        .await
        .expect("AttachGroupPolicy");
    iam.attach_role_policy()
        .role_name("r1")
        .policy_arn(&arn)
        .send()
        .await
        .expect("AttachRolePolicy");

    let attached = iam
        .list_attached_user_policies()
        .user_name("u1")
        .send()
        .await
        .unwrap()
        .attached_policies
        .unwrap_or_default();
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].policy_arn.as_deref(), Some(arn.as_str()));
    assert_eq!(attached[0].policy_name.as_deref(), Some("attachable"));

    let policy = iam
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap();
    assert_eq!(policy.attachment_count, Some(3));

    let entities = iam
        .list_entities_for_policy()
        .policy_arn(&arn)
        .send()
        .await
        .expect("ListEntitiesForPolicy");
    let names = |v: Option<Vec<String>>| v.unwrap_or_default();
    assert_eq!(
        names(
            entities
                .policy_users
                .map(|v| v.into_iter().filter_map(|u| u.user_name).collect())
        ),
        ["u1"]
    );
    assert_eq!(
        names(
            entities
                .policy_groups
                .map(|v| v.into_iter().filter_map(|g| g.group_name).collect())
        ),
        ["g1"]
    );
    assert_eq!(
        names(
            entities
                .policy_roles
                .map(|v| v.into_iter().filter_map(|r| r.role_name).collect())
        ),
        ["r1"]
    );

    // An attached policy cannot be deleted; an attached user cannot be deleted either.
    let err = iam
        .delete_policy()
        .policy_arn(&arn)
        .send()
        .await
        .expect_err("delete an attached policy");
    assert_eq!(error_code(&err), "DeleteConflict");
    let err = iam
        .delete_user()
        .user_name("u1")
        .send()
        .await
        .expect_err("delete a user with an attached policy");
    assert_eq!(error_code(&err), "DeleteConflict");

    iam.detach_user_policy()
        .user_name("u1")
        .policy_arn(&arn)
        .send()
        .await
        .expect("DetachUserPolicy");
    iam.detach_group_policy()
        .group_name("g1")
        .policy_arn(&arn)
        .send()
        .await
        .expect("DetachGroupPolicy");
    iam.detach_role_policy()
        .role_name("r1")
        .policy_arn(&arn)
        .send()
        .await
        .expect("DetachRolePolicy");
    let err = iam
        .detach_user_policy()
        .user_name("u1")
        .policy_arn(&arn)
        .send()
        .await
        .expect_err("detach what is not attached");
    assert_eq!(error_code(&err), "NoSuchEntity");

    iam.delete_policy()
        .policy_arn(&arn)
        .send()
        .await
        .expect("a detached policy can be deleted");
    let err = iam
        .get_policy()
        .policy_arn(&arn)
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(error_code(&err), "NoSuchEntity");

    let err = iam
        .attach_user_policy()
        .user_name("u1")
        .policy_arn(format!("arn:aws:iam::{ACCOUNT_ID}:policy/does-not-exist"))
        .send()
        .await
        .expect_err("attach a missing policy");
    assert_eq!(error_code(&err), "NoSuchEntity");
}

#[tokio::test]
async fn inline_policies_for_users_groups_roles() {
    let server = TestServer::start();
    let iam = server.iam();
    iam.create_user().user_name("u").send().await.unwrap();
    iam.create_group().group_name("g").send().await.unwrap();
    iam.create_role()
        .role_name("r")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();

    iam.put_user_policy()
        .user_name("u")
        .policy_name("p")
        .policy_document(ALLOW_STS)
        .send()
        .await
        .expect("PutUserPolicy");
    iam.put_group_policy()
        .group_name("g")
        .policy_name("p")
        .policy_document(ALLOW_STS)
        .send()
        .await
        .expect("PutGroupPolicy");
    iam.put_role_policy()
        .role_name("r")
        .policy_name("p")
        .policy_document(ALLOW_STS)
        .send()
        .await
        .expect("PutRolePolicy");

    let got = iam
        .get_user_policy()
        .user_name("u")
        .policy_name("p")
        .send()
        .await
        .expect("GetUserPolicy");
    assert_eq!(got.user_name, "u");
    assert_eq!(got.policy_name, "p");
    assert_eq!(json(&got.policy_document), json(ALLOW_STS));
    let got = iam
        .get_group_policy()
        .group_name("g")
        .policy_name("p")
        .send()
        .await
        .expect("GetGroupPolicy");
    assert_eq!(json(&got.policy_document), json(ALLOW_STS));
    let got = iam
        .get_role_policy()
        .role_name("r")
        .policy_name("p")
        .send()
        .await
        .expect("GetRolePolicy");
    assert_eq!(json(&got.policy_document), json(ALLOW_STS));

    // Put replaces.
    iam.put_user_policy()
        .user_name("u")
        .policy_name("p")
        .policy_document(ALLOW_IAM_READ)
        .send()
        .await
        .unwrap();
    let got = iam
        .get_user_policy()
        .user_name("u")
        .policy_name("p")
        .send()
        .await
        .unwrap();
    assert_eq!(json(&got.policy_document), json(ALLOW_IAM_READ));

    assert_eq!(
        iam.list_user_policies()
            .user_name("u")
            .send()
            .await
            .unwrap()
            .policy_names,
        ["p"]
    );
    assert_eq!(
        iam.list_group_policies()
            .group_name("g")
            .send()
            .await
            .unwrap()
            .policy_names,
        ["p"]
    );
    assert_eq!(
        iam.list_role_policies()
            .role_name("r")
            .send()
            .await
            .unwrap()
            .policy_names,
        ["p"]
    );

    iam.delete_user_policy()
        .user_name("u")
        .policy_name("p")
        .send()
        .await
        .expect("DeleteUserPolicy");
    let err = iam
        .get_user_policy()
        .user_name("u")
        .policy_name("p")
        .send()
        .await
        .expect_err("deleted inline policy");
    assert_eq!(error_code(&err), "NoSuchEntity");
    let err = iam
        .put_user_policy()
        .user_name("nobody")
        .policy_name("p")
        .policy_document(ALLOW_STS)
        .send()
        .await
        .expect_err("inline policy on a missing user");
    assert!(matches!(
        err.as_service_error(),
        Some(PutUserPolicyError::NoSuchEntityException(_))
    ));
}

#[tokio::test]
async fn malformed_policy_documents_are_rejected() {
    let server = TestServer::start();
    let iam = server.iam();
    let cases = [
        ("not JSON", "this is not json"),
        ("no Statement", r#"{"Version":"2012-10-17"}"#),
        (
            "bad Effect",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#,
        ),
        (
            "no Action",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
        ),
        (
            "bad Version",
            r#"{"Version":"2099-01-01","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        ),
        ("JSON array", r#"[1,2,3]"#),
    ];
    for (what, document) in cases {
        let err = iam
            .create_policy()
            .policy_name("bad")
            .policy_document(document)
            .send()
            .await
            .expect_err(what);
        assert!(
            matches!(
                err.as_service_error(),
                Some(CreatePolicyError::MalformedPolicyDocumentException(_))
            ),
            "{what}: expected MalformedPolicyDocument, got {}",
            error_code(&err)
        );
        assert_eq!(error_status(&err), Some(400), "{what}");
    }

    // Inline policies are validated the same way.
    iam.create_user().user_name("u").send().await.unwrap();
    let err = iam
        .put_user_policy()
        .user_name("u")
        .policy_name("p")
        .policy_document("{")
        .send()
        .await
        .expect_err("malformed inline policy");
    assert!(matches!(
        err.as_service_error(),
        Some(PutUserPolicyError::MalformedPolicyDocumentException(_))
    ));

    // Managed policies are limited to 6,144 characters (whitespace aside).
    let big_statement = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":[{}]}}]}}"#,
        (0..400)
            .map(|i| format!(r#""arn:aws:s3:::bucket-{i:04}/*""#))
            .collect::<Vec<_>>()
            .join(",")
    );
    assert!(big_statement.len() > 6144);
    let err = iam
        .create_policy()
        .policy_name("too-big")
        .policy_document(&big_statement)
        .send()
        .await
        .expect_err("oversized managed policy");
    let code = error_code(&err);
    assert!(
        code == "LimitExceeded" || code == "MalformedPolicyDocument",
        "oversized policy: got {code}"
    );
}

#[tokio::test]
async fn permissions_boundaries_for_users_and_roles() {
    let server = TestServer::start();
    let iam = server.iam();
    let arn = iam
        .create_policy()
        .policy_name("boundary")
        .policy_document(ALLOW_STS)
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    iam.create_user().user_name("bounded").send().await.unwrap();
    iam.create_role()
        .role_name("bounded-role")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();

    iam.put_user_permissions_boundary()
        .user_name("bounded")
        .permissions_boundary(&arn)
        .send()
        .await
        .expect("PutUserPermissionsBoundary");
    iam.put_role_permissions_boundary()
        .role_name("bounded-role")
        .permissions_boundary(&arn)
        .send()
        .await
        .expect("PutRolePermissionsBoundary");

    let user = iam
        .get_user()
        .user_name("bounded")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    let boundary = user
        .permissions_boundary
        .expect("PermissionsBoundary on GetUser");
    assert_eq!(
        boundary.permissions_boundary_arn.as_deref(),
        Some(arn.as_str())
    );
    let role = iam
        .get_role()
        .role_name("bounded-role")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(
        role.permissions_boundary
            .and_then(|b| b.permissions_boundary_arn)
            .as_deref(),
        Some(arn.as_str())
    );

    iam.delete_user_permissions_boundary()
        .user_name("bounded")
        .send()
        .await
        .expect("DeleteUserPermissionsBoundary");
    iam.delete_role_permissions_boundary()
        .role_name("bounded-role")
        .send()
        .await
        .expect("DeleteRolePermissionsBoundary");
    let user = iam
        .get_user()
        .user_name("bounded")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert!(user.permissions_boundary.is_none());
}
