//! IAM roles (trust policies, session duration limits, tags) and groups (membership).

mod common;

use aws_sdk_iam::operation::create_role::CreateRoleError;
use aws_sdk_iam::types::Tag;
use common::{error_code, error_status, TestServer, ACCOUNT_ID};

const TRUST_ACCOUNT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

fn json(document: &str) -> serde_json::Value {
    let decoded = percent_encoding::percent_decode_str(document)
        .decode_utf8()
        .expect("UTF-8 document");
    serde_json::from_str(&decoded).expect("JSON document")
}

#[tokio::test]
async fn role_lifecycle() {
    let server = TestServer::start();
    let iam = server.iam();
    let role = iam
        .create_role()
        .role_name("deployer")
        .path("/ci/")
        .description("used by the pipeline")
        .max_session_duration(7200)
        .assume_role_policy_document(TRUST_ACCOUNT)
        .tags(Tag::builder().key("env").value("test").build().unwrap())
        .send()
        .await
        .expect("CreateRole")
        .role
        .expect("Role");
    assert_eq!(role.role_name, "deployer");
    assert_eq!(role.path, "/ci/");
    assert_eq!(
        role.arn,
        format!("arn:aws:iam::{ACCOUNT_ID}:role/ci/deployer")
    );
    assert!(role.role_id.starts_with("AROA"), "role id {}", role.role_id);

    let got = iam
        .get_role()
        .role_name("deployer")
        .send()
        .await
        .expect("GetRole")
        .role
        .unwrap();
    assert_eq!(got.role_id, role.role_id);
    assert_eq!(got.max_session_duration, Some(7200));
    assert_eq!(got.description.as_deref(), Some("used by the pipeline"));
    assert_eq!(
        json(got.assume_role_policy_document.as_deref().unwrap()),
        json(TRUST_ACCOUNT)
    );
    let tags = got.tags.unwrap_or_default();
    assert_eq!(tags.len(), 1);
    assert_eq!((tags[0].key(), tags[0].value()), ("env", "test"));

    let new_trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.update_assume_role_policy()
        .role_name("deployer")
        .policy_document(new_trust)
        .send()
        .await
        .expect("UpdateAssumeRolePolicy");
    let got = iam
        .get_role()
        .role_name("deployer")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(
        json(got.assume_role_policy_document.as_deref().unwrap()),
        json(new_trust)
    );

    let roles = iam
        .list_roles()
        .path_prefix("/ci/")
        .send()
        .await
        .unwrap()
        .roles;
    assert_eq!(
        roles
            .iter()
            .map(|r| r.role_name.as_str())
            .collect::<Vec<_>>(),
        ["deployer"]
    );

    let err = iam
        .create_role()
        .role_name("deployer")
        .assume_role_policy_document(TRUST_ACCOUNT)
        .send()
        .await
        .expect_err("duplicate role");
    assert!(matches!(
        err.as_service_error(),
        Some(CreateRoleError::EntityAlreadyExistsException(_))
    ));

    iam.delete_role()
        .role_name("deployer")
        .send()
        .await
        .expect("DeleteRole");
    let err = iam
        .get_role()
        .role_name("deployer")
        .send()
        .await
        .expect_err("deleted role");
    assert_eq!(error_code(&err), "NoSuchEntity");
    assert_eq!(error_status(&err), Some(404));
}

#[tokio::test]
async fn max_session_duration_bounds() {
    let server = TestServer::start();
    let iam = server.iam();
    for (duration, ok) in [(3599, false), (3600, true), (43200, true), (43201, false)] {
        let name = format!("r{duration}");
        let result = iam
            .create_role()
            .role_name(&name)
            .max_session_duration(duration)
            .assume_role_policy_document(TRUST_ACCOUNT)
            .send()
            .await;
        match (ok, result) {
            (true, Ok(_)) => {}
            (false, Err(err)) => {
                let code = error_code(&err);
                assert!(
                    code == "ValidationError" || code == "InvalidInput",
                    "MaxSessionDuration {duration}: got {code}"
                );
                assert_eq!(error_status(&err), Some(400));
            }
            (true, Err(err)) => panic!(
                "MaxSessionDuration {duration} must be accepted: {}",
                error_code(&err)
            ),
            (false, Ok(_)) => panic!("MaxSessionDuration {duration} must be rejected"),
        }
    }
}

#[tokio::test]
async fn role_with_malformed_trust_policy_is_rejected() {
    let server = TestServer::start();
    let err = server
        .iam()
        .create_role()
        .role_name("broken")
        .assume_role_policy_document("{not json")
        .send()
        .await
        .expect_err("malformed trust policy");
    assert!(
        matches!(
            err.as_service_error(),
            Some(CreateRoleError::MalformedPolicyDocumentException(_))
        ),
        "got {}",
        error_code(&err)
    );
}

