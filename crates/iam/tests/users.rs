//! Users: lifecycle, validation, case-insensitive uniqueness, pagination, GetUser for callers.

mod common;

use std::collections::HashSet;

use common::{harness, value, values, ACCOUNT};
use tessera_core::{AccountId, Principal};

#[tokio::test]
async fn create_get_update_delete() {
    let h = harness().await;
    let xml = h
        .ok(&[
            ("Action", "CreateUser"),
            ("UserName", "Bob"),
            ("Path", "/dev/"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "blue"),
        ])
        .await;
    assert!(xml.starts_with(
        "<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateUserResult><User>"
    ));
    assert!(xml.ends_with(
        "<ResponseMetadata><RequestId>req-test</RequestId></ResponseMetadata></CreateUserResponse>"
    ));
    assert_eq!(
        value(&xml, "Arn").as_deref(),
        Some("arn:aws:iam::123456789012:user/dev/Bob")
    );
    let id = value(&xml, "UserId").unwrap_or_default();
    assert!(id.starts_with("AIDA") && id.len() == 21, "{id}");

    // Names are case-insensitive for lookups but keep their case.
    let got = h.ok(&[("Action", "GetUser"), ("UserName", "bob")]).await;
    assert_eq!(value(&got, "UserName").as_deref(), Some("Bob"));
    assert_eq!(value(&got, "UserId"), Some(id.clone()));
    assert_eq!(value(&got, "Key").as_deref(), Some("team"));

    h.ok(&[
        ("Action", "UpdateUser"),
        ("UserName", "bob"),
        ("NewUserName", "Robert"),
        ("NewPath", "/ops/"),
    ])
    .await;
    assert_eq!(
        h.err_code(&[("Action", "GetUser"), ("UserName", "Bob")])
            .await,
        "NoSuchEntity"
    );
    let got = h.ok(&[("Action", "GetUser"), ("UserName", "robert")]).await;
    assert_eq!(
        value(&got, "Arn").as_deref(),
        Some("arn:aws:iam::123456789012:user/ops/Robert")
    );
    assert_eq!(
        value(&got, "UserId"),
        Some(id),
        "rename keeps the unique id"
    );

    let del = h
        .ok(&[("Action", "DeleteUser"), ("UserName", "Robert")])
        .await;
    assert!(
        !del.contains("DeleteUserResult"),
        "no Result element for output-less actions"
    );
    assert_eq!(
        h.err(&[("Action", "DeleteUser"), ("UserName", "Robert")])
            .await,
        (
            "NoSuchEntity".into(),
            404,
            "The user with name Robert cannot be found.".into()
        )
    );
}

/// Request parameters, expected code and expected status.
type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, u16);

#[tokio::test]
async fn errors_follow_aws() {
    let h = harness().await;
    h.ok(&[("Action", "CreateUser"), ("UserName", "alice")])
        .await;
    h.ok(&[("Action", "CreateUser"), ("UserName", "carol")])
        .await;
    let long = "a".repeat(65);
    let cases: Vec<Case> = vec![
        (
            vec![("Action", "CreateUser"), ("UserName", "ALICE")],
            "EntityAlreadyExists",
            409,
        ),
        (vec![("Action", "CreateUser")], "ValidationError", 400),
        (
            vec![("Action", "CreateUser"), ("UserName", "a b")],
            "ValidationError",
            400,
        ),
        (
            vec![("Action", "CreateUser"), ("UserName", &long)],
            "ValidationError",
            400,
        ),
        (
            vec![("Action", "CreateUser"), ("UserName", "x"), ("Path", "dev")],
            "ValidationError",
            400,
        ),
        (
            vec![
                ("Action", "UpdateUser"),
                ("UserName", "alice"),
                ("NewUserName", "Carol"),
            ],
            "EntityAlreadyExists",
            409,
        ),
        (
            vec![
                ("Action", "UpdateUser"),
                ("UserName", "nobody"),
                ("NewUserName", "x"),
            ],
            "NoSuchEntity",
            404,
        ),
        (
            vec![("Action", "ListUsers"), ("MaxItems", "0")],
            "ValidationError",
            400,
        ),
        (
            vec![("Action", "ListUsers"), ("Marker", "garbage")],
            "InvalidInput",
            400,
        ),
        (vec![("Action", "NoSuchThing")], "InvalidAction", 400),
        (
            vec![
                ("Action", "TagUser"),
                ("UserName", "alice"),
                ("Tags.member.1.Key", "a"),
                ("Tags.member.1.Value", "1"),
                ("Tags.member.2.Key", "A"),
                ("Tags.member.2.Value", "2"),
            ],
            "InvalidInput",
            400,
        ),
    ];
    for (pairs, code, status) in cases {
        let (c, s, _) = h.err(&pairs).await;
        assert_eq!((c.as_str(), s), (code, status), "{pairs:?}");
    }
    let (_, _, msg) = h.err(&[("Action", "Frobnicate")]).await;
    assert_eq!(
        msg,
        "Could not find operation Frobnicate for version 2010-05-08"
    );
    let (_, _, msg) = h.err(&[("Action", "CreateUser")]).await;
    assert_eq!(
        msg,
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"
    );
    let (_, _, msg) = h
        .err(&[("Action", "CreateUser"), ("UserName", "alice")])
        .await;
    assert_eq!(msg, "User with name alice already exists.");
}

