//! Access keys: lifecycle, the per-user quota, ownership checks, root keys, the cached lookup and
//! its invalidation, and last-used tracking.

mod common;

use common::{harness, value, values};
use tessera_core::Principal;

#[tokio::test]
async fn lifecycle_and_quota() {
    let h = harness().await;
    h.ok(&[("Action", "CreateUser"), ("UserName", "kim")]).await;
    let created = h
        .ok(&[("Action", "CreateAccessKey"), ("UserName", "kim")])
        .await;
    let id = value(&created, "AccessKeyId").unwrap_or_default();
    let secret = value(&created, "SecretAccessKey").unwrap_or_default();
    assert!(id.starts_with("AKIA") && id.len() == 20, "{id}");
    assert_eq!(secret.len(), 40);
    assert_eq!(value(&created, "Status").as_deref(), Some("Active"));
    assert_eq!(value(&created, "UserName").as_deref(), Some("kim"));

    h.ok(&[("Action", "CreateAccessKey"), ("UserName", "kim")])
        .await;
    let (code, status, msg) = h
        .err(&[("Action", "CreateAccessKey"), ("UserName", "kim")])
        .await;
    assert_eq!((code.as_str(), status), ("LimitExceeded", 409));
    assert_eq!(msg, "Cannot exceed quota for AccessKeysPerUser: 2");

    let list = h
        .ok(&[("Action", "ListAccessKeys"), ("UserName", "kim")])
        .await;
    assert_eq!(values(&list, "AccessKeyId").len(), 2);
    assert!(!list.contains("SecretAccessKey"));

    h.ok(&[
        ("Action", "UpdateAccessKey"),
        ("UserName", "kim"),
        ("AccessKeyId", &id),
        ("Status", "Inactive"),
    ])
    .await;
    let rec = h
        .iam
        .access_key(&id)
        .await
        .expect("lookup")
        .expect("exists");
    assert!(!rec.active);
    assert_eq!(rec.secret_access_key, secret);
    assert!(matches!(&rec.principal, Principal::User { name, .. } if name == "kim"));

    assert_eq!(
        h.err_code(&[("Action", "DeleteUser"), ("UserName", "kim")])
            .await,
        "DeleteConflict"
    );
    assert_eq!(
        h.err_code(&[
            ("Action", "UpdateAccessKey"),
            ("UserName", "kim"),
            ("AccessKeyId", &id),
            ("Status", "Expired")
        ])
        .await,
        "ValidationError"
    );
    h.ok(&[("Action", "CreateUser"), ("UserName", "other")])
        .await;
    let (code, _, msg) = h
        .err(&[
            ("Action", "DeleteAccessKey"),
            ("UserName", "other"),
            ("AccessKeyId", &id),
        ])
        .await;
    assert_eq!(code, "NoSuchEntity");
    assert_eq!(msg, format!("The Access Key with id {id} cannot be found."));

    h.ok(&[
        ("Action", "DeleteAccessKey"),
        ("UserName", "kim"),
        ("AccessKeyId", &id),
    ])
    .await;
    let list = h
        .ok(&[("Action", "ListAccessKeys"), ("UserName", "kim")])
        .await;
    assert_eq!(values(&list, "AccessKeyId").len(), 1);
}

#[tokio::test]
async fn lookup_cache_is_invalidated_by_writes() {
    let h = harness().await;
    h.ok(&[("Action", "CreateUser"), ("UserName", "lee")]).await;
    let created = h
        .ok(&[("Action", "CreateAccessKey"), ("UserName", "lee")])
        .await;
    let id = value(&created, "AccessKeyId").unwrap_or_default();
    // Warm the cache, then delete: the next lookup must not see the key.
    assert!(h.iam.access_key(&id).await.expect("lookup").is_some());
    assert!(h.iam.access_key(&id).await.expect("lookup").is_some());
    h.ok(&[
        ("Action", "DeleteAccessKey"),
        ("UserName", "lee"),
        ("AccessKeyId", &id),
    ])
    .await;
    assert!(h.iam.access_key(&id).await.expect("lookup").is_none());
    assert!(h
        .iam
        .access_key("AKIADOESNOTEXIST0000")
        .await
        .expect("lookup")
        .is_none());

    // A rename changes the principal a key authenticates as.
    let created = h
        .ok(&[("Action", "CreateAccessKey"), ("UserName", "lee")])
        .await;
    let id = value(&created, "AccessKeyId").unwrap_or_default();
    assert!(h.iam.access_key(&id).await.expect("lookup").is_some());
    h.ok(&[
        ("Action", "UpdateUser"),
        ("UserName", "lee"),
        ("NewUserName", "leo"),
        ("NewPath", "/x/"),
    ])
    .await;
    let rec = h
        .iam
        .access_key(&id)
        .await
        .expect("lookup")
        .expect("exists");
    assert_eq!(rec.principal.arn(), "arn:aws:iam::123456789012:user/x/leo");
}

