//! Properties of the evaluator over random policies and requests: a deny only narrows, a session
//! policy never widens, and nothing panics.

mod common;

use common::{role_session, user, ACCOUNT, OTHER};
use proptest::prelude::*;
use tessera_policy::{
    evaluate, parse, parse_resource_policy, parse_trust_policy, Context, Policy, PolicySet,
    PrincipalInfo, Request, Verdict,
};

const ACTIONS: [&str; 7] = [
    "*",
    "s3:*",
    "s3:Get*",
    "s3:GetObject",
    "sqs:SendMessage",
    "iam:?etUser",
    "sqs:*Queue*",
];
const RESOURCES: [&str; 6] = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:sqs:*:111122223333:q*",
    "arn:aws:iam::*:user/bob",
    "arn:aws:s3:::*",
];
const CONDITIONS: [&str; 6] = [
    "",
    r#","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#,
    r#","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
    r#","Condition":{"StringNotEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}"#,
    r#","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["team*"]}}"#,
    r#","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"owner"}}"#,
];
const REQ_ACTIONS: [&str; 6] = [
    "s3:GetObject",
    "s3:PutObject",
    "sqs:SendMessage",
    "sqs:CreateQueue",
    "iam:GetUser",
    "sts:AssumeRole",
];
const REQ_RESOURCES: [&str; 6] = [
    "arn:aws:s3:::b/bob/x",
    "arn:aws:s3:::b/key",
    "arn:aws:sqs:us-east-1:111122223333:queue",
    "arn:aws:sqs:us-east-1:444455556666:queue",
    "arn:aws:iam::111122223333:user/bob",
    "*",
];

fn statement() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        any::<bool>(),
        0..ACTIONS.len(),
        any::<bool>(),
        0..RESOURCES.len(),
        0..CONDITIONS.len(),
    )
        .prop_map(|(allow, not_action, a, not_resource, r, c)| {
            format!(
                r#"{{"Effect":"{}","{}":"{}","{}":"{}"{}}}"#,
                if allow { "Allow" } else { "Deny" },
                if not_action { "NotAction" } else { "Action" },
                ACTIONS[a],
                if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                },
                RESOURCES[r],
                CONDITIONS[c]
            )
        })
}

fn policy_doc() -> impl Strategy<Value = String> {
    prop::collection::vec(statement(), 1..5).prop_map(|s| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            s.join(",")
        )
    })
}

fn resource_doc() -> impl Strategy<Value = String> {
    let principal = prop::sample::select(vec![
        r#""*""#,
        r#"{"AWS":"111122223333"}"#,
        r#"{"AWS":"444455556666"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:user/bob"}"#,
        r#"{"AWS":"arn:aws:iam::111122223333:role/r"}"#,
        r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/r/s"}"#,
    ]);
    (statement(), principal, any::<bool>()).prop_map(|(st, p, not)| {
        let key = if not { "NotPrincipal" } else { "Principal" };
        let st = st.replacen('{', &format!(r#"{{"{key}":{p},"#), 1);
        format!(r#"{{"Version":"2012-10-17","Statement":[{st}]}}"#)
    })
}

fn caller() -> impl Strategy<Value = PrincipalInfo> {
    prop::sample::select(vec![
        user(ACCOUNT, "bob"),
        user(OTHER, "alice"),
        role_session(ACCOUNT, "r", "s"),
        common::federated_user(ACCOUNT, "bob", "f"),
        common::root(ACCOUNT),
        common::anonymous(),
    ])
}

fn context() -> impl Strategy<Value = Context> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(vec!["team-a", "owner", "x"]), 0..3),
        any::<bool>(),
    )
        .prop_map(|(tls, private_ip, tags, has_tags)| {
            let mut ctx = Context::new();
            ctx.insert("aws:SecureTransport", tls.to_string());
            ctx.insert(
                "aws:SourceIp",
                if private_ip {
                    "10.1.2.3"
                } else {
                    "203.0.113.9"
                },
            );
            if has_tags {
                ctx.set("aws:TagKeys", tags);
            }
            ctx
        })
}

