//! Evaluation of a realistic request: a user in two groups, ten policies, forty statements with
//! wildcards and conditions. Goal: ≥ 1,000,000 decisions per second per core.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tessera_policy::{
    evaluate, parse, Context, Policy, PolicySet, PrincipalInfo, PrincipalKind, Request, Verdict,
};

/// Four statements per policy, ten policies: user inline + managed, two groups' policies.
fn policies() -> Vec<Policy> {
    (0..10)
        .map(|i| {
            let doc = format!(
                r#"{{
  "Version": "2012-10-17",
  "Statement": [
    {{"Sid": "Read{i}", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"],
      "Resource": ["arn:aws:s3:::team-{i}/*", "arn:aws:s3:::team-{i}"],
      "Condition": {{"Bool": {{"aws:SecureTransport": "true"}}}}}},
    {{"Sid": "Queues{i}", "Effect": "Allow", "Action": "sqs:*Message*",
      "Resource": "arn:aws:sqs:*:111122223333:jobs-{i}-*",
      "Condition": {{"IpAddress": {{"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}}}}},
    {{"Sid": "Own{i}", "Effect": "Allow", "Action": ["iam:*AccessKey*", "iam:GetUser"],
      "Resource": "arn:aws:iam::111122223333:user/${{aws:username}}"}},
    {{"Sid": "Guard{i}", "Effect": "Deny", "Action": ["s3:Delete*", "iam:Delete*"], "Resource": "*",
      "Condition": {{"StringNotEqualsIfExists": {{"aws:PrincipalTag/team": "platform"}},
                    "DateGreaterThan": {{"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}}}}
  ]
}}"#
            );
            parse(&doc).expect("benchmark policy parses")
        })
        .collect()
}

fn principal() -> PrincipalInfo {
    PrincipalInfo {
        kind: PrincipalKind::User,
        arn: "arn:aws:iam::111122223333:user/bob".to_owned(),
        account: "111122223333".to_owned(),
        userid: "AIDAEXAMPLEUSERID".to_owned(),
        username: Some("bob".to_owned()),
        parent_arn: None,
        provider: None,
    }
}

fn context() -> Context {
    Context::new()
        .with("aws:SecureTransport", "true")
        .with("aws:SourceIp", "10.1.2.3")
        .with("aws:CurrentTime", "2026-11-23T13:00:00Z")
        .with("aws:EpochTime", "1795438800")
        .with("aws:RequestedRegion", "us-east-1")
        .with("aws:PrincipalTag/team", "data")
        .with("aws:MultiFactorAuthPresent", "false")
}

fn bench(c: &mut Criterion) {
    let policies = policies();
    let who = principal();
    let ctx = context();
    let set = PolicySet {
        identity: policies.iter().collect(),
        ..PolicySet::default()
    };
    let requests = [
        (
            "allow_s3_last_policy",
            "s3:GetObject",
            "arn:aws:s3:::team-9/reports/q3.csv",
            Verdict::Allow,
        ),
        (
            "allow_sqs",
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:111122223333:jobs-4-high",
            Verdict::Allow,
        ),
        (
            "allow_variable",
            "iam:CreateAccessKey",
            "arn:aws:iam::111122223333:user/bob",
            Verdict::Allow,
        ),
        (
            "implicit_deny",
            "s3:PutObject",
            "arn:aws:s3:::team-3/x",
            Verdict::ImplicitDeny,
        ),
        (
            "explicit_deny",
            "s3:DeleteObject",
            "arn:aws:s3:::team-3/x",
            Verdict::ExplicitDeny,
        ),
    ];
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(1));
    for (name, action, resource, want) in requests {
        let req = Request {
            principal: &who,
            action,
            resource,
            context: &ctx,
        };
        assert_eq!(evaluate(&req, &set).verdict, want, "{name}");
        group.bench_function(name, |b| {
            b.iter(|| evaluate(black_box(&req), black_box(&set)).verdict)
        });
    }
    // Baseline: the cheapest conceivable pass over forty statements (one case-insensitive action
    // comparison each), to show how far evaluation is from a trivial loop.
    let names: Vec<String> = (0..40).map(|i| format!("s3:GetObject{i}")).collect();
    group.bench_function("baseline_trivial_loop_40", |b| {
        b.iter(|| {
            black_box(&names)
                .iter()
                .filter(|n| n.eq_ignore_ascii_case(black_box("s3:GetObject")))
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
