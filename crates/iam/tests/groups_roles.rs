//! Groups with membership, and roles with trust policies, session durations and deletion rules.

mod common;

use common::{harness, trust, value, values, ACCOUNT, ALLOW_ALL};

#[tokio::test]
async fn groups_and_membership() {
    let h = harness().await;
    let g = h
        .ok(&[
            ("Action", "CreateGroup"),
            ("GroupName", "Devs"),
            ("Path", "/eng/"),
        ])
        .await;
    assert!(value(&g, "GroupId").unwrap_or_default().starts_with("AGPA"));
    assert_eq!(
        value(&g, "Arn").as_deref(),
        Some("arn:aws:iam::123456789012:group/eng/Devs")
    );
    assert_eq!(
        h.err_code(&[("Action", "CreateGroup"), ("GroupName", "devs")])
            .await,
        "EntityAlreadyExists"
    );
    for u in ["ann", "ben"] {
        h.ok(&[("Action", "CreateUser"), ("UserName", u)]).await;
        h.ok(&[
            ("Action", "AddUserToGroup"),
            ("GroupName", "devs"),
            ("UserName", u),
        ])
        .await;
    }
    // Adding twice is a no-op.
    h.ok(&[
        ("Action", "AddUserToGroup"),
        ("GroupName", "devs"),
        ("UserName", "ann"),
    ])
    .await;
    let got = h.ok(&[("Action", "GetGroup"), ("GroupName", "devs")]).await;
    assert_eq!(value(&got, "GroupName").as_deref(), Some("Devs"));
    let mut members = values(&got, "UserName");
    members.sort();
    assert_eq!(members, vec!["ann", "ben"]);
    assert_eq!(values(&got, "UserName").len(), 2);
    let paged = h
        .ok(&[
            ("Action", "GetGroup"),
            ("GroupName", "devs"),
            ("MaxItems", "1"),
        ])
        .await;
    assert_eq!(value(&paged, "IsTruncated").as_deref(), Some("true"));
    let for_user = h
        .ok(&[("Action", "ListGroupsForUser"), ("UserName", "ann")])
        .await;
    assert_eq!(values(&for_user, "GroupName"), vec!["Devs"]);

    let (code, _, msg) = h
        .err(&[("Action", "DeleteGroup"), ("GroupName", "devs")])
        .await;
    assert_eq!(code, "DeleteConflict");
    assert_eq!(
        msg,
        "Cannot delete entity, must remove users from group first."
    );
    assert_eq!(
        h.err_code(&[("Action", "DeleteUser"), ("UserName", "ann")])
            .await,
        "DeleteConflict"
    );

    h.ok(&[
        ("Action", "UpdateGroup"),
        ("GroupName", "devs"),
        ("NewGroupName", "Builders"),
    ])
    .await;
    let for_user = h
        .ok(&[("Action", "ListGroupsForUser"), ("UserName", "ben")])
        .await;
    assert_eq!(
        values(&for_user, "GroupName"),
        vec!["Builders"],
        "membership survives a rename"
    );

    for u in ["ann", "ben"] {
        h.ok(&[
            ("Action", "RemoveUserFromGroup"),
            ("GroupName", "builders"),
            ("UserName", u),
        ])
        .await;
    }
    assert_eq!(
        h.err_code(&[
            ("Action", "RemoveUserFromGroup"),
            ("GroupName", "builders"),
            ("UserName", "ann")
        ])
        .await,
        "NoSuchEntity"
    );
    h.ok(&[
        ("Action", "PutGroupPolicy"),
        ("GroupName", "builders"),
        ("PolicyName", "p"),
        ("PolicyDocument", ALLOW_ALL),
    ])
    .await;
    assert_eq!(
        h.err_code(&[("Action", "DeleteGroup"), ("GroupName", "builders")])
            .await,
        "DeleteConflict"
    );
    h.ok(&[
        ("Action", "DeleteGroupPolicy"),
        ("GroupName", "builders"),
        ("PolicyName", "p"),
    ])
    .await;
    h.ok(&[("Action", "DeleteGroup"), ("GroupName", "builders")])
        .await;
    let list = h.ok(&[("Action", "ListGroups")]).await;
    assert!(values(&list, "GroupName").is_empty());
    h.ok(&[("Action", "DeleteUser"), ("UserName", "ann")]).await;
}

