//! Inline and managed policies, versions, attachments, boundaries, the lookups for the policy
//! engine, and GetAccountAuthorizationDetails.

mod common;

use common::{harness, policy_of_size, trust, value, values, ACCOUNT, ALLOW_ALL};

const ARN: &str = "arn:aws:iam::123456789012:policy/team/Read";

#[tokio::test]
async fn inline_policies() {
    let h = harness().await;
    h.ok(&[("Action", "CreateUser"), ("UserName", "ivy")]).await;
    h.ok(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "ivy"),
        ("PolicyName", "All"),
        ("PolicyDocument", ALLOW_ALL),
    ])
    .await;
    let got = h
        .ok(&[
            ("Action", "GetUserPolicy"),
            ("UserName", "ivy"),
            ("PolicyName", "all"),
        ])
        .await;
    assert_eq!(value(&got, "UserName").as_deref(), Some("ivy"));
    assert_eq!(value(&got, "PolicyName").as_deref(), Some("All"));
    let doc = value(&got, "PolicyDocument").unwrap_or_default();
    assert_eq!(
        percent_encoding::percent_decode_str(&doc)
            .decode_utf8()
            .ok()
            .as_deref(),
        Some(ALLOW_ALL)
    );
    let list = h
        .ok(&[("Action", "ListUserPolicies"), ("UserName", "ivy")])
        .await;
    assert_eq!(values(&list, "member"), vec!["All"]);
    assert_eq!(
        h.err_code(&[("Action", "DeleteUser"), ("UserName", "ivy")])
            .await,
        "DeleteConflict"
    );

    let (code, status, msg) = h
        .err(&[
            ("Action", "GetUserPolicy"),
            ("UserName", "ivy"),
            ("PolicyName", "none"),
        ])
        .await;
    assert_eq!((code.as_str(), status), ("NoSuchEntity", 404));
    assert_eq!(msg, "The user policy with name none cannot be found.");
    assert_eq!(
        h.err_code(&[
            ("Action", "PutUserPolicy"),
            ("UserName", "ivy"),
            ("PolicyName", "bad"),
            ("PolicyDocument", "{\"Version\":\"2012-10-17\"}")
        ])
        .await,
        "MalformedPolicyDocument"
    );
    // The user quota (2048) counts all inline policies together; replacing one does not double count.
    let big = policy_of_size(1500);
    h.ok(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "ivy"),
        ("PolicyName", "All"),
        ("PolicyDocument", &big),
    ])
    .await;
    let (code, status, msg) = h
        .err(&[
            ("Action", "PutUserPolicy"),
            ("UserName", "ivy"),
            ("PolicyName", "Second"),
            ("PolicyDocument", &policy_of_size(600)),
        ])
        .await;
    assert_eq!((code.as_str(), status), ("LimitExceeded", 409));
    assert_eq!(
        msg,
        "Maximum policy size of 2048 bytes exceeded for user ivy"
    );
    // Groups and roles have larger quotas.
    h.ok(&[("Action", "CreateGroup"), ("GroupName", "g")]).await;
    h.ok(&[
        ("Action", "PutGroupPolicy"),
        ("GroupName", "g"),
        ("PolicyName", "big"),
        ("PolicyDocument", &policy_of_size(5000)),
    ])
    .await;
    assert_eq!(
        h.err_code(&[
            ("Action", "PutGroupPolicy"),
            ("GroupName", "g"),
            ("PolicyName", "big2"),
            ("PolicyDocument", &policy_of_size(300))
        ])
        .await,
        "LimitExceeded"
    );
    h.ok(&[
        ("Action", "CreateRole"),
        ("RoleName", "r"),
        ("AssumeRolePolicyDocument", &trust(ACCOUNT)),
    ])
    .await;
    h.ok(&[
        ("Action", "PutRolePolicy"),
        ("RoleName", "r"),
        ("PolicyName", "big"),
        ("PolicyDocument", &policy_of_size(10000)),
    ])
    .await;
    assert_eq!(
        h.err_code(&[
            ("Action", "PutRolePolicy"),
            ("RoleName", "r"),
            ("PolicyName", "more"),
            ("PolicyDocument", &policy_of_size(300))
        ])
        .await,
        "LimitExceeded"
    );
    h.ok(&[
        ("Action", "DeleteUserPolicy"),
        ("UserName", "ivy"),
        ("PolicyName", "ALL"),
    ])
    .await;
    h.ok(&[("Action", "DeleteUser"), ("UserName", "ivy")]).await;
}

