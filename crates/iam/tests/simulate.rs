//! The policy simulator: SimulateCustomPolicy and SimulatePrincipalPolicy through `Iam::handle`,
//! following the AWS documentation's examples of allow, implicit and explicit deny, boundaries,
//! resource policies and context keys.

mod common;

use common::{harness, trust, value, values, ACCOUNT, ALLOW_ALL};

const S3_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}"#;
const DENY_DELETE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#;
const SQS_ONLY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#;
const EU_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}"#;
const BUCKET: &str = "arn:aws:s3:::photos";
const OBJECT: &str = "arn:aws:s3:::photos/cat.jpg";

fn bucket_policy(principal: &str, effect: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Principal":{{"AWS":"{principal}"}},"Action":"s3:GetObject","Resource":"{BUCKET}/*"}}]}}"#
    )
}

/// Extra request parameters of one case.
type Params<'a> = Vec<(&'a str, &'a str)>;

/// A matched statement: `SourcePolicyId` and `SourcePolicyType`.
type Match<'a> = Option<(&'a str, &'a str)>;

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

#[tokio::test]
async fn custom_policy_decisions() {
    let h = harness().await;
    let bob = user_arn("bob");
    let grant = bucket_policy(&bob, "Allow");
    let refuse = bucket_policy(&bob, "Deny");
    // (case, extra parameters, decision, matched SourcePolicyIds)
    let cases: Vec<(&str, Params, &str, Vec<&str>)> = vec![
        (
            "allow",
            vec![
                ("PolicyInputList.member.1", S3_READ),
                ("ActionNames.member.1", "s3:GetObject"),
            ],
            "allowed",
            vec!["PolicyInputList.1"],
        ),
        (
            "implicit deny",
            vec![
                ("PolicyInputList.member.1", S3_READ),
                ("ActionNames.member.1", "s3:PutObject"),
            ],
            "implicitDeny",
            vec![],
        ),
        (
            "explicit deny wins over allow",
            vec![
                ("PolicyInputList.member.1", ALLOW_ALL),
                ("PolicyInputList.member.2", DENY_DELETE),
                ("ActionNames.member.1", "s3:DeleteObject"),
            ],
            "explicitDeny",
            vec!["PolicyInputList.2"],
        ),
        (
            "boundary limits",
            vec![
                ("PolicyInputList.member.1", ALLOW_ALL),
                ("PermissionsBoundaryPolicyInputList.member.1", SQS_ONLY),
                ("ActionNames.member.1", "s3:GetObject"),
            ],
            "implicitDeny",
            vec![],
        ),
        (
            "boundary allows",
            vec![
                ("PolicyInputList.member.1", ALLOW_ALL),
                ("PermissionsBoundaryPolicyInputList.member.1", SQS_ONLY),
                ("ActionNames.member.1", "sqs:SendMessage"),
            ],
            "allowed",
            vec!["PolicyInputList.1"],
        ),
        (
            "resource policy grants the named user",
            vec![
                ("PolicyInputList.member.1", SQS_ONLY),
                ("ActionNames.member.1", "s3:GetObject"),
                ("ResourceArns.member.1", OBJECT),
                ("ResourcePolicy", &grant),
                ("CallerArn", &bob),
            ],
            "allowed",
            vec!["ResourcePolicy"],
        ),
        (
            "resource policy denies",
            vec![
                ("PolicyInputList.member.1", ALLOW_ALL),
                ("ActionNames.member.1", "s3:GetObject"),
                ("ResourceArns.member.1", OBJECT),
                ("ResourcePolicy", &refuse),
                ("CallerArn", &bob),
            ],
            "explicitDeny",
            vec!["ResourcePolicy"],
        ),
        (
            "context satisfies the condition",
            vec![
                ("PolicyInputList.member.1", EU_ONLY),
                ("ActionNames.member.1", "s3:GetObject"),
                (
                    "ContextEntries.member.1.ContextKeyName",
                    "aws:RequestedRegion",
                ),
                (
                    "ContextEntries.member.1.ContextKeyValues.member.1",
                    "eu-west-1",
                ),
                ("ContextEntries.member.1.ContextKeyType", "string"),
            ],
            "allowed",
            vec!["PolicyInputList.1"],
        ),
        (
            "context fails the condition",
            vec![
                ("PolicyInputList.member.1", EU_ONLY),
                ("ActionNames.member.1", "s3:GetObject"),
                (
                    "ContextEntries.member.1.ContextKeyName",
                    "aws:RequestedRegion",
                ),
                (
                    "ContextEntries.member.1.ContextKeyValues.member.1",
                    "us-east-1",
                ),
                ("ContextEntries.member.1.ContextKeyType", "string"),
            ],
            "implicitDeny",
            vec![],
        ),
    ];
    for (case, extra, decision, matched) in cases {
        let mut p = vec![("Action", "SimulateCustomPolicy")];
        p.extend(extra);
        let xml = h.ok(&p).await;
        assert_eq!(
            value(&xml, "EvalDecision").as_deref(),
            Some(decision),
            "{case}: {xml}"
        );
        let ids = values(&xml, "SourcePolicyId");
        // The top-level result and the one resource-specific result list the same statements.
        let want: Vec<String> = matched
            .iter()
            .chain(&matched)
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(ids, want, "{case}: {xml}");
        assert_eq!(
            value(&xml, "EvalResourceDecision").as_deref(),
            Some(decision),
            "{case}"
        );
    }
}

#[tokio::test]
async fn result_shape_positions_and_details() {
    let h = harness().await;
    let doc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\n  ]\n}";
    let xml = h
        .ok(&[
            ("Action", "SimulateCustomPolicy"),
            ("PolicyInputList.member.1", doc),
            ("PermissionsBoundaryPolicyInputList.member.1", SQS_ONLY),
            ("ActionNames.member.1", "s3:GetObject"),
        ])
        .await;
    assert!(xml.starts_with("<SimulateCustomPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><SimulateCustomPolicyResult><EvaluationResults><member><EvalActionName>s3:GetObject</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>implicitDeny</EvalDecision>"), "{xml}");
    assert_eq!(
        values(&xml, "AllowedByPermissionsBoundary"),
        ["false", "false"]
    );
    assert!(xml.contains("<EvalDecisionDetails><entry><key>IAM Policy</key><value>allowed</value></entry><entry><key>Permissions Boundary Policy</key><value>implicitDeny</value></entry></EvalDecisionDetails>"), "{xml}");
    assert_eq!(value(&xml, "IsTruncated").as_deref(), Some("false"));

    let xml = h
        .ok(&[
            ("Action", "SimulateCustomPolicy"),
            ("PolicyInputList.member.1", doc),
            ("ActionNames.member.1", "s3:GetObject"),
        ])
        .await;
    assert!(xml.contains("<SourcePolicyType>IAM Policy</SourcePolicyType><StartPosition><Line>4</Line><Column>5</Column></StartPosition><EndPosition><Line>4</Line><Column>59</Column></EndPosition>"), "{xml}");
    assert!(!xml.contains("PermissionsBoundaryDecisionDetail"), "{xml}");
}

#[tokio::test]
async fn missing_context_values_are_reported() {
    let h = harness().await;
    let two_keys = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1","aws:username":"bob"},"Bool":{"aws:SecureTransport":"true"}}}]}"#;
    let xml = h
        .ok(&[
            ("Action", "SimulateCustomPolicy"),
            ("PolicyInputList.member.1", two_keys),
            ("ActionNames.member.1", "s3:GetObject"),
            (
                "ContextEntries.member.1.ContextKeyName",
                "aws:SecureTransport",
            ),
            ("ContextEntries.member.1.ContextKeyValues.member.1", "true"),
            ("ContextEntries.member.1.ContextKeyType", "boolean"),
            ("CallerArn", &user_arn("bob")),
        ])
        .await;
    // aws:username comes from the caller; aws:SecureTransport from the context.
    let missing = xml
        .split("<MissingContextValues>")
        .nth(1)
        .and_then(|s| s.split("</MissingContextValues>").next())
        .unwrap_or_default();
    assert_eq!(missing, "<member>aws:RequestedRegion</member>", "{xml}");
    assert_eq!(value(&xml, "EvalDecision").as_deref(), Some("implicitDeny"));
}

#[tokio::test]
async fn results_page_by_action_and_aggregate_resources() {
    let h = harness().await;
    let actions = ["s3:GetObject", "s3:ListBucket", "s3:PutObject"];
    let mut p = vec![
        ("Action", "SimulateCustomPolicy"),
        ("PolicyInputList.member.1", S3_READ),
        ("PolicyInputList.member.2", DENY_DELETE),
        ("ResourceArns.member.1", BUCKET),
        ("ResourceArns.member.2", OBJECT),
        ("MaxItems", "2"),
    ];
    let names: Vec<String> = (1..=actions.len())
        .map(|n| format!("ActionNames.member.{n}"))
        .collect();
    for (k, a) in names.iter().zip(actions) {
        p.push((k, a));
    }
    let first = h.ok(&p).await;
    assert_eq!(values(&first, "EvalActionName"), actions[..2]);
    assert_eq!(value(&first, "IsTruncated").as_deref(), Some("true"));
    assert_eq!(
        values(&first, "EvalResourceName")[..3],
        ["*", BUCKET, OBJECT]
    );
    let marker = value(&first, "Marker").unwrap_or_default();
    p.push(("Marker", &marker));
    let second = h.ok(&p).await;
    assert_eq!(values(&second, "EvalActionName"), actions[2..]);
    assert_eq!(value(&second, "IsTruncated").as_deref(), Some("false"));
    assert_eq!(value(&second, "Marker"), None);

    // One resource denies explicitly, the other allows: the action's decision is the strictest.
    let mixed = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::photos/*"}]}"#;
    let xml = h
        .ok(&[
            ("Action", "SimulateCustomPolicy"),
            ("PolicyInputList.member.1", mixed),
            ("ActionNames.member.1", "s3:GetObject"),
            ("ResourceArns.member.1", BUCKET),
            ("ResourceArns.member.2", OBJECT),
        ])
        .await;
    assert_eq!(value(&xml, "EvalDecision").as_deref(), Some("explicitDeny"));
    assert_eq!(
        values(&xml, "EvalResourceDecision"),
        ["allowed", "explicitDeny"]
    );
}

#[tokio::test]
async fn principal_policy_of_users_groups_and_roles() {
    let h = harness().await;
    h.ok(&[("Action", "CreateUser"), ("UserName", "bob")]).await;
    h.ok(&[("Action", "CreateGroup"), ("GroupName", "readers")])
        .await;
    h.ok(&[
        ("Action", "AddUserToGroup"),
        ("GroupName", "readers"),
        ("UserName", "bob"),
    ])
    .await;
    h.ok(&[
        ("Action", "PutGroupPolicy"),
        ("GroupName", "readers"),
        ("PolicyName", "S3Read"),
        ("PolicyDocument", S3_READ),
    ])
    .await;
    h.ok(&[
        ("Action", "CreatePolicy"),
        ("PolicyName", "NoDelete"),
        ("PolicyDocument", DENY_DELETE),
    ])
    .await;
    let no_delete = format!("arn:aws:iam::{ACCOUNT}:policy/NoDelete");
    h.ok(&[
        ("Action", "AttachUserPolicy"),
        ("UserName", "bob"),
        ("PolicyArn", &no_delete),
    ])
    .await;
    h.ok(&[
        ("Action", "CreateRole"),
        ("RoleName", "ops"),
        ("AssumeRolePolicyDocument", &trust(ACCOUNT)),
    ])
    .await;
    h.ok(&[
        ("Action", "PutRolePolicy"),
        ("RoleName", "ops"),
        ("PolicyName", "All"),
        ("PolicyDocument", ALLOW_ALL),
    ])
    .await;
    h.ok(&[
        ("Action", "CreatePolicy"),
        ("PolicyName", "SqsBoundary"),
        ("PolicyDocument", SQS_ONLY),
    ])
    .await;
    let sqs_boundary = format!("arn:aws:iam::{ACCOUNT}:policy/SqsBoundary");
    h.ok(&[
        ("Action", "PutRolePermissionsBoundary"),
        ("RoleName", "ops"),
        ("PermissionsBoundary", &sqs_boundary),
    ])
    .await;

    let bob = user_arn("bob");
    let group = format!("arn:aws:iam::{ACCOUNT}:group/readers");
    let role = format!("arn:aws:iam::{ACCOUNT}:role/ops");
    // (source, action, extra, decision, matched id, matched type)
    let cases: Vec<(&str, &str, Params, &str, Match)> = vec![
        (
            &bob,
            "s3:GetObject",
            vec![],
            "allowed",
            Some(("S3Read", "group")),
        ),
        (
            &bob,
            "s3:DeleteObject",
            vec![],
            "explicitDeny",
            Some((&no_delete, "user-managed")),
        ),
        (&bob, "sqs:SendMessage", vec![], "implicitDeny", None),
        (
            &bob,
            "sqs:SendMessage",
            vec![("PolicyInputList.member.1", SQS_ONLY)],
            "allowed",
            Some(("PolicyInputList.1", "IAM Policy")),
        ),
        (
            &group,
            "s3:ListBucket",
            vec![],
            "allowed",
            Some(("S3Read", "group")),
        ),
        (&group, "s3:DeleteObject", vec![], "implicitDeny", None),
        // The role allows everything but its boundary only SQS.
        (&role, "s3:GetObject", vec![], "implicitDeny", None),
        (
            &role,
            "sqs:SendMessage",
            vec![],
            "allowed",
            Some(("All", "role")),
        ),
        // A boundary given in the request replaces the role's own.
        (
            &role,
            "s3:GetObject",
            vec![("PermissionsBoundaryPolicyInputList.member.1", S3_READ)],
            "allowed",
            Some(("All", "role")),
        ),
    ];
    for (source, action, extra, decision, matched) in cases {
        let mut p = vec![
            ("Action", "SimulatePrincipalPolicy"),
            ("PolicySourceArn", source),
            ("ActionNames.member.1", action),
        ];
        p.extend(extra);
        let xml = h.ok(&p).await;
        let case = format!("{source} {action}");
        assert_eq!(
            value(&xml, "EvalDecision").as_deref(),
            Some(decision),
            "{case}: {xml}"
        );
        assert_eq!(
            value(&xml, "SourcePolicyId").as_deref(),
            matched.map(|m| m.0),
            "{case}: {xml}"
        );
        assert_eq!(
            value(&xml, "SourcePolicyType").as_deref(),
            matched.map(|m| m.1),
            "{case}: {xml}"
        );
    }
    let role_xml = h
        .ok(&[
            ("Action", "SimulatePrincipalPolicy"),
            ("PolicySourceArn", &role),
            ("ActionNames.member.1", "s3:GetObject"),
        ])
        .await;
    assert_eq!(
        value(&role_xml, "AllowedByPermissionsBoundary").as_deref(),
        Some("false")
    );
}

#[tokio::test]
async fn principal_tags_feed_conditions() {
    let h = harness().await;
    h.ok(&[
        ("Action", "CreateUser"),
        ("UserName", "tia"),
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "blue"),
    ])
    .await;
    let by_team = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}"#;
    h.ok(&[
        ("Action", "PutUserPolicy"),
        ("UserName", "tia"),
        ("PolicyName", "Team"),
        ("PolicyDocument", by_team),
    ])
    .await;
    let xml = h
        .ok(&[
            ("Action", "SimulatePrincipalPolicy"),
            ("PolicySourceArn", &user_arn("tia")),
            ("ActionNames.member.1", "s3:GetObject"),
        ])
        .await;
    assert_eq!(value(&xml, "EvalDecision").as_deref(), Some("allowed"));
    assert!(
        xml.contains("<MissingContextValues></MissingContextValues>")
            || xml.contains("<MissingContextValues/>"),
        "{xml}"
    );
}

#[tokio::test]
async fn errors() {
    let h = harness().await;
    let cases: Vec<(Params, &str)> = vec![
        (
            vec![
                ("Action", "SimulateCustomPolicy"),
                ("PolicyInputList.member.1", "{not json"),
                ("ActionNames.member.1", "s3:GetObject"),
            ],
            "MalformedPolicyDocument",
        ),
        (
            vec![
                ("Action", "SimulateCustomPolicy"),
                ("PolicyInputList.member.1", S3_READ),
                ("ActionNames.member.1", "s3:GetObject"),
                (
                    "ResourcePolicy",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
                ),
                ("CallerArn", "arn:aws:iam::123456789012:user/bob"),
            ],
            "MalformedPolicyDocument",
        ),
        (
            vec![
                ("Action", "SimulateCustomPolicy"),
                ("ActionNames.member.1", "s3:GetObject"),
            ],
            "ValidationError",
        ),
        (
            vec![
                ("Action", "SimulateCustomPolicy"),
                ("PolicyInputList.member.1", S3_READ),
            ],
            "ValidationError",
        ),
        (
            vec![
                ("Action", "SimulateCustomPolicy"),
                ("PolicyInputList.member.1", S3_READ),
                ("ActionNames.member.1", "s3:GetObject"),
                ("ResourceArns.member.1", "photos"),
            ],
            "InvalidInput",
        ),
        (
            vec![
                ("Action", "SimulateCustomPolicy"),
                ("PolicyInputList.member.1", S3_READ),
                ("ActionNames.member.1", "s3:GetObject"),
                ("CallerArn", "arn:aws:sts::123456789012:assumed-role/r/s"),
            ],
            "InvalidInput",
        ),
        (
            vec![
                ("Action", "SimulateCustomPolicy"),
                ("PolicyInputList.member.1", S3_READ),
                ("ActionNames.member.1", "s3:GetObject"),
                ("ContextEntries.member.1.ContextKeyName", "aws:SourceIp"),
                (
                    "ContextEntries.member.1.ContextKeyValues.member.1",
                    "10.0.0.1",
                ),
                ("ContextEntries.member.1.ContextKeyType", "address"),
            ],
            "ValidationError",
        ),
        (
            vec![
                ("Action", "SimulatePrincipalPolicy"),
                ("PolicySourceArn", "arn:aws:iam::123456789012:user/nobody"),
                ("ActionNames.member.1", "s3:GetObject"),
            ],
            "NoSuchEntity",
        ),
        (
            vec![
                ("Action", "SimulatePrincipalPolicy"),
                ("PolicySourceArn", "arn:aws:iam::123456789012:policy/p1"),
                ("ActionNames.member.1", "s3:GetObject"),
            ],
            "InvalidInput",
        ),
        (
            vec![
                ("Action", "SimulateCustomPolicy"),
                ("PolicyInputList.member.1", S3_READ),
                ("ActionNames.member.1", "s3:GetObject"),
                ("Marker", "bm90LWEtbWFya2Vy"),
            ],
            "InvalidInput",
        ),
    ];
    for (p, code) in cases {
        assert_eq!(h.err_code(&p).await, code, "{p:?}");
    }
}