#[tokio::test]
async fn role_with_policies_cannot_be_deleted() {
    let server = TestServer::start();
    let iam = server.iam();
    iam.create_role()
        .role_name("busy")
        .assume_role_policy_document(TRUST_ACCOUNT)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("busy")
        .policy_name("inline")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let err = iam
        .delete_role()
        .role_name("busy")
        .send()
        .await
        .expect_err("role with an inline policy");
    assert_eq!(error_code(&err), "DeleteConflict");
    assert_eq!(error_status(&err), Some(409));
}

#[tokio::test]
async fn group_membership() {
    let server = TestServer::start();
    let iam = server.iam();
    let group = iam
        .create_group()
        .group_name("admins")
        .path("/ops/")
        .send()
        .await
        .expect("CreateGroup")
        .group
        .unwrap();
    assert_eq!(
        group.arn,
        format!("arn:aws:iam::{ACCOUNT_ID}:group/ops/admins")
    );
    assert!(
        group.group_id.starts_with("AGPA"),
        "group id {}",
        group.group_id
    );

    for name in ["ann", "ben"] {
        iam.create_user().user_name(name).send().await.unwrap();
        iam.add_user_to_group()
            .group_name("admins")
            .user_name(name)
            .send()
            .await
            .expect("AddUserToGroup");
    }
    // Adding twice is not an error in AWS.
    iam.add_user_to_group()
        .group_name("admins")
        .user_name("ann")
        .send()
        .await
        .expect("AddUserToGroup is idempotent");

    let got = iam
        .get_group()
        .group_name("admins")
        .send()
        .await
        .expect("GetGroup");
    let mut members: Vec<_> = got.users.iter().map(|u| u.user_name.clone()).collect();
    members.sort();
    assert_eq!(members, ["ann", "ben"]);

    let groups = iam
        .list_groups_for_user()
        .user_name("ann")
        .send()
        .await
        .unwrap()
        .groups;
    assert_eq!(
        groups
            .iter()
            .map(|g| g.group_name.as_str())
            .collect::<Vec<_>>(),
        ["admins"]
    );

    // A group with members cannot be deleted; neither can a user in a group.
    let err = iam
        .delete_group()
        .group_name("admins")
        .send()
        .await
        .expect_err("group with members");
    assert_eq!(error_code(&err), "DeleteConflict");
    let err = iam
        .delete_user()
        .user_name("ben")
        .send()
        .await
        .expect_err("user in a group");
    assert_eq!(error_code(&err), "DeleteConflict");

    for name in ["ann", "ben"] {
        iam.remove_user_from_group()
            .group_name("admins")
            .user_name(name)
            .send()
            .await
            .expect("RemoveUserFromGroup");
    }
    let err = iam
        .remove_user_from_group()
        .group_name("admins")
        .user_name("ann")
        .send()
        .await
        .expect_err("not a member any more");
    assert_eq!(error_code(&err), "NoSuchEntity");

    iam.delete_group()
        .group_name("admins")
        .send()
        .await
        .expect("DeleteGroup");
    let err = iam
        .add_user_to_group()
        .group_name("admins")
        .user_name("ann")
        .send()
        .await
        .expect_err("missing group");
    assert_eq!(error_code(&err), "NoSuchEntity");
}

#[tokio::test]
async fn account_authorization_details_lists_everything() {
    let server = TestServer::start();
    let iam = server.iam();
    iam.create_user().user_name("u").send().await.unwrap();
    iam.create_group().group_name("g").send().await.unwrap();
    iam.create_role()
        .role_name("r")
        .assume_role_policy_document(TRUST_ACCOUNT)
        .send()
        .await
        .unwrap();
    iam.create_policy()
        .policy_name("p")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let details = iam
        .get_account_authorization_details()
        .send()
        .await
        .expect("GetAccountAuthorizationDetails");
    let users: Vec<_> = details
        .user_detail_list
        .unwrap_or_default()
        .into_iter()
        .filter_map(|u| u.user_name)
        .collect();
    let groups: Vec<_> = details
        .group_detail_list
        .unwrap_or_default()
        .into_iter()
        .filter_map(|g| g.group_name)
        .collect();
    let roles: Vec<_> = details
        .role_detail_list
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.role_name)
        .collect();
    let policies: Vec<_> = details
        .policies
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.policy_name)
        .collect();
    assert_eq!(users, ["u"]);
    assert_eq!(groups, ["g"]);
    assert_eq!(roles, ["r"]);
    assert!(policies.contains(&"p".to_string()), "{policies:?}");
}
