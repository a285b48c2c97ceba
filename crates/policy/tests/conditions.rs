//! Condition operators, following the examples of AWS's "IAM JSON policy elements: Condition
//! operators" and "Multivalued context keys" pages.

mod common;

use common::{user, ACCOUNT};
use tessera_policy::{evaluate, parse, Context, PolicySet, Request};

/// Does `Allow * on *` with this `Condition` element allow a request with this context?
fn allowed_with(version: &str, condition: &str, context: Keys<'_>) -> bool {
    let doc = format!(
        r#"{{"Version":"{version}","Statement":{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{condition}}}}}"#
    );
    let policy = parse(&doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
    let mut ctx = Context::new();
    for (key, values) in context {
        ctx.set(key, values.iter().copied());
    }
    let bob = user(ACCOUNT, "bob");
    let req = Request {
        principal: &bob,
        action: "s3:ListBucket",
        resource: "arn:aws:s3:::bucket",
        context: &ctx,
    };
    let set = PolicySet {
        identity: vec![&policy],
        ..PolicySet::default()
    };
    evaluate(&req, &set).is_allowed()
}

/// Condition keys and their values for one request.
type Keys<'a> = &'a [(&'a str, &'a [&'a str])];

fn run(cases: &[(&str, Keys<'_>, bool)]) {
    for (condition, context, want) in cases {
        assert_eq!(
            allowed_with("2012-10-17", condition, context),
            *want,
            "{condition} with {context:?}"
        );
    }
}

#[test]
fn string_operators() {
    run(&[
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            &[("aws:PrincipalTag/job-category", &["iamuser-admin"])],
            true,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            &[("aws:PrincipalTag/job-category", &["IAMUser-Admin"])],
            false,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            &[],
            false,
        ),
        // Keys are case-insensitive, values are not.
        (
            r#"{"StringEquals":{"AWS:principaltag/JOB-category":"iamuser-admin"}}"#,
            &[("aws:PrincipalTag/job-category", &["iamuser-admin"])],
            true,
        ),
        (
            r#"{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#,
            &[("aws:RequestedRegion", &["eu-west-1"])],
            true,
        ),
        (
            r#"{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#,
            &[("aws:RequestedRegion", &["eu-west-1"])],
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#,
            &[("aws:RequestedRegion", &["ap-south-1"])],
            true,
        ),
        // Negated operators hold when the key is absent.
        (
            r#"{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}"#,
            &[],
            true,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"Blue"}}"#,
            &[("aws:PrincipalTag/team", &["BLUE"])],
            true,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"Äpfel"}}"#,
            &[("aws:PrincipalTag/team", &["äPFEL"])],
            true,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/team":"Blue"}}"#,
            &[("aws:PrincipalTag/team", &["bLuE"])],
            false,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}"#,
            &[("s3:prefix", &["home/bob/photos"])],
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}"#,
            &[("s3:prefix", &["home/alice/photos"])],
            false,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}"#,
            &[("s3:prefix", &[""])],
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":"ho?e/*"}}"#,
            &[("s3:prefix", &["home/x"])],
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":"ho?e/*"}}"#,
            &[("s3:prefix", &["hoome/x"])],
            false,
        ),
        (
            r#"{"StringNotLike":{"s3:prefix":"secret/*"}}"#,
            &[("s3:prefix", &["secret/a"])],
            false,
        ),
        (
            r#"{"StringNotLike":{"s3:prefix":"secret/*"}}"#,
            &[("s3:prefix", &["public/a"])],
            true,
        ),
    ]);
}

#[test]
fn numeric_date_bool_binary_operators() {
    run(&[
        (
            r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#,
            &[("s3:max-keys", &["10"])],
            true,
        ),
        (
            r#"{"NumericLessThanEquals":{"s3:max-keys":10}}"#,
            &[("s3:max-keys", &["11"])],
            false,
        ),
        (
            r#"{"NumericLessThan":{"s3:max-keys":10}}"#,
            &[("s3:max-keys", &["10"])],
            false,
        ),
        (
            r#"{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}"#,
            &[("aws:MultiFactorAuthAge", &["3601"])],
            true,
        ),
        (
            r#"{"NumericGreaterThanEquals":{"aws:MultiFactorAuthAge":"3600"}}"#,
            &[("aws:MultiFactorAuthAge", &["3599.5"])],
            false,
        ),
        (
            r#"{"NumericEquals":{"s3:max-keys":"1.0"}}"#,
            &[("s3:max-keys", &["1"])],
            true,
        ),
        (
            r#"{"NumericNotEquals":{"s3:max-keys":"1"}}"#,
            &[("s3:max-keys", &["2"])],
            true,
        ),
        (
            r#"{"NumericEquals":{"s3:max-keys":"ten"}}"#,
            &[("s3:max-keys", &["10"])],
            false,
        ),
        (
            r#"{"NumericEquals":{"s3:max-keys":"10"}}"#,
            &[("s3:max-keys", &["ten"])],
            false,
        ),
        (
            r#"{"NumericEquals":{"s3:max-keys":"10"}}"#,
            &[("s3:max-keys", &["inf"])],
            false,
        ),
        (
            r#"{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"}}"#,
            &[("aws:CurrentTime", &["2020-06-30T00:00:00Z"])],
            true,
        ),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2020-06-30T23:59:59Z"}}"#,
            &[("aws:CurrentTime", &["2020-07-01T00:00:00Z"])],
            false,
        ),
        (
            r#"{"DateLessThan":{"aws:TokenIssueTime":"2020-01-01T00:00:00+01:00"}}"#,
            &[("aws:TokenIssueTime", &["2019-12-31T22:59:59Z"])],
            true,
        ),
        (
            r#"{"DateGreaterThanEquals":{"aws:EpochTime":"1577836800"}}"#,
            &[("aws:EpochTime", &["1577836800"])],
            true,
        ),
        (
            r#"{"DateEquals":{"aws:CurrentTime":"2020-01-01"}}"#,
            &[("aws:CurrentTime", &["1577836800"])],
            true,
        ),
        (
            r#"{"DateNotEquals":{"aws:CurrentTime":"2020-01-01"}}"#,
            &[("aws:CurrentTime", &["2020-01-01T00:00:01Z"])],
            true,
        ),
        (
            r#"{"DateLessThanEquals":{"aws:CurrentTime":"2020-01-01"}}"#,
            &[("aws:CurrentTime", &["not a date"])],
            false,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
            &[("aws:SecureTransport", &["true"])],
            true,
        ),
        (
            r#"{"Bool":{"aws:SecureTransport":false}}"#,
            &[("aws:SecureTransport", &["TRUE"])],
            false,
        ),
        (r#"{"Bool":{"aws:SecureTransport":"false"}}"#, &[], false),
        (
            r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#,
            &[],
            true,
        ),
        (
            r#"{"BinaryEquals":{"custom:key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            &[("custom:key", &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="])],
            true,
        ),
        (
            r#"{"BinaryEquals":{"custom:key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            &[("custom:key", &["QmluYXJ5"])],
            false,
        ),
        (
            r#"{"BinaryEquals":{"custom:key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#,
            &[("custom:key", &["%%%"])],
            false,
        ),
    ]);
}

#[test]
fn ip_arn_null_operators() {
    run(&[
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            &[("aws:SourceIp", &["203.0.113.77"])],
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            &[("aws:SourceIp", &["203.0.114.1"])],
            false,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#,
            &[("aws:SourceIp", &["2001:db8:1234:5678::1"])],
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}"#,
            &[("aws:SourceIp", &["2001:db8:1234:5679::1"])],
            false,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}"#,
            &[("aws:SourceIp", &["203.0.113.5"])],
            true,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
            &[("aws:SourceIp", &["::1"])],
            false,
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            &[("aws:SourceIp", &["not-an-ip"])],
            false,
        ),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}"#,
            &[("aws:SourceIp", &["198.51.100.1"])],
            true,
        ),
        (
            r#"{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}"#,
            &[("aws:SourceIp", &["192.0.2.9"])],
            false,
        ),
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#,
            &[(
                "aws:SourceArn",
                &["arn:aws:sns:us-east-1:123456789012:topic"],
            )],
            true,
        ),
        (
            r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#,
            &[(
                "aws:SourceArn",
                &["arn:aws:sns:us-east-1:210987654321:topic"],
            )],
            false,
        ),
        (
            r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin"}}"#,
            &[],
            true,
        ),
        (
            r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/bob"}}"#,
            &[],
            false,
        ),
        (
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/b*"}}"#,
            &[],
            true,
        ),
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}"#,
            &[("aws:SourceArn", &["not:an:arn"])],
            false,
        ),
        (r#"{"Null":{"aws:TokenIssueTime":"true"}}"#, &[], true),
        (
            r#"{"Null":{"aws:TokenIssueTime":"true"}}"#,
            &[("aws:TokenIssueTime", &["2020-01-01T00:00:00Z"])],
            false,
        ),
        (
            r#"{"Null":{"aws:TokenIssueTime":"false"}}"#,
            &[("aws:TokenIssueTime", &["2020-01-01T00:00:00Z"])],
            true,
        ),
        (r#"{"Null":{"aws:username":"false"}}"#, &[], true),
    ]);
}

#[test]
fn if_exists_and_absent_keys() {
    run(&[
        (
            r#"{"StringEqualsIfExists":{"ec2:InstanceType":["t1.*","t2.*"]}}"#,
            &[],
            true,
        ),
        (
            r#"{"StringEqualsIfExists":{"ec2:InstanceType":["t2.micro"]}}"#,
            &[("ec2:InstanceType", &["m5.large"])],
            false,
        ),
        (
            r#"{"StringLikeIfExists":{"ec2:InstanceType":["t2.*"]}}"#,
            &[("ec2:InstanceType", &["t2.micro"])],
            true,
        ),
        (
            r#"{"NumericLessThanIfExists":{"s3:max-keys":"5"}}"#,
            &[],
            true,
        ),
        (
            r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            &[("aws:SourceIp", &["11.0.0.1"])],
            false,
        ),
        (
            r#"{"ArnNotEqualsIfExists":{"aws:SourceArn":"arn:aws:sns:*:*:t"}}"#,
            &[],
            true,
        ),
        // Every clause must hold (AND), any value of a key may match (OR).
        (
            r#"{"StringEquals":{"aws:RequestedRegion":"us-east-1","s3:prefix":"a"},"Bool":{"aws:SecureTransport":"true"}}"#,
            &[
                ("aws:RequestedRegion", &["us-east-1"]),
                ("s3:prefix", &["a"]),
                ("aws:SecureTransport", &["true"]),
            ],
            true,
        ),
        (
            r#"{"StringEquals":{"aws:RequestedRegion":"us-east-1","s3:prefix":"a"},"Bool":{"aws:SecureTransport":"true"}}"#,
            &[
                ("aws:RequestedRegion", &["us-east-1"]),
                ("s3:prefix", &["a"]),
                ("aws:SecureTransport", &["false"]),
            ],
            false,
        ),
    ]);
}

#[test]
fn multivalued_keys() {
    let allowed_tags =
        r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#;
    let any_tag = r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#;
    run(&[
        (allowed_tags, &[("aws:TagKeys", &["environment"])], true),
        (
            allowed_tags,
            &[("aws:TagKeys", &["environment", "cost-center"])],
            true,
        ),
        (
            allowed_tags,
            &[("aws:TagKeys", &["environment", "owner"])],
            false,
        ),
        // ForAllValues holds for an absent key or an empty set (AWS's documented pitfall).
        (allowed_tags, &[], true),
        (allowed_tags, &[("aws:TagKeys", &[])], true),
        (any_tag, &[("aws:TagKeys", &["owner", "cost-center"])], true),
        (any_tag, &[("aws:TagKeys", &["owner"])], false),
        (any_tag, &[], false),
        (any_tag, &[("aws:TagKeys", &[])], false),
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}"#,
            &[("aws:TagKeys", &["a", "b"])],
            true,
        ),
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}"#,
            &[("aws:TagKeys", &["a", "secret"])],
            false,
        ),
        (
            r#"{"ForAnyValue:StringNotLike":{"aws:TagKeys":["team-*"]}}"#,
            &[("aws:TagKeys", &["team-a", "owner"])],
            true,
        ),
        (
            r#"{"ForAnyValue:StringNotLike":{"aws:TagKeys":["team-*"]}}"#,
            &[("aws:TagKeys", &["team-a"])],
            false,
        ),
        (
            r#"{"ForAllValues:StringLike":{"aws:TagKeys":["team-*"]}}"#,
            &[("aws:TagKeys", &["team-a", "team-b"])],
            true,
        ),
        // A plain operator over a multi-valued key: any value may match; negated: none may.
        (
            r#"{"StringEquals":{"aws:TagKeys":"owner"}}"#,
            &[("aws:TagKeys", &["team", "owner"])],
            true,
        ),
        (
            r#"{"StringNotEquals":{"aws:TagKeys":"owner"}}"#,
            &[("aws:TagKeys", &["team", "owner"])],
            false,
        ),
    ]);
}

#[test]
fn policy_variables_in_conditions() {
    let cases: &[(&str, &str, Keys<'_>, bool)] = &[
        (
            "2012-10-17",
            r#"{"StringEquals":{"s3:prefix":"${aws:username}"}}"#,
            &[("s3:prefix", &["bob"])],
            true,
        ),
        (
            "2012-10-17",
            r#"{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team}-data"}}"#,
            &[
                ("s3:prefix", &["blue-data"]),
                ("aws:PrincipalTag/team", &["blue"]),
            ],
            true,
        ),
        // An unresolved variable without default matches nothing.
        (
            "2012-10-17",
            r#"{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team}"}}"#,
            &[("s3:prefix", &[""])],
            false,
        ),
        (
            "2012-10-17",
            r#"{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team, 'none'}"}}"#,
            &[("s3:prefix", &["none"])],
            true,
        ),
        (
            "2012-10-17",
            r#"{"StringLike":{"s3:prefix":"${*}${aws:username}"}}"#,
            &[("s3:prefix", &["*bob"])],
            true,
        ),
        (
            "2012-10-17",
            r#"{"StringLike":{"s3:prefix":"${*}${aws:username}"}}"#,
            &[("s3:prefix", &["xbob"])],
            false,
        ),
        (
            "2012-10-17",
            r#"{"StringEquals":{"s3:prefix":"${aws:userid}"}}"#,
            &[("s3:prefix", &["AIDAEXAMPLEUSERID"])],
            true,
        ),
        (
            "2012-10-17",
            r#"{"StringEquals":{"aws:username":"bob"}}"#,
            &[],
            true,
        ),
        (
            "2012-10-17",
            r#"{"StringEquals":{"aws:PrincipalType":"User","aws:PrincipalAccount":"111122223333"}}"#,
            &[],
            true,
        ),
        (
            "2012-10-17",
            r#"{"IpAddress":{"aws:SourceIp":"${aws:PrincipalTag/cidr}"}}"#,
            &[
                ("aws:SourceIp", &["10.1.2.3"]),
                ("aws:PrincipalTag/cidr", &["10.0.0.0/8"]),
            ],
            true,
        ),
        (
            "2012-10-17",
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:${aws:username}"}}"#,
            &[("aws:SourceArn", &["arn:aws:sns:r:1:bob"])],
            true,
        ),
        // 2008-10-17 has no variables: the text is compared literally.
        (
            "2008-10-17",
            r#"{"StringEquals":{"s3:prefix":"${aws:username}"}}"#,
            &[("s3:prefix", &["bob"])],
            false,
        ),
        (
            "2008-10-17",
            r#"{"StringEquals":{"s3:prefix":"${aws:username}"}}"#,
            &[("s3:prefix", &["${aws:username}"])],
            true,
        ),
    ];
    for (version, condition, context, want) in cases {
        assert_eq!(
            allowed_with(version, condition, context),
            *want,
            "{version} {condition}"
        );
    }
}