#[tokio::test]
async fn managed_policies_and_versions() {
    let h = harness().await;
    let created = h
        .ok(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", "Read"),
            ("Path", "/team/"),
            ("PolicyDocument", ALLOW_ALL),
            ("Description", "d"),
        ])
        .await;
    assert_eq!(value(&created, "Arn").as_deref(), Some(ARN));
    assert!(value(&created, "PolicyId")
        .unwrap_or_default()
        .starts_with("ANPA"));
    assert_eq!(value(&created, "DefaultVersionId").as_deref(), Some("v1"));
    assert_eq!(value(&created, "AttachmentCount").as_deref(), Some("0"));
    let (code, _, msg) = h
        .err(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", "read"),
            ("PolicyDocument", ALLOW_ALL),
        ])
        .await;
    assert_eq!(code, "EntityAlreadyExists");
    assert_eq!(
        msg,
        "A policy called read already exists. Duplicate names are not allowed."
    );
    assert_eq!(
        h.err_code(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", "huge"),
            ("PolicyDocument", &policy_of_size(6200))
        ])
        .await,
        "LimitExceeded"
    );
    assert_eq!(
        h.err_code(&[
            ("Action", "CreatePolicy"),
            ("PolicyName", "bad"),
            ("PolicyDocument", "nope")
        ])
        .await,
        "MalformedPolicyDocument"
    );
    assert_eq!(
        h.err_code(&[
            ("Action", "GetPolicy"),
            ("PolicyArn", "arn:aws:iam::123456789012:policy/team/Nope")
        ])
        .await,
        "NoSuchEntity"
    );
    assert_eq!(
        h.err_code(&[
            ("Action", "GetPolicy"),
            ("PolicyArn", "definitely not an arn at all")
        ])
        .await,
        "InvalidInput"
    );

    for n in 2..=5 {
        let v = h
            .ok(&[
                ("Action", "CreatePolicyVersion"),
                ("PolicyArn", ARN),
                ("PolicyDocument", &policy_of_size(100 + n)),
                ("SetAsDefault", if n == 3 { "true" } else { "false" }),
            ])
            .await;
        assert_eq!(value(&v, "VersionId"), Some(format!("v{n}")));
        assert!(value(&v, "Document").is_none());
    }
    let (code, _, _) = h
        .err(&[
            ("Action", "CreatePolicyVersion"),
            ("PolicyArn", ARN),
            ("PolicyDocument", ALLOW_ALL),
        ])
        .await;
    assert_eq!(code, "LimitExceeded");
    let got = h.ok(&[("Action", "GetPolicy"), ("PolicyArn", ARN)]).await;
    assert_eq!(value(&got, "DefaultVersionId").as_deref(), Some("v3"));
    let versions = h
        .ok(&[("Action", "ListPolicyVersions"), ("PolicyArn", ARN)])
        .await;
    assert_eq!(
        values(&versions, "VersionId"),
        vec!["v5", "v4", "v3", "v2", "v1"]
    );
    let v1 = h
        .ok(&[
            ("Action", "GetPolicyVersion"),
            ("PolicyArn", ARN),
            ("VersionId", "v1"),
        ])
        .await;
    assert_eq!(value(&v1, "IsDefaultVersion").as_deref(), Some("false"));
    assert!(value(&v1, "Document")
        .unwrap_or_default()
        .starts_with("%7B"));
    assert_eq!(
        h.err_code(&[
            ("Action", "GetPolicyVersion"),
            ("PolicyArn", ARN),
            ("VersionId", "v9")
        ])
        .await,
        "NoSuchEntity"
    );
    assert_eq!(
        h.err_code(&[
            ("Action", "GetPolicyVersion"),
            ("PolicyArn", ARN),
            ("VersionId", "x1")
        ])
        .await,
        "ValidationError"
    );

    let (code, _, msg) = h
        .err(&[
            ("Action", "DeletePolicyVersion"),
            ("PolicyArn", ARN),
            ("VersionId", "v3"),
        ])
        .await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "DeleteConflict",
            "Cannot delete the default version of a policy."
        )
    );
    h.ok(&[
        ("Action", "SetDefaultPolicyVersion"),
        ("PolicyArn", ARN),
        ("VersionId", "v5"),
    ])
    .await;
    assert_eq!(
        h.err_code(&[("Action", "DeletePolicy"), ("PolicyArn", ARN)])
            .await,
        "DeleteConflict"
    );
    for v in ["v1", "v2", "v3", "v4"] {
        h.ok(&[
            ("Action", "DeletePolicyVersion"),
            ("PolicyArn", ARN),
            ("VersionId", v),
        ])
        .await;
    }
    // Version ids are never reused.
    let v = h
        .ok(&[
            ("Action", "CreatePolicyVersion"),
            ("PolicyArn", ARN),
            ("PolicyDocument", ALLOW_ALL),
        ])
        .await;
    assert_eq!(value(&v, "VersionId").as_deref(), Some("v6"));
    h.ok(&[
        ("Action", "DeletePolicyVersion"),
        ("PolicyArn", ARN),
        ("VersionId", "v6"),
    ])
    .await;
    h.ok(&[("Action", "DeletePolicy"), ("PolicyArn", ARN)])
        .await;
    assert_eq!(
        h.err_code(&[("Action", "GetPolicy"), ("PolicyArn", ARN)])
            .await,
        "NoSuchEntity"
    );
}