#[derive(Debug, Clone)]
struct Case {
    identity: Vec<Policy>,
    boundary: Option<Policy>,
    resource: Option<Policy>,
    who: PrincipalInfo,
    action: &'static str,
    resource_arn: &'static str,
    ctx: Context,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(policy_doc(), 0..3),
        prop::option::of(policy_doc()),
        prop::option::of(resource_doc()),
        caller(),
        prop::sample::select(REQ_ACTIONS.to_vec()),
        prop::sample::select(REQ_RESOURCES.to_vec()),
        context(),
    )
        .prop_map(
            |(identity, boundary, resource, who, action, resource_arn, ctx)| Case {
                identity: identity.iter().map(|d| parse(d).unwrap()).collect(),
                boundary: boundary.map(|d| parse(&d).unwrap()),
                resource: resource.map(|d| parse_resource_policy(&d).unwrap()),
                who,
                action,
                resource_arn,
                ctx,
            },
        )
}

impl Case {
    fn set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: self.identity.iter().collect(),
            boundary: self.boundary.as_ref(),
            session: None,
            resource: self.resource.as_ref(),
            resource_account: None,
        }
    }

    fn decide(&self, set: &PolicySet<'_>) -> Verdict {
        let req = Request {
            principal: &self.who,
            action: self.action,
            resource: self.resource_arn,
            context: &self.ctx,
        };
        evaluate(&req, set).verdict
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_a_deny_never_allows(case in case(), extra in statement()) {
        let before = case.decide(&case.set());
        let deny = extra.replacen("\"Allow\"", "\"Deny\"", 1);
        let deny = parse(&format!(r#"{{"Version":"2012-10-17","Statement":[{deny}]}}"#)).unwrap();
        let mut set = case.set();
        set.identity.push(&deny);
        let after = case.decide(&set);
        if before != Verdict::Allow {
            prop_assert_ne!(after, Verdict::Allow);
        }
        if before == Verdict::ExplicitDeny {
            prop_assert_eq!(after, Verdict::ExplicitDeny);
        }
    }

    #[test]
    fn a_session_policy_never_widens(case in case(), sessions in prop::collection::vec(policy_doc(), 0..3)) {
        let before = case.decide(&case.set());
        let sessions: Vec<Policy> = sessions.iter().map(|d| parse(d).unwrap()).collect();
        let set = PolicySet { session: Some(sessions.iter().collect()), ..case.set() };
        let after = case.decide(&set);
        if before != Verdict::Allow {
            prop_assert_ne!(after, Verdict::Allow);
        }
    }

    #[test]
    fn a_boundary_never_widens(case in case(), boundary in policy_doc()) {
        let without = PolicySet { boundary: None, ..case.set() };
        let before = case.decide(&without);
        let boundary = parse(&boundary).unwrap();
        let after = case.decide(&PolicySet { boundary: Some(&boundary), ..without });
        if before != Verdict::Allow {
            prop_assert_ne!(after, Verdict::Allow);
        }
    }

    #[test]
    fn parsing_never_panics(text in ".{0,200}") {
        let _ = parse(&text);
        let _ = parse_resource_policy(&text);
        let _ = parse_trust_policy(&text);
    }

    #[test]
    fn parsing_mutated_policies_never_panics(doc in resource_doc(), cut in 0usize..400, insert in "[\\[\\]{}\",:*?$ a-zA-Z0-9\\\\]{0,4}") {
        let mut text = doc;
        let at = (0..=cut.min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        text.insert_str(at, &insert);
        let _ = parse(&text);
        let _ = parse_resource_policy(&text);
        let _ = parse_trust_policy(&text);
    }

    #[test]
    fn evaluation_never_panics(
        case in case(),
        action in "[a-zA-Z0-9:*?]{0,20}",
        resource in "[a-z0-9:/*?${}]{0,40}",
        tag in ".{0,10}",
    ) {
        let mut ctx = case.ctx.clone();
        ctx.insert("aws:PrincipalTag/x", tag.clone());
        ctx.insert("aws:CurrentTime", tag);
        let req = Request { principal: &case.who, action: &action, resource: &resource, context: &ctx };
        let d = evaluate(&req, &case.set());
        let _ = d.access_denied_message(&req);
    }
}
