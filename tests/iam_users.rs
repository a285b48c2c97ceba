//! IAM users and access keys through aws-sdk-iam, and the new keys used against STS.

mod common;

use aws_sdk_iam::operation::create_access_key::CreateAccessKeyError;
use aws_sdk_iam::operation::create_user::CreateUserError;
use aws_sdk_iam::operation::delete_user::DeleteUserError;
use aws_sdk_iam::operation::get_user::GetUserError;
use aws_sdk_iam::types::{StatusType, Tag};
use common::{error_code, error_status, Creds, TestServer, ACCOUNT_ID};

async fn create_user_with_key(server: &TestServer, name: &str) -> Creds {
    let iam = server.iam();
    iam.create_user()
        .user_name(name)
        .send()
        .await
        .expect("CreateUser");
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .expect("CreateAccessKey")
        .access_key
        .expect("AccessKey in the result");
    Creds::new(key.access_key_id, key.secret_access_key)
}

#[tokio::test]
async fn create_user_returns_aws_shaped_identity() {
    let server = TestServer::start();
    let out = server
        .iam()
        .create_user()
        .user_name("alice")
        .path("/engineering/")
        .tags(Tag::builder().key("team").value("core").build().unwrap())
        .send()
        .await
        .expect("CreateUser");
    let user = out.user.expect("User in the result");
    assert_eq!(user.user_name, "alice");
    assert_eq!(user.path, "/engineering/");
    assert_eq!(
        user.arn,
        format!("arn:aws:iam::{ACCOUNT_ID}:user/engineering/alice")
    );
    assert!(
        user.user_id.starts_with("AIDA") && user.user_id.len() >= 16,
        "user id should look like AIDA…: {}",
        user.user_id
    );

    let got = server
        .iam()
        .get_user()
        .user_name("alice")
        .send()
        .await
        .expect("GetUser")
        .user
        .expect("User");
    assert_eq!(got.user_id, user.user_id);
    assert_eq!(got.arn, user.arn);
    let tags = got.tags.unwrap_or_default();
    assert_eq!(tags.len(), 1, "tags come back: {tags:?}");
    assert_eq!((tags[0].key(), tags[0].value()), ("team", "core"));
}

#[tokio::test]
async fn new_access_key_authenticates_as_the_user() {
    let server = TestServer::start();
    let creds = create_user_with_key(&server, "bob").await;
    assert!(
        creds.access_key_id.starts_with("AKIA"),
        "long-term keys are AKIA…: {}",
        creds.access_key_id
    );

    let me = server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity with the new key");
    assert_eq!(
        me.arn.as_deref(),
        Some(format!("arn:aws:iam::{ACCOUNT_ID}:user/bob").as_str())
    );
    assert_eq!(me.account.as_deref(), Some(ACCOUNT_ID));
    let user_id = me.user_id.expect("UserId");
    assert!(user_id.starts_with("AIDA"), "UserId {user_id}");

    let user = server
        .iam()
        .get_user()
        .user_name("bob")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(user.user_id, user_id);
}

#[tokio::test]
async fn root_identity() {
    let server = TestServer::start();
    let me = server
        .sts()
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity as root");
    assert_eq!(
        me.arn.as_deref(),
        Some(format!("arn:aws:iam::{ACCOUNT_ID}:root").as_str())
    );
    assert_eq!(me.user_id.as_deref(), Some(ACCOUNT_ID));
    assert_eq!(me.account.as_deref(), Some(ACCOUNT_ID));

    // GetUser without a name describes the caller: for root, the account's root ARN.
    let user = server
        .iam()
        .get_user()
        .send()
        .await
        .expect("GetUser without a name")
        .user
        .unwrap();
    assert_eq!(user.arn, format!("arn:aws:iam::{ACCOUNT_ID}:root"));
}

