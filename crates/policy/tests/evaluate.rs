//! Evaluation logic, following AWS's "Policy evaluation logic", "Permissions boundaries",
//! "Session policies" and "Cross-account policy evaluation logic" pages.

mod common;

use common::*;
use tessera_policy::{
    evaluate, parse, parse_resource_policy, parse_trust_policy, Context, Policy, PolicySet,
    PolicyType, PrincipalInfo, Request, Verdict,
};

fn id(doc: &str) -> Policy {
    parse(doc).unwrap_or_else(|e| panic!("{doc}: {e}"))
}

fn res(doc: &str) -> Policy {
    parse_resource_policy(doc).unwrap_or_else(|e| panic!("{doc}: {e}"))
}

fn bucket_policy(effect: &str, principal: &str) -> Policy {
    res(&format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Sid":"Bucket","Effect":"{effect}","Principal":{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}}}"#
    ))
}

/// The verdict and the policy type that decided.
type Outcome = (Verdict, PolicyType);

fn decide(who: &PrincipalInfo, action: &str, resource: &str, set: &PolicySet<'_>) -> Outcome {
    let ctx = Context::new();
    let req = Request {
        principal: who,
        action,
        resource,
        context: &ctx,
    };
    let d = evaluate(&req, set);
    (d.verdict, d.policy_type)
}

const OBJECT: &str = "arn:aws:s3:::b/key";