#[tokio::test]
async fn attachments_and_boundaries() {
    let h = harness().await;
    h.ok(&[
        ("Action", "CreatePolicy"),
        ("PolicyName", "Read"),
        ("Path", "/team/"),
        ("PolicyDocument", ALLOW_ALL),
    ])
    .await;
    h.ok(&[("Action", "CreateUser"), ("UserName", "u")]).await;
    h.ok(&[("Action", "CreateGroup"), ("GroupName", "g")]).await;
    h.ok(&[
        ("Action", "CreateRole"),
        ("RoleName", "r"),
        ("AssumeRolePolicyDocument", &trust(ACCOUNT)),
    ])
    .await;
    h.ok(&[
        ("Action", "AddUserToGroup"),
        ("GroupName", "g"),
        ("UserName", "u"),
    ])
    .await;
    for (action, param, name) in [
        ("AttachUserPolicy", "UserName", "u"),
        ("AttachGroupPolicy", "GroupName", "g"),
        ("AttachRolePolicy", "RoleName", "r"),
    ] {
        h.ok(&[("Action", action), (param, name), ("PolicyArn", ARN)])
            .await;
        h.ok(&[("Action", action), (param, name), ("PolicyArn", ARN)])
            .await; // no-op
    }
    let got = h.ok(&[("Action", "GetPolicy"), ("PolicyArn", ARN)]).await;
    assert_eq!(value(&got, "AttachmentCount").as_deref(), Some("3"));
    let attached = h
        .ok(&[("Action", "ListAttachedUserPolicies"), ("UserName", "u")])
        .await;
    assert_eq!(values(&attached, "PolicyArn"), vec![ARN]);
    assert_eq!(values(&attached, "PolicyName"), vec!["Read"]);
    let filtered = h
        .ok(&[
            ("Action", "ListAttachedRolePolicies"),
            ("RoleName", "r"),
            ("PathPrefix", "/other/"),
        ])
        .await;
    assert!(values(&filtered, "PolicyArn").is_empty());
    let entities = h
        .ok(&[("Action", "ListEntitiesForPolicy"), ("PolicyArn", ARN)])
        .await;
    assert_eq!(values(&entities, "UserName"), vec!["u"]);
    assert_eq!(values(&entities, "GroupName"), vec!["g"]);
    assert_eq!(values(&entities, "RoleName"), vec!["r"]);
    let only_roles = h
        .ok(&[
            ("Action", "ListEntitiesForPolicy"),
            ("PolicyArn", ARN),
            ("EntityFilter", "Role"),
        ])
        .await;
    assert!(values(&only_roles, "UserName").is_empty());
    let attached_only = h
        .ok(&[
            ("Action", "ListPolicies"),
            ("Scope", "Local"),
            ("OnlyAttached", "true"),
        ])
        .await;
    assert_eq!(values(&attached_only, "PolicyName"), vec!["Read"]);
    let aws = h.ok(&[("Action", "ListPolicies"), ("Scope", "AWS")]).await;
    assert!(values(&aws, "PolicyName").is_empty());

    assert_eq!(
        h.err_code(&[("Action", "DeletePolicy"), ("PolicyArn", ARN)])
            .await,
        "DeleteConflict"
    );
    let (code, _, msg) = h.err(&[("Action", "DeleteUser"), ("UserName", "u")]).await;
    assert_eq!(code, "DeleteConflict");
    assert_eq!(msg, "Cannot delete entity, must detach all policies first.");
    for (action, param, name) in [
        ("DeleteRole", "RoleName", "r"),
        ("DeleteGroup", "GroupName", "g"),
    ] {
        let (code, _, msg) = h.err(&[("Action", action), (param, name)]).await;
        assert_eq!(code, "DeleteConflict", "{action}");
        if action == "DeleteRole" {
            assert_eq!(msg, "Cannot delete entity, must detach all policies first.");
        }
    }
    assert_eq!(
        h.err_code(&[
            ("Action", "AttachUserPolicy"),
            ("UserName", "u"),
            ("PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
        ])
        .await,
        "NoSuchEntity"
    );

    // What the policy engine will read: own, group and attached policies, and the boundary.
    h.ok(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "u"),
        ("PolicyName", "own"),
        ("PolicyDocument", ALLOW_ALL),
    ])
    .await;
    h.ok(&[
        ("Action", "PutGroupPolicy"),
        ("GroupName", "g"),
        ("PolicyName", "fromgroup"),
        ("PolicyDocument", ALLOW_ALL),
    ])
    .await;
    h.ok(&[
        ("Action", "PutUserPermissionsBoundary"),
        ("UserName", "u"),
        ("PermissionsBoundary", ARN),
    ])
    .await;
    let user = h.ok(&[("Action", "GetUser"), ("UserName", "u")]).await;
    assert_eq!(value(&user, "PermissionsBoundaryArn").as_deref(), Some(ARN));
    assert_eq!(
        value(&user, "PermissionsBoundaryType").as_deref(),
        Some("PermissionsBoundaryPolicy")
    );
    let p = h
        .iam
        .user_policies(&h.account, "U")
        .await
        .expect("lookup")
        .expect("exists");
    let inline: Vec<&str> = p.inline.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(inline, vec!["own", "fromgroup"]);
    assert_eq!(p.managed.len(), 2, "attached to the user and via the group");
    assert_eq!(p.boundary.as_ref().map(|b| b.source.as_str()), Some(ARN));
    let boundaries = h
        .ok(&[
            ("Action", "ListEntitiesForPolicy"),
            ("PolicyArn", ARN),
            ("PolicyUsageFilter", "PermissionsBoundary"),
        ])
        .await;
    assert_eq!(values(&boundaries, "UserName"), vec!["u"]);
    let got = h.ok(&[("Action", "GetPolicy"), ("PolicyArn", ARN)]).await;
    assert_eq!(
        value(&got, "PermissionsBoundaryUsageCount").as_deref(),
        Some("1")
    );

    let details = h.ok(&[("Action", "GetAccountAuthorizationDetails")]).await;
    assert_eq!(values(&details, "UserName"), vec!["u"]);
    assert!(details.contains("<GroupList><member>g</member></GroupList>"));
    assert_eq!(values(&details, "RoleName"), vec!["r"]);
    assert!(details.contains("<PolicyVersionList><member><Document>%7B"));
    let only_roles = h
        .ok(&[
            ("Action", "GetAccountAuthorizationDetails"),
            ("Filter.member.1", "Role"),
        ])
        .await;
    assert!(values(&only_roles, "UserName").is_empty());
    assert_eq!(values(&only_roles, "RoleName"), vec!["r"]);
    let paged = h
        .ok(&[
            ("Action", "GetAccountAuthorizationDetails"),
            ("MaxItems", "2"),
        ])
        .await;
    assert_eq!(value(&paged, "IsTruncated").as_deref(), Some("true"));
    let marker = value(&paged, "Marker").unwrap_or_default();
    let rest = h
        .ok(&[
            ("Action", "GetAccountAuthorizationDetails"),
            ("MaxItems", "2"),
            ("Marker", &marker),
        ])
        .await;
    assert_eq!(value(&rest, "IsTruncated").as_deref(), Some("false"));
    assert_eq!(values(&rest, "RoleName"), vec!["r"]);

    // Tear down in AWS's order.
    h.ok(&[
        ("Action", "DeleteUserPermissionsBoundary"),
        ("UserName", "u"),
    ])
    .await;
    h.ok(&[
        ("Action", "DeleteUserPolicy"),
        ("UserName", "u"),
        ("PolicyName", "own"),
    ])
    .await;
    h.ok(&[
        ("Action", "RemoveUserFromGroup"),
        ("GroupName", "g"),
        ("UserName", "u"),
    ])
    .await;
    for (action, param, name) in [
        ("DetachUserPolicy", "UserName", "u"),
        ("DetachGroupPolicy", "GroupName", "g"),
        ("DetachRolePolicy", "RoleName", "r"),
    ] {
        h.ok(&[("Action", action), (param, name), ("PolicyArn", ARN)])
            .await;
    }
    assert_eq!(
        h.err_code(&[
            ("Action", "DetachRolePolicy"),
            ("RoleName", "r"),
            ("PolicyArn", ARN)
        ])
        .await,
        "NoSuchEntity"
    );
    h.ok(&[("Action", "DeleteUser"), ("UserName", "u")]).await;
    h.ok(&[("Action", "DeletePolicy"), ("PolicyArn", ARN)])
        .await;
}