#[tokio::test]
async fn roles() {
    let h = harness().await;
    let doc = trust(ACCOUNT);
    let created = h
        .ok(&[
            ("Action", "CreateRole"),
            ("RoleName", "Deployer"),
            ("AssumeRolePolicyDocument", &doc),
            ("Description", "ci"),
            ("MaxSessionDuration", "7200"),
        ])
        .await;
    assert!(value(&created, "RoleId")
        .unwrap_or_default()
        .starts_with("AROA"));
    assert_eq!(
        value(&created, "MaxSessionDuration").as_deref(),
        Some("7200")
    );
    let encoded = value(&created, "AssumeRolePolicyDocument").unwrap_or_default();
    assert!(
        encoded.starts_with("%7B%22Version%22%3A%222012-10-17%22"),
        "{encoded}"
    );
    assert_eq!(
        percent_encoding::percent_decode_str(&encoded)
            .decode_utf8()
            .map(|s| s.into_owned())
            .ok(),
        Some(doc.clone())
    );

    let role = h
        .iam
        .get_role(&h.account, "deployer")
        .await
        .expect("lookup")
        .expect("exists");
    assert_eq!(role.assume_role_policy, doc);
    assert_eq!(role.max_session_duration, 7200);
    assert_eq!(role.arn(), "arn:aws:iam::123456789012:role/Deployer");

    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("Action", "CreateRole"),
                ("RoleName", "deployer"),
                ("AssumeRolePolicyDocument", &doc),
            ],
            "EntityAlreadyExists",
        ),
        (
            vec![
                ("Action", "CreateRole"),
                ("RoleName", "r2"),
                ("AssumeRolePolicyDocument", "{not json"),
            ],
            "MalformedPolicyDocument",
        ),
        (
            vec![
                ("Action", "CreateRole"),
                ("RoleName", "r2"),
                ("AssumeRolePolicyDocument", &doc),
                ("MaxSessionDuration", "3599"),
            ],
            "ValidationError",
        ),
        (
            vec![
                ("Action", "CreateRole"),
                ("RoleName", "r2"),
                ("AssumeRolePolicyDocument", &doc),
                ("MaxSessionDuration", "43201"),
            ],
            "ValidationError",
        ),
        (
            vec![("Action", "CreateRole"), ("RoleName", "r2")],
            "ValidationError",
        ),
        (
            vec![("Action", "UpdateRole"), ("RoleName", "nope")],
            "NoSuchEntity",
        ),
        (
            vec![
                ("Action", "UpdateAssumeRolePolicy"),
                ("RoleName", "deployer"),
                ("PolicyDocument", "[]"),
            ],
            "MalformedPolicyDocument",
        ),
    ];
    for (pairs, code) in cases {
        assert_eq!(h.err_code(&pairs).await, code, "{pairs:?}");
    }

    let upd = h
        .ok(&[
            ("Action", "UpdateRole"),
            ("RoleName", "deployer"),
            ("MaxSessionDuration", "43200"),
        ])
        .await;
    assert!(upd.contains("<UpdateRoleResult></UpdateRoleResult>"));
    let got = h
        .ok(&[("Action", "GetRole"), ("RoleName", "deployer")])
        .await;
    assert_eq!(value(&got, "MaxSessionDuration").as_deref(), Some("43200"));
    assert_eq!(value(&got, "Description").as_deref(), Some("ci"));

    h.ok(&[
        ("Action", "PutRolePolicy"),
        ("RoleName", "deployer"),
        ("PolicyName", "inline"),
        ("PolicyDocument", ALLOW_ALL),
    ])
    .await;
    let (code, _, msg) = h
        .err(&[("Action", "DeleteRole"), ("RoleName", "deployer")])
        .await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "DeleteConflict",
            "Cannot delete entity, must delete policies first."
        )
    );
    h.ok(&[
        ("Action", "DeleteRolePolicy"),
        ("RoleName", "deployer"),
        ("PolicyName", "INLINE"),
    ])
    .await;
    h.ok(&[
        ("Action", "TagRole"),
        ("RoleName", "deployer"),
        ("Tags.member.1.Key", "k"),
        ("Tags.member.1.Value", "v"),
    ])
    .await;
    let tags = h
        .ok(&[("Action", "ListRoleTags"), ("RoleName", "deployer")])
        .await;
    assert_eq!(values(&tags, "Key"), vec!["k"]);
    let list = h.ok(&[("Action", "ListRoles")]).await;
    assert_eq!(values(&list, "RoleName"), vec!["Deployer"]);
    h.ok(&[("Action", "DeleteRole"), ("RoleName", "deployer")])
        .await;
    assert!(h
        .iam
        .get_role(&h.account, "deployer")
        .await
        .expect("lookup")
        .is_none());
}