#[test]
fn identity_policies() {
    let bob = user(ACCOUNT, "bob");
    let allow_s3 = id(&allow("s3:*", "*"));
    let allow_get = id(&allow("s3:Get*", "arn:aws:s3:::b/*"));
    let deny_get = id(&deny("s3:GetObject", "*"));
    let not_action = id(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#,
    );
    let not_resource = id(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::b/*"}}"#,
    );
    let cases: Vec<(Vec<&Policy>, &str, &str, Outcome)> = vec![
        (
            vec![],
            "s3:GetObject",
            OBJECT,
            (Verdict::ImplicitDeny, PolicyType::Identity),
        ),
        (
            vec![&allow_s3],
            "s3:GetObject",
            OBJECT,
            (Verdict::Allow, PolicyType::Identity),
        ),
        (
            vec![&allow_s3],
            "S3:getobject",
            OBJECT,
            (Verdict::Allow, PolicyType::Identity),
        ),
        (
            vec![&allow_get],
            "s3:GetObject",
            "arn:aws:s3:::other/key",
            (Verdict::ImplicitDeny, PolicyType::Identity),
        ),
        (
            vec![&allow_get],
            "s3:PutObject",
            OBJECT,
            (Verdict::ImplicitDeny, PolicyType::Identity),
        ),
        (
            vec![&allow_s3, &deny_get],
            "s3:GetObject",
            OBJECT,
            (Verdict::ExplicitDeny, PolicyType::Identity),
        ),
        (
            vec![&deny_get, &allow_s3],
            "s3:PutObject",
            OBJECT,
            (Verdict::Allow, PolicyType::Identity),
        ),
        (
            vec![&not_action],
            "s3:GetObject",
            OBJECT,
            (Verdict::Allow, PolicyType::Identity),
        ),
        (
            vec![&not_action],
            "iam:GetUser",
            "*",
            (Verdict::ImplicitDeny, PolicyType::Identity),
        ),
        (
            vec![&allow_s3, &not_resource],
            "s3:GetObject",
            "arn:aws:s3:::other/key",
            (Verdict::ExplicitDeny, PolicyType::Identity),
        ),
        (
            vec![&allow_s3, &not_resource],
            "s3:GetObject",
            OBJECT,
            (Verdict::Allow, PolicyType::Identity),
        ),
    ];
    for (identity, action, resource, want) in cases {
        let set = PolicySet {
            identity,
            ..PolicySet::default()
        };
        assert_eq!(
            decide(&bob, action, resource, &set),
            want,
            "{action} {resource}"
        );
    }
}

#[test]
fn deciding_statement_is_reported() {
    let bob = user(ACCOUNT, "bob");
    let a = id(&allow("iam:List*", "*"));
    let b = id(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"One","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"Two","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}"#,
    );
    let set = PolicySet {
        identity: vec![&a, &b],
        ..PolicySet::default()
    };
    let ctx = Context::new();
    let req = Request {
        principal: &bob,
        action: "s3:DeleteObject",
        resource: OBJECT,
        context: &ctx,
    };
    let d = evaluate(&req, &set);
    let s = d.statement.unwrap();
    assert_eq!(
        (s.policy_index, s.statement_index, s.sid),
        (1, 1, Some("Two"))
    );
    assert_eq!(
        d.access_denied_message(&req).unwrap(),
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: s3:DeleteObject on resource: arn:aws:s3:::b/key with an explicit deny in an identity-based policy"
    );
    let req = Request {
        action: "iam:GetUser",
        resource: "arn:aws:iam::111122223333:user/bob",
        ..req
    };
    assert_eq!(
        evaluate(&req, &set).access_denied_message(&req).unwrap(),
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: iam:GetUser on resource: arn:aws:iam::111122223333:user/bob because no identity-based policy allows the iam:GetUser action"
    );
    let req = Request {
        action: "s3:GetObject",
        resource: OBJECT,
        ..req
    };
    let d = evaluate(&req, &set);
    assert!(d.is_allowed());
    assert_eq!(d.access_denied_message(&req), None);
    assert_eq!(d.statement.unwrap().sid, Some("One"));
}

#[test]
fn reasons_name_the_policy_type() {
    use tessera_policy::Decision;
    let cases = [
        (
            Verdict::ImplicitDeny,
            PolicyType::Identity,
            "because no identity-based policy allows the s3:GetObject action",
        ),
        (
            Verdict::ImplicitDeny,
            PolicyType::PermissionsBoundary,
            "because no permissions boundary allows the s3:GetObject action",
        ),
        (
            Verdict::ImplicitDeny,
            PolicyType::Session,
            "because no session policy allows the s3:GetObject action",
        ),
        (
            Verdict::ImplicitDeny,
            PolicyType::Resource,
            "because no resource-based policy allows the s3:GetObject action",
        ),
        (
            Verdict::ExplicitDeny,
            PolicyType::Identity,
            "with an explicit deny in an identity-based policy",
        ),
        (
            Verdict::ExplicitDeny,
            PolicyType::PermissionsBoundary,
            "with an explicit deny in a permissions boundary",
        ),
        (
            Verdict::ExplicitDeny,
            PolicyType::Session,
            "with an explicit deny in a session policy",
        ),
        (
            Verdict::ExplicitDeny,
            PolicyType::Resource,
            "with an explicit deny in a resource-based policy",
        ),
    ];
    for (verdict, policy_type, want) in cases {
        let d = Decision {
            verdict,
            policy_type,
            statement: None,
        };
        assert_eq!(d.reason("s3:GetObject").as_deref(), Some(want));
    }
}

#[test]
fn permissions_boundaries() {
    // The boundary documentation's example: identity allows s3 and iam, the boundary s3 only.
    let bob = user(ACCOUNT, "bob");
    let identity = id(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:*","iam:*","sqs:*"],"Resource":"*"}}"#,
    );
    let boundary = id(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","ec2:*"],"Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#,
    );
    let set = PolicySet {
        identity: vec![&identity],
        boundary: Some(&boundary),
        ..PolicySet::default()
    };
    let cases = [
        ("s3:GetObject", (Verdict::Allow, PolicyType::Identity)),
        (
            "iam:CreateUser",
            (Verdict::ImplicitDeny, PolicyType::PermissionsBoundary),
        ),
        (
            "ec2:RunInstances",
            (Verdict::ImplicitDeny, PolicyType::Identity),
        ),
        (
            "s3:DeleteBucket",
            (Verdict::ExplicitDeny, PolicyType::PermissionsBoundary),
        ),
    ];
    for (action, want) in cases {
        assert_eq!(decide(&bob, action, "*", &set), want, "{action}");
    }
}

#[test]
fn session_policies() {
    let session = role_session(ACCOUNT, "admin", "s1");
    let role_policy = id(&allow("*", "*"));
    let session_get = id(&allow("s3:GetObject", "*"));
    let session_sqs = id(&allow("sqs:*", "*"));
    let session_deny = id(&deny("s3:GetObject", "*"));
    let base = PolicySet {
        identity: vec![&role_policy],
        ..PolicySet::default()
    };
    fn with<'a>(base: &PolicySet<'a>, session: Vec<&'a Policy>) -> PolicySet<'a> {
        PolicySet {
            session: Some(session),
            ..base.clone()
        }
    }
    let cases: Vec<(PolicySet<'_>, &str, Outcome)> = vec![
        (
            base.clone(),
            "s3:PutObject",
            (Verdict::Allow, PolicyType::Identity),
        ),
        (
            with(&base, vec![&session_get]),
            "s3:GetObject",
            (Verdict::Allow, PolicyType::Identity),
        ),
        (
            with(&base, vec![&session_get]),
            "s3:PutObject",
            (Verdict::ImplicitDeny, PolicyType::Session),
        ),
        // Inline and managed session policies together: their union limits the session.
        (
            with(&base, vec![&session_get, &session_sqs]),
            "sqs:SendMessage",
            (Verdict::Allow, PolicyType::Identity),
        ),
        (
            with(&base, vec![&session_deny, &session_sqs]),
            "s3:GetObject",
            (Verdict::ExplicitDeny, PolicyType::Session),
        ),
        // A federated user without a session policy has no permissions.
        (
            with(&base, vec![]),
            "s3:GetObject",
            (Verdict::ImplicitDeny, PolicyType::Session),
        ),
    ];
    for (set, action, want) in cases {
        assert_eq!(decide(&session, action, OBJECT, &set), want, "{action}");
    }
}

#[test]
fn same_account_resource_policies() {
    let bob = user(ACCOUNT, "bob");
    let sess = role_session(ACCOUNT, "reader", "s1");
    let fed = federated_user(ACCOUNT, "bob", "fed");
    let by_user = bucket_policy("Allow", r#"{"AWS":"arn:aws:iam::111122223333:user/bob"}"#);
    let by_account = bucket_policy("Allow", r#"{"AWS":"111122223333"}"#);
    let by_role = bucket_policy(
        "Allow",
        r#"{"AWS":"arn:aws:iam::111122223333:role/reader"}"#,
    );
    let by_session = bucket_policy(
        "Allow",
        r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/reader/s1"}"#,
    );
    let by_fed = bucket_policy(
        "Allow",
        r#"{"AWS":"arn:aws:sts::111122223333:federated-user/fed"}"#,
    );
    let public = bucket_policy("Allow", r#""*""#);
    let deny_all = bucket_policy("Deny", r#""*""#);
    let allow_all = id(&allow("*", "*"));
    let allow_sqs = id(&allow("sqs:*", "*"));
    let session_sqs = id(&allow("sqs:*", "*"));
    let none: Vec<&Policy> = vec![];
    let other_session = role_session(ACCOUNT, "reader", "s2");
    let r = |p| PolicySet {
        resource: Some(p),
        ..PolicySet::default()
    };
    let cases: Vec<(&str, &PrincipalInfo, PolicySet<'_>, Outcome)> = vec![
        (
            "user ARN grant alone suffices",
            &bob,
            r(&by_user),
            (Verdict::Allow, PolicyType::Resource),
        ),
        (
            "account grant delegates to identity policies",
            &bob,
            r(&by_account),
            (Verdict::ImplicitDeny, PolicyType::Identity),
        ),
        (
            "account grant with identity allow",
            &bob,
            PolicySet {
                identity: vec![&allow_all],
                ..r(&by_account)
            },
            (Verdict::Allow, PolicyType::Identity),
        ),
        (
            "public bucket",
            &bob,
            r(&public),
            (Verdict::Allow, PolicyType::Resource),
        ),
        (
            "user grant is not limited by the boundary",
            &bob,
            PolicySet {
                boundary: Some(&allow_sqs),
                ..r(&by_user)
            },
            (Verdict::Allow, PolicyType::Resource),
        ),
        (
            "deny in the bucket beats identity allow",
            &bob,
            PolicySet {
                identity: vec![&allow_all],
                ..r(&deny_all)
            },
            (Verdict::ExplicitDeny, PolicyType::Resource),
        ),
        (
            "role ARN grant alone suffices",
            &sess,
            r(&by_role),
            (Verdict::Allow, PolicyType::Resource),
        ),
        (
            "role ARN grant is limited by the session policy",
            &sess,
            PolicySet {
                session: Some(vec![&session_sqs]),
                ..r(&by_role)
            },
            (Verdict::ImplicitDeny, PolicyType::Session),
        ),
        (
            "role ARN grant is limited by the boundary",
            &sess,
            PolicySet {
                boundary: Some(&allow_sqs),
                ..r(&by_role)
            },
            (Verdict::ImplicitDeny, PolicyType::PermissionsBoundary),
        ),
        (
            "session ARN grant is not limited by the session policy",
            &sess,
            PolicySet {
                session: Some(vec![&session_sqs]),
                boundary: Some(&allow_sqs),
                ..r(&by_session)
            },
            (Verdict::Allow, PolicyType::Resource),
        ),
        (
            "public grant is limited by the session policy",
            &sess,
            PolicySet {
                session: Some(vec![&session_sqs]),
                ..r(&public)
            },
            (Verdict::ImplicitDeny, PolicyType::Session),
        ),
        (
            "other session of the role is not named",
            &other_session,
            r(&by_session),
            (Verdict::ImplicitDeny, PolicyType::Identity),
        ),
        (
            "federated user named directly",
            &fed,
            PolicySet {
                session: Some(none.clone()),
                ..r(&by_fed)
            },
            (Verdict::Allow, PolicyType::Resource),
        ),
        (
            "federated user through its IAM user is limited by the session",
            &fed,
            PolicySet {
                session: Some(none.clone()),
                ..r(&by_user)
            },
            (Verdict::ImplicitDeny, PolicyType::Session),
        ),
        (
            "federated user through its IAM user with a session allowing",
            &fed,
            PolicySet {
                session: Some(vec![&allow_all]),
                ..r(&by_user)
            },
            (Verdict::Allow, PolicyType::Resource),
        ),
    ];
    for (name, who, set, want) in cases {
        assert_eq!(decide(who, "s3:GetObject", OBJECT, &set), want, "{name}");
    }
}

#[test]
fn cross_account() {
    let alice = user(OTHER, "alice");
    let allow_all = id(&allow("*", "*"));
    let queue = "arn:aws:sqs:us-east-1:111122223333:q";
    let queue_policy = |principal: &str| {
        res(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{principal},"Action":"sqs:SendMessage","Resource":"{queue}"}}}}"#
        ))
    };
    let to_account = queue_policy(r#"{"AWS":"444455556666"}"#);
    let to_alice = queue_policy(r#"{"AWS":"arn:aws:iam::444455556666:user/alice"}"#);
    let to_bob = queue_policy(r#"{"AWS":"arn:aws:iam::444455556666:user/bob"}"#);
    let cases: Vec<(&str, PolicySet<'_>, Outcome)> = vec![
        (
            "identity only",
            PolicySet {
                identity: vec![&allow_all],
                ..PolicySet::default()
            },
            (Verdict::ImplicitDeny, PolicyType::Resource),
        ),
        (
            "resource only",
            PolicySet {
                resource: Some(&to_alice),
                ..PolicySet::default()
            },
            (Verdict::ImplicitDeny, PolicyType::Identity),
        ),
        (
            "both sides, account grant",
            PolicySet {
                identity: vec![&allow_all],
                resource: Some(&to_account),
                ..PolicySet::default()
            },
            (Verdict::Allow, PolicyType::Resource),
        ),
        (
            "both sides, user grant",
            PolicySet {
                identity: vec![&allow_all],
                resource: Some(&to_alice),
                ..PolicySet::default()
            },
            (Verdict::Allow, PolicyType::Resource),
        ),
        (
            "someone else named",
            PolicySet {
                identity: vec![&allow_all],
                resource: Some(&to_bob),
                ..PolicySet::default()
            },
            (Verdict::ImplicitDeny, PolicyType::Resource),
        ),
    ];
    for (name, set, want) in cases {
        assert_eq!(
            decide(&alice, "sqs:SendMessage", queue, &set),
            want,
            "{name}"
        );
    }
    // An S3 ARN has no account: the caller says who owns the bucket.
    let bucket = bucket_policy("Allow", r#"{"AWS":"444455556666"}"#);
    let set = PolicySet {
        resource: Some(&bucket),
        resource_account: Some(ACCOUNT),
        ..PolicySet::default()
    };
    assert_eq!(
        decide(&alice, "s3:GetObject", OBJECT, &set),
        (Verdict::ImplicitDeny, PolicyType::Identity)
    );
    let set = PolicySet {
        identity: vec![&allow_all],
        ..set
    };
    assert_eq!(
        decide(&alice, "s3:GetObject", OBJECT, &set),
        (Verdict::Allow, PolicyType::Resource)
    );
}

#[test]
fn root_users() {
    let owner = root(ACCOUNT);
    let deny_all = bucket_policy("Deny", r#""*""#);
    let other_grant = bucket_policy("Allow", r#"{"AWS":"444455556666"}"#);
    let set = PolicySet {
        resource_account: Some(ACCOUNT),
        ..PolicySet::default()
    };
    assert_eq!(
        decide(&owner, "s3:GetObject", OBJECT, &set),
        (Verdict::Allow, PolicyType::AccountRoot)
    );
    let set = PolicySet {
        resource: Some(&deny_all),
        ..set
    };
    assert_eq!(
        decide(&owner, "s3:GetObject", OBJECT, &set),
        (Verdict::ExplicitDeny, PolicyType::Resource)
    );
    let foreign = root(OTHER);
    let set = PolicySet {
        resource_account: Some(ACCOUNT),
        ..PolicySet::default()
    };
    assert_eq!(
        decide(&foreign, "s3:GetObject", OBJECT, &set),
        (Verdict::ImplicitDeny, PolicyType::Resource)
    );
    let set = PolicySet {
        resource: Some(&other_grant),
        ..set
    };
    assert_eq!(
        decide(&foreign, "s3:GetObject", OBJECT, &set),
        (Verdict::Allow, PolicyType::Resource)
    );
}

#[test]
fn anonymous_and_service_callers() {
    let public = bucket_policy("Allow", r#""*""#);
    let by_account = bucket_policy("Allow", r#"{"AWS":"111122223333"}"#);
    let allow_all = id(&allow("*", "*"));
    let set = PolicySet {
        identity: vec![&allow_all],
        resource: Some(&by_account),
        ..PolicySet::default()
    };
    assert_eq!(
        decide(&anonymous(), "s3:GetObject", OBJECT, &set),
        (Verdict::ImplicitDeny, PolicyType::Resource)
    );
    let set = PolicySet {
        resource: Some(&public),
        ..PolicySet::default()
    };
    assert_eq!(
        decide(&anonymous(), "s3:GetObject", OBJECT, &set),
        (Verdict::Allow, PolicyType::Resource)
    );
    let sns = bucket_policy("Allow", r#"{"Service":"SNS.amazonaws.com"}"#);
    let set = PolicySet {
        resource: Some(&sns),
        ..PolicySet::default()
    };
    assert_eq!(
        decide(&service("sns.amazonaws.com"), "s3:GetObject", OBJECT, &set),
        (Verdict::Allow, PolicyType::Resource)
    );
    assert_eq!(
        decide(&service("sqs.amazonaws.com"), "s3:GetObject", OBJECT, &set),
        (Verdict::ImplicitDeny, PolicyType::Resource)
    );
}

#[test]
fn not_principal() {
    // Deny everyone except bob (and his account, as AWS advises listing).
    let policy = res(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/bob","111122223333"]},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#,
    );
    let set = PolicySet {
        resource: Some(&policy),
        ..PolicySet::default()
    };
    assert_eq!(
        decide(&user(ACCOUNT, "bob"), "s3:GetObject", OBJECT, &set),
        (Verdict::Allow, PolicyType::Resource)
    );
    assert_eq!(
        decide(&user(ACCOUNT, "eve"), "s3:GetObject", OBJECT, &set),
        (Verdict::ExplicitDeny, PolicyType::Resource)
    );
    assert_eq!(
        decide(&anonymous(), "s3:GetObject", OBJECT, &set),
        (Verdict::ExplicitDeny, PolicyType::Resource)
    );
}

#[test]
fn trust_policies() {
    let role = "arn:aws:iam::111122223333:role/deploy";
    let trust_user = parse_trust_policy(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"sts:AssumeRole"}}"#).unwrap();
    let trust_account = parse_trust_policy(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","444455556666"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"xyz"}}}}"#).unwrap();
    let trust_oidc = parse_trust_policy(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"my-app"}}}}"#).unwrap();
    let may_assume = id(&allow("sts:AssumeRole", "arn:aws:iam::*:role/*"));
    let bob = user(ACCOUNT, "bob");
    let alice = user(OTHER, "alice");
    let external = Context::new().with("sts:ExternalId", "xyz");
    let google = Context::new().with("accounts.google.com:aud", "my-app");
    let wrong_aud = Context::new().with("accounts.google.com:aud", "other");
    let none = Context::new();
    let google_user = web_identity("accounts.google.com");
    let alice_here = user(ACCOUNT, "alice");
    let facebook_user = web_identity("graph.facebook.com");
    let cases: Vec<(&str, &PrincipalInfo, &str, PolicySet<'_>, &Context, Verdict)> = vec![
        (
            "named user, no identity policy",
            &bob,
            "sts:AssumeRole",
            PolicySet {
                resource: Some(&trust_user),
                ..PolicySet::default()
            },
            &none,
            Verdict::Allow,
        ),
        (
            "account trust needs identity",
            &bob,
            "sts:AssumeRole",
            PolicySet {
                resource: Some(&trust_account),
                ..PolicySet::default()
            },
            &external,
            Verdict::ImplicitDeny,
        ),
        (
            "account trust with identity",
            &bob,
            "sts:AssumeRole",
            PolicySet {
                identity: vec![&may_assume],
                resource: Some(&trust_account),
                ..PolicySet::default()
            },
            &external,
            Verdict::Allow,
        ),
        (
            "cross-account with external id",
            &alice,
            "sts:AssumeRole",
            PolicySet {
                identity: vec![&may_assume],
                resource: Some(&trust_account),
                ..PolicySet::default()
            },
            &external,
            Verdict::Allow,
        ),
        (
            "cross-account without external id",
            &alice,
            "sts:AssumeRole",
            PolicySet {
                identity: vec![&may_assume],
                resource: Some(&trust_account),
                ..PolicySet::default()
            },
            &none,
            Verdict::ImplicitDeny,
        ),
        (
            "trust does not allow TagSession",
            &bob,
            "sts:TagSession",
            PolicySet {
                resource: Some(&trust_user),
                ..PolicySet::default()
            },
            &none,
            Verdict::ImplicitDeny,
        ),
        (
            "identity allow without trust",
            &alice_here,
            "sts:AssumeRole",
            PolicySet {
                identity: vec![&may_assume],
                resource: Some(&trust_user),
                ..PolicySet::default()
            },
            &none,
            Verdict::ImplicitDeny,
        ),
        (
            "web identity",
            &google_user,
            "sts:AssumeRoleWithWebIdentity",
            PolicySet {
                resource: Some(&trust_oidc),
                ..PolicySet::default()
            },
            &google,
            Verdict::Allow,
        ),
        (
            "web identity, wrong audience",
            &google_user,
            "sts:AssumeRoleWithWebIdentity",
            PolicySet {
                resource: Some(&trust_oidc),
                ..PolicySet::default()
            },
            &wrong_aud,
            Verdict::ImplicitDeny,
        ),
        (
            "web identity, other provider",
            &facebook_user,
            "sts:AssumeRoleWithWebIdentity",
            PolicySet {
                resource: Some(&trust_oidc),
                ..PolicySet::default()
            },
            &google,
            Verdict::ImplicitDeny,
        ),
    ];
    for (name, who, action, set, ctx, want) in cases {
        let set = PolicySet {
            resource_account: Some(ACCOUNT),
            ..set
        };
        let req = Request {
            principal: who,
            action,
            resource: role,
            context: ctx,
        };
        assert_eq!(evaluate(&req, &set).verdict, want, "{name}");
    }
}

#[test]
fn variables_in_resources() {
    // The documentation's "allow users to manage their own credentials" pattern.
    let own = |version: &str| {
        id(&format!(
            r#"{{"Version":"{version}","Statement":{{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::*:user/${{aws:username}}"}}}}"#
        ))
    };
    let v2012 = own("2012-10-17");
    let v2008 = own("2008-10-17");
    let bob = user(ACCOUNT, "bob");
    let cases = [
        (&v2012, "arn:aws:iam::111122223333:user/bob", Verdict::Allow),
        (
            &v2012,
            "arn:aws:iam::111122223333:user/alice",
            Verdict::ImplicitDeny,
        ),
        (
            &v2008,
            "arn:aws:iam::111122223333:user/bob",
            Verdict::ImplicitDeny,
        ),
        (
            &v2008,
            "arn:aws:iam::111122223333:user/${aws:username}",
            Verdict::Allow,
        ),
    ];
    for (policy, resource, want) in cases {
        let set = PolicySet {
            identity: vec![policy],
            ..PolicySet::default()
        };
        assert_eq!(
            decide(&bob, "iam:CreateAccessKey", resource, &set).0,
            want,
            "{resource}"
        );
    }
    // A role session has no aws:username: the statement matches nothing.
    let set = PolicySet {
        identity: vec![&v2012],
        ..PolicySet::default()
    };
    let sess = role_session(ACCOUNT, "bob", "bob");
    assert_eq!(
        decide(
            &sess,
            "iam:CreateAccessKey",
            "arn:aws:iam::111122223333:user/bob",
            &set
        )
        .0,
        Verdict::ImplicitDeny
    );
}