#[tokio::test]
async fn caller_and_root_keys() {
    let h = harness().await;
    // Root without UserName manages the root's own keys.
    let created = h.ok(&[("Action", "CreateAccessKey")]).await;
    let id = value(&created, "AccessKeyId").unwrap_or_default();
    assert!(value(&created, "UserName").is_none());
    let rec = h
        .iam
        .access_key(&id)
        .await
        .expect("lookup")
        .expect("root key");
    assert_eq!(rec.principal, h.root);
    let list = h.ok(&[("Action", "ListAccessKeys")]).await;
    assert_eq!(values(&list, "AccessKeyId"), vec![id.clone()]);

    h.iam
        .set_root_key(&h.account, "AKIAFIXEDROOTKEY0001", "fixed-secret")
        .await
        .expect("set");
    h.iam
        .set_root_key(&h.account, "AKIAFIXEDROOTKEY0001", "fixed-secret")
        .await
        .expect("idempotent");
    let rec = h
        .iam
        .access_key("AKIAFIXEDROOTKEY0001")
        .await
        .expect("lookup")
        .expect("exists");
    assert_eq!(rec.secret_access_key, "fixed-secret");
    h.iam
        .set_root_key(&h.account, "AKIAFIXEDROOTKEY0001", "rotated")
        .await
        .expect("rotate");
    let rec = h
        .iam
        .access_key("AKIAFIXEDROOTKEY0001")
        .await
        .expect("lookup")
        .expect("exists");
    assert_eq!(rec.secret_access_key, "rotated");

    // A user without UserName manages their own keys.
    let u = h
        .ok(&[("Action", "CreateUser"), ("UserName", "self")])
        .await;
    let user = Principal::User {
        account: h.account.clone(),
        name: "self".into(),
        path: "/".into(),
        user_id: value(&u, "UserId").unwrap_or_default(),
    };
    let own = h
        .call_as(&user, &[("Action", "CreateAccessKey")])
        .await
        .expect("own key");
    assert_eq!(value(&own, "UserName").as_deref(), Some("self"));
}

#[tokio::test]
async fn last_used() {
    let h = harness().await;
    h.ok(&[("Action", "CreateUser"), ("UserName", "u")]).await;
    let created = h
        .ok(&[("Action", "CreateAccessKey"), ("UserName", "u")])
        .await;
    let id = value(&created, "AccessKeyId").unwrap_or_default();
    let before = h
        .ok(&[("Action", "GetAccessKeyLastUsed"), ("AccessKeyId", &id)])
        .await;
    assert_eq!(value(&before, "UserName").as_deref(), Some("u"));
    assert_eq!(value(&before, "ServiceName").as_deref(), Some("N/A"));
    assert!(value(&before, "LastUsedDate").is_none());

    h.iam.record_key_use(&id, "sqs", "eu-west-1").await;
    h.iam.flush_key_usage().await.expect("flush");
    let after = h
        .ok(&[("Action", "GetAccessKeyLastUsed"), ("AccessKeyId", &id)])
        .await;
    assert_eq!(value(&after, "ServiceName").as_deref(), Some("sqs"));
    assert_eq!(value(&after, "Region").as_deref(), Some("eu-west-1"));
    assert!(value(&after, "LastUsedDate").is_some());
    assert_eq!(
        h.err_code(&[
            ("Action", "GetAccessKeyLastUsed"),
            ("AccessKeyId", "AKIANOSUCHKEY0000000")
        ])
        .await,
        "NoSuchEntity"
    );
}
