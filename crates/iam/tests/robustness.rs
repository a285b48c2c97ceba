//! Every action with missing, empty or hostile parameters answers with an AWS client error (or
//! succeeds), never a panic or a ServiceFailure.

mod common;

use common::harness;
use tessera_iam::Action;

#[tokio::test]
async fn every_action_survives_bad_input() {
    let h = harness().await;
    h.ok(&[("Action", "CreateUser"), ("UserName", "u")]).await;
    let hostile = [
        "",
        " ",
        "\u{0}",
        "../../etc",
        "%ZZ",
        "<x>&amp;",
        "arn:aws:iam::123456789012:policy/../../x",
        "arn:aws:iam::123456789012:",
        "99999999999999999999",
        "-1",
        "v0",
        "ünïcødé",
    ];
    let params = [
        "UserName",
        "GroupName",
        "RoleName",
        "PolicyName",
        "PolicyArn",
        "PolicyDocument",
        "AssumeRolePolicyDocument",
        "Path",
        "PathPrefix",
        "NewPath",
        "NewUserName",
        "NewGroupName",
        "MaxItems",
        "Marker",
        "AccessKeyId",
        "Status",
        "VersionId",
        "MaxSessionDuration",
        "PermissionsBoundary",
        "Scope",
        "OnlyAttached",
        "EntityFilter",
        "PolicyUsageFilter",
        "SetAsDefault",
        "Description",
        "Tags.member.1.Key",
        "TagKeys.member.1",
        "Filter.member.1",
    ];
    for &action in Action::ALL {
        let mut cases: Vec<Vec<(&str, &str)>> = vec![vec![("Action", action.name())]];
        for v in hostile {
            let mut c = vec![("Action", action.name())];
            c.extend(params.iter().map(|p| (*p, v)));
            cases.push(c);
        }
        for c in cases {
            if let Err(e) = h.call(&c).await {
                let aws = e.to_aws();
                assert!(aws.status < 500, "{action:?} {c:?}: {e}");
                assert!(!aws.message.is_empty(), "{action:?}: empty message");
            }
        }
    }
}
