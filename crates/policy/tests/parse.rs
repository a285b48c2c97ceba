//! Parsing and validation: AWS's `MalformedPolicyDocument` messages, table-driven.

use tessera_policy::{
    parse, parse_resource_policy, parse_trust_policy, policy_size, Effect, PolicyKind, Version,
};

const SYNTAX: &str = "Syntax errors in policy.";

fn identity_stmt(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":{statement}}}"#)
}

#[test]
fn valid_identity_policies() {
    let docs = [
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        r#"{"Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:Get*"],"NotResource":"arn:aws:iam::123456789012:user/${aws:username}"}]}"#,
        r#"{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"A1","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAnyValue:StringLikeIfExists":{"s3:prefix":["home/","x*"]},"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":10},"Null":{"aws:TokenIssueTime":"false"}}}]}"#,
        "  {\n \"Statement\" : [ { \"Effect\" : \"Allow\" , \"Action\" : \"sqs:*\" , \"Resource\" : \"*\" } ] }\n",
    ];
    for doc in docs {
        let policy = parse(doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
        assert_eq!(policy.text(), doc, "the original text is kept");
        assert_eq!(policy.kind(), PolicyKind::Identity);
    }
}

#[test]
fn parsed_fields() {
    let p = parse(r#"{"Version":"2012-10-17","Id":"P1","Statement":[{"Sid":"S1","Effect":"Deny","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}]}"#).unwrap();
    assert_eq!(p.version(), Version::V2012_10_17);
    assert_eq!(p.version().as_str(), "2012-10-17");
    assert_eq!(p.id(), Some("P1"));
    assert_eq!(p.statements().len(), 2);
    assert_eq!(p.statements()[0].sid(), Some("S1"));
    assert_eq!(p.statements()[0].effect(), Effect::Deny);
    assert_eq!(p.statements()[1].sid(), None);
    let old = parse(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#).unwrap();
    assert_eq!(old.version(), Version::V2008_10_17);
}

#[test]
fn malformed_identity_policies() {
    let allow = r#""Effect":"Allow","Action":"*","Resource":"*""#;
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), SYNTAX),
        ("[]".into(), SYNTAX),
        (r#"{"Version":"2012-10-17"}"#.into(), SYNTAX),
        (identity_stmt("[]"), SYNTAX),
        (identity_stmt(r#""x""#), SYNTAX),
        (format!(r#"{{"Version":"2012-10-17","Version":"2012-10-17","Statement":{{{allow}}}}}"#), SYNTAX),
        (format!(r#"{{"Version":"2012-10-18","Statement":{{{allow}}}}}"#), "The policy failed legacy parsing"),
        (format!(r#"{{"Version":20121017,"Statement":{{{allow}}}}}"#), SYNTAX),
        (format!(r#"{{"Statment":{{{allow}}}}}"#), SYNTAX),
        (identity_stmt(&format!(r#"{{{allow},"Foo":"x"}}"#)), SYNTAX),
        (identity_stmt(&format!(r#"{{{allow},"Effect":"Deny"}}"#)), SYNTAX),
        (identity_stmt(r#"{"Effect":"allow","Action":"*","Resource":"*"}"#), SYNTAX),
        (identity_stmt(r#"{"Action":"*","Resource":"*"}"#), "Missing required field Effect"),
        (identity_stmt(r#"{"Effect":"Allow","Resource":"*"}"#), "Policy statement must contain actions."),
        (identity_stmt(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#), "Policy statement must contain actions."),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}"#), SYNTAX),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*"}"#), "Policy statement must contain resources."),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}"#), SYNTAX),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}"#), "Policy document should not specify a principal."),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*","NotPrincipal":{"AWS":"123456789012"}}"#), "Policy document should not specify a principal."),
        (identity_stmt(r#"{"Effect":"Allow","Action":"GetUser","Resource":"*"}"#), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        (identity_stmt(r#"{"Effect":"Allow","Action":"iam:Get:User","Resource":"*"}"#), "Actions/Condition can contain only one colon."),
        (identity_stmt(r#"{"Effect":"Allow","Action":[1],"Resource":"*"}"#), SYNTAX),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*","Resource":"bucket"}"#), "Resource bucket must be in ARN format or \"*\"."),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:*:::b"}"#), "Resource vendor must be fully qualified and cannot contain regexes."),
        (identity_stmt(r#"[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]"#), "Statement IDs (SID) in a single policy must be unique."),
        (identity_stmt(r#"{"Sid":"a b","Effect":"Allow","Action":"*","Resource":"*"}"#), "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"x"}}}"#), "Invalid Condition type : StringEqualz"),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"aws:username":"x"}}}"#), "Invalid Condition type : ForSomeValues:StringEquals"),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}"#), "Invalid Condition type : NullIfExists"),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"username":"x"}}}"#), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":"b"}}}}"#), SYNTAX),
        (identity_stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":"x"}"#), SYNTAX),
    ];
    for (doc, message) in cases {
        let err = parse(&doc).expect_err(&doc);
        assert_eq!(err.message(), message, "{doc}");
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn resource_policies() {
    let ok = [
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Allow account","Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:role/r"]},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111122223333:q"}]}"#,
        r#"{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/a"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    ];
    for doc in ok {
        let p = parse_resource_policy(doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
        assert_eq!(p.kind(), PolicyKind::Resource);
    }
    let bad = [
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
            "Missing required field Principal",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"s3:*","Resource":"*"}}"#,
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111122223333:user/*\"",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:*","Resource":"*"}}"#,
            "Invalid principal in policy: \"AWS\":\"bob\"",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:*","Resource":"*"}}"#,
            SYNTAX,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":{"Everyone":"*"},"Action":"s3:*","Resource":"*"}}"#,
            SYNTAX,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*"}}"#,
            "Policy statement must contain resources.",
        ),
    ];
    for (doc, message) in bad {
        assert_eq!(
            parse_resource_policy(doc).expect_err(doc).message(),
            message,
            "{doc}"
        );
    }
}

#[test]
fn principals_are_listed_as_written() {
    let p = parse_resource_policy(r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:sts::111122223333:assumed-role/r/s"],"Service":"sns.amazonaws.com"},"Action":"sqs:*","Resource":"*"}]}"#).unwrap();
    assert_eq!(
        p.principals(),
        vec![
            ("AWS", "arn:aws:iam::111122223333:root".to_owned()),
            (
                "AWS",
                "arn:aws:sts::111122223333:assumed-role/r/s".to_owned()
            ),
            ("Service", "sns.amazonaws.com".to_owned()),
        ]
    );
}

#[test]
fn trust_policies() {
    let ok = [
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}"#,
        r#"{"Statement":{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity"}}"#,
        r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:SetSourceIdentity"}}"#,
    ];
    for doc in ok {
        let p = parse_trust_policy(doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
        assert_eq!(p.kind(), PolicyKind::Trust);
    }
    let bad = [
        (
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}}"#,
            "Has prohibited field Resource",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","NotResource":"*"}}"#,
            "Has prohibited field NotResource",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#,
            "Missing required field Principal",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:GetCallerIdentity"}}"#,
            "AssumeRole policy may only specify STS AssumeRole actions.",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"iam:*"}}"#,
            "AssumeRole policy may only specify STS AssumeRole actions.",
        ),
    ];
    for (doc, message) in bad {
        assert_eq!(
            parse_trust_policy(doc).expect_err(doc).message(),
            message,
            "{doc}"
        );
    }
}

#[test]
fn sizes_count_non_whitespace_characters() {
    let doc = "{ \"Statement\" : {} }";
    assert_eq!(
        policy_size(doc),
        doc.chars().filter(|c| !c.is_whitespace()).count()
    );
    assert_eq!(policy_size(" \n\t"), 0);
}