#[tokio::test]
async fn list_users_paginates_with_marker_and_max_items() {
    let server = TestServer::start();
    let iam = server.iam();
    let mut expected = Vec::new();
    for i in 0..7 {
        let name = format!("user{i:02}");
        iam.create_user().user_name(&name).send().await.unwrap();
        expected.push(name);
    }
    iam.create_user()
        .user_name("ops-admin")
        .path("/ops/")
        .send()
        .await
        .unwrap();

    // Manual pagination: every page holds at most MaxItems, IsTruncated/Marker chain the pages.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = iam
            .list_users()
            .max_items(3)
            .set_marker(marker.clone())
            .send()
            .await
            .expect("ListUsers page");
        pages += 1;
        assert!(page.users.len() <= 3, "page larger than MaxItems");
        seen.extend(page.users.iter().map(|u| u.user_name.clone()));
        if page.is_truncated {
            marker = Some(page.marker.expect("Marker when IsTruncated"));
        } else {
            assert!(page.marker.is_none(), "no Marker on the last page");
            break;
        }
        assert!(pages < 10, "pagination does not terminate");
    }
    assert_eq!(pages, 3);
    let mut all = expected.clone();
    all.push("ops-admin".into());
    all.sort();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, all, "every user exactly once");

    // The SDK paginator walks the same chain.
    let via_paginator: Vec<String> = iam
        .list_users()
        .max_items(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate")
        .into_iter()
        .map(|u| u.user_name)
        .collect();
    assert_eq!(via_paginator.len(), 8);

    // PathPrefix filters.
    let ops = iam
        .list_users()
        .path_prefix("/ops/")
        .send()
        .await
        .unwrap()
        .users;
    assert_eq!(
        ops.iter().map(|u| u.user_name.as_str()).collect::<Vec<_>>(),
        ["ops-admin"]
    );
}

#[tokio::test]
async fn duplicate_user_is_entity_already_exists() {
    let server = TestServer::start();
    let iam = server.iam();
    iam.create_user().user_name("carol").send().await.unwrap();
    let err = iam
        .create_user()
        .user_name("carol")
        .send()
        .await
        .expect_err("second CreateUser must fail");
    assert!(
        matches!(
            err.as_service_error(),
            Some(CreateUserError::EntityAlreadyExistsException(_))
        ),
        "expected EntityAlreadyExists, got {}",
        error_code(&err)
    );
    assert_eq!(error_status(&err), Some(409));

    // IAM names are case-insensitive for uniqueness.
    let err = iam
        .create_user()
        .user_name("CAROL")
        .send()
        .await
        .expect_err("names differing only in case collide");
    assert_eq!(error_code(&err), "EntityAlreadyExists");
}

#[tokio::test]
async fn missing_user_is_no_such_entity() {
    let server = TestServer::start();
    let err = server
        .iam()
        .get_user()
        .user_name("nobody")
        .send()
        .await
        .expect_err("GetUser of a missing user");
    assert!(
        matches!(
            err.as_service_error(),
            Some(GetUserError::NoSuchEntityException(_))
        ),
        "expected NoSuchEntity, got {}",
        error_code(&err)
    );
    assert_eq!(error_status(&err), Some(404));

    let err = server
        .iam()
        .delete_user()
        .user_name("nobody")
        .send()
        .await
        .expect_err("DeleteUser of a missing user");
    assert!(matches!(
        err.as_service_error(),
        Some(DeleteUserError::NoSuchEntityException(_))
    ));
}

#[tokio::test]
async fn invalid_user_names_are_rejected() {
    let server = TestServer::start();
    let long = "a".repeat(65);
    for bad in ["has space", "slash/name", long.as_str(), ""] {
        let err = server
            .iam()
            .create_user()
            .user_name(bad)
            .send()
            .await
            .expect_err("invalid name must be rejected");
        let code = error_code(&err);
        assert!(
            code == "ValidationError" || code == "InvalidInput",
            "name {bad:?}: expected ValidationError/InvalidInput, got {code}"
        );
        assert_eq!(error_status(&err), Some(400), "name {bad:?}");
    }
}

#[tokio::test]
async fn invalid_paths_are_rejected() {
    let server = TestServer::start();
    // AWS: `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, so "/a//b/" is valid and these are not.
    for bad in ["no-leading-slash/", "/no-trailing-slash", "/has space/"] {
        let err = server
            .iam()
            .create_user()
            .user_name("pathological")
            .path(bad)
            .send()
            .await
            .expect_err("invalid path must be rejected");
        let code = error_code(&err);
        assert!(
            code == "ValidationError" || code == "InvalidInput",
            "path {bad:?}: expected ValidationError/InvalidInput, got {code}"
        );
        assert_eq!(error_status(&err), Some(400), "path {bad:?}");
    }
}