#[tokio::test]
async fn pagination_sees_each_user_once() {
    let h = harness().await;
    for n in 0..250 {
        let path = if n % 2 == 0 { "/even/" } else { "/odd/" };
        h.ok(&[
            ("Action", "CreateUser"),
            ("UserName", &format!("user{n:03}")),
            ("Path", path),
        ])
        .await;
    }
    for (prefix, expected) in [("/", 250), ("/even/", 125), ("/odd", 125)] {
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut p = vec![
                ("Action", "ListUsers"),
                ("MaxItems", "7"),
                ("PathPrefix", prefix),
            ];
            if let Some(m) = &marker {
                p.push(("Marker", m));
            }
            let xml = h.ok(&p).await;
            let names = values(&xml, "UserName");
            assert!(names.len() <= 7);
            seen.extend(names);
            pages += 1;
            match value(&xml, "IsTruncated").as_deref() {
                Some("true") => {
                    marker = Some(value(&xml, "Marker").expect("marker when truncated"))
                }
                Some("false") => {
                    assert!(value(&xml, "Marker").is_none());
                    break;
                }
                other => panic!("IsTruncated {other:?}"),
            }
        }
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!(seen.len(), expected, "{prefix}");
        assert_eq!(unique.len(), expected, "{prefix}: duplicates");
        assert_eq!(pages, expected.div_ceil(7), "{prefix}");
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "listed in name order");
    }
}

#[tokio::test]
async fn concurrent_creates_of_one_name_yield_one_success() {
    let h = harness().await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let iam = h.iam.clone();
        let root = h.root.clone();
        let name = if n % 2 == 0 { "Racer" } else { "racer" };
        tasks.push(tokio::spawn(async move {
            iam.handle(
                &root,
                &common::params(&[("Action", "CreateUser"), ("UserName", name)]),
                "r",
            )
            .await
            .map_err(|e| e.to_aws().code.to_string())
        }));
    }
    let mut ok = 0;
    let mut exists = 0;
    for t in tasks {
        match t.await.expect("join") {
            Ok(_) => ok += 1,
            Err(code) if code == "EntityAlreadyExists" => exists += 1,
            Err(code) => panic!("unexpected {code}"),
        }
    }
    assert_eq!((ok, exists), (1, 7));
}

#[tokio::test]
async fn get_user_without_name_reports_the_caller() {
    let h = harness().await;
    let root = h.ok(&[("Action", "GetUser")]).await;
    assert_eq!(
        value(&root, "Arn").as_deref(),
        Some("arn:aws:iam::123456789012:root")
    );
    assert_eq!(value(&root, "UserId").as_deref(), Some(ACCOUNT));
    assert!(value(&root, "UserName").is_none());

    let created = h
        .ok(&[("Action", "CreateUser"), ("UserName", "dora")])
        .await;
    let user = Principal::User {
        account: h.account.clone(),
        name: "dora".into(),
        path: "/".into(),
        user_id: value(&created, "UserId").unwrap_or_default(),
    };
    let me = h
        .call_as(&user, &[("Action", "GetUser")])
        .await
        .expect("GetUser as user");
    assert_eq!(value(&me, "UserName").as_deref(), Some("dora"));

    let role = Principal::AssumedRole {
        account: h.account.clone(),
        role_name: "r".into(),
        role_path: "/".into(),
        role_id: "AROAEXAMPLE".into(),
        session_name: "s".into(),
    };
    let err = h
        .call_as(&role, &[("Action", "GetUser")])
        .await
        .expect_err("role has no user");
    assert_eq!(err.to_aws().code, "ValidationError");
}

#[tokio::test]
async fn accounts_are_isolated() {
    let h = harness().await;
    h.ok(&[("Action", "CreateUser"), ("UserName", "shared")])
        .await;
    let other = AccountId::parse("210987654321").expect("account");
    h.iam
        .ensure_account(&other, Some("other"), None)
        .await
        .expect("account");
    let other_root = Principal::Root { account: other };
    let list = h
        .call_as(&other_root, &[("Action", "ListUsers")])
        .await
        .expect("list");
    assert!(values(&list, "UserName").is_empty());
    h.call_as(
        &other_root,
        &[("Action", "CreateUser"), ("UserName", "shared")],
    )
    .await
    .expect("same name elsewhere");
}

#[tokio::test]
async fn tags_on_users() {
    let h = harness().await;
    h.ok(&[("Action", "CreateUser"), ("UserName", "t")]).await;
    h.ok(&[
        ("Action", "TagUser"),
        ("UserName", "t"),
        ("Tags.member.1.Key", "Env"),
        ("Tags.member.1.Value", "prod"),
        ("Tags.member.2.Key", "team"),
        ("Tags.member.2.Value", "x"),
    ])
    .await;
    h.ok(&[
        ("Action", "TagUser"),
        ("UserName", "t"),
        ("Tags.member.1.Key", "env"),
        ("Tags.member.1.Value", "dev"),
    ])
    .await;
    let xml = h.ok(&[("Action", "ListUserTags"), ("UserName", "t")]).await;
    assert_eq!(values(&xml, "Key"), vec!["env", "team"]);
    assert_eq!(values(&xml, "Value"), vec!["dev", "x"]);
    h.ok(&[
        ("Action", "UntagUser"),
        ("UserName", "t"),
        ("TagKeys.member.1", "TEAM"),
    ])
    .await;
    let xml = h.ok(&[("Action", "ListUserTags"), ("UserName", "t")]).await;
    assert_eq!(values(&xml, "Key"), vec!["env"]);
    let mut many = vec![
        ("Action".to_owned(), "TagUser".to_owned()),
        ("UserName".to_owned(), "t".to_owned()),
    ];
    for n in 1..=50 {
        many.push((format!("Tags.member.{n}.Key"), format!("k{n}")));
        many.push((format!("Tags.member.{n}.Value"), "v".to_owned()));
    }
    let pairs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(h.err_code(&pairs).await, "LimitExceeded");
}