#[tokio::test]
async fn delete_user_with_attached_things_conflicts() {
    let server = TestServer::start();
    let iam = server.iam();
    let _creds = create_user_with_key(&server, "dave").await;

    let err = iam
        .delete_user()
        .user_name("dave")
        .send()
        .await
        .expect_err("a user with an access key cannot be deleted");
    assert!(
        matches!(
            err.as_service_error(),
            Some(DeleteUserError::DeleteConflictException(_))
        ),
        "expected DeleteConflict, got {}",
        error_code(&err)
    );
    assert_eq!(error_status(&err), Some(409));

    let keys = iam
        .list_access_keys()
        .user_name("dave")
        .send()
        .await
        .unwrap()
        .access_key_metadata;
    for key in keys {
        iam.delete_access_key()
            .user_name("dave")
            .access_key_id(key.access_key_id.unwrap())
            .send()
            .await
            .unwrap();
    }

    // An inline policy also blocks deletion.
    iam.put_user_policy()
        .user_name("dave")
        .policy_name("inline")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let err = iam
        .delete_user()
        .user_name("dave")
        .send()
        .await
        .expect_err("a user with an inline policy cannot be deleted");
    assert_eq!(error_code(&err), "DeleteConflict");
    iam.delete_user_policy()
        .user_name("dave")
        .policy_name("inline")
        .send()
        .await
        .unwrap();

    iam.delete_user()
        .user_name("dave")
        .send()
        .await
        .expect("a bare user can be deleted");
    let err = iam
        .get_user()
        .user_name("dave")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(error_code(&err), "NoSuchEntity");
}

#[tokio::test]
async fn access_key_lifecycle() {
    let server = TestServer::start();
    let iam = server.iam();
    let creds = create_user_with_key(&server, "erin").await;

    let second = iam
        .create_access_key()
        .user_name("erin")
        .send()
        .await
        .expect("a second key is allowed")
        .access_key
        .unwrap();
    assert_ne!(second.access_key_id, creds.access_key_id);
    assert_eq!(second.status, StatusType::Active);

    // At most two keys per user.
    let err = iam
        .create_access_key()
        .user_name("erin")
        .send()
        .await
        .expect_err("a third key exceeds the limit");
    assert!(
        matches!(
            err.as_service_error(),
            Some(CreateAccessKeyError::LimitExceededException(_))
        ),
        "expected LimitExceeded, got {}",
        error_code(&err)
    );

    let listed = iam
        .list_access_keys()
        .user_name("erin")
        .send()
        .await
        .unwrap()
        .access_key_metadata;
    let mut ids: Vec<String> = listed
        .iter()
        .map(|k| k.access_key_id.clone().unwrap())
        .collect();
    ids.sort();
    let mut want = vec![creds.access_key_id.clone(), second.access_key_id.clone()];
    want.sort();
    assert_eq!(ids, want);
    assert!(listed.iter().all(|k| k.status == Some(StatusType::Active)));

    iam.update_access_key()
        .user_name("erin")
        .access_key_id(&second.access_key_id)
        .status(StatusType::Inactive)
        .send()
        .await
        .expect("UpdateAccessKey");
    let listed = iam
        .list_access_keys()
        .user_name("erin")
        .send()
        .await
        .unwrap()
        .access_key_metadata;
    let status_of_second = listed
        .iter()
        .find(|k| k.access_key_id.as_deref() == Some(second.access_key_id.as_str()))
        .and_then(|k| k.status.clone());
    assert_eq!(status_of_second, Some(StatusType::Inactive));

    // GetAccessKeyLastUsed names the owner; the key was used above by nobody, the first one below.
    server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    let last = iam
        .get_access_key_last_used()
        .access_key_id(&creds.access_key_id)
        .send()
        .await
        .expect("GetAccessKeyLastUsed");
    assert_eq!(last.user_name.as_deref(), Some("erin"));

    let err = iam
        .delete_access_key()
        .user_name("erin")
        .access_key_id("AKIAAAAAAAAAAAAAAAAA")
        .send()
        .await
        .expect_err("unknown key");
    assert_eq!(error_code(&err), "NoSuchEntity");
}
