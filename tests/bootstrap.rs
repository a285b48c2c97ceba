//! The TOML bootstrap file (`--config`): declared accounts, users with fixed keys, groups, roles and
//! policies exist at start, fixed keys work at once, and applying the file again on every restart
//! neither fails nor duplicates anything.

mod common;

use common::{write_temp_file, Creds, ServerOptions, TestServer, ACCOUNT_ID};

const SECOND_ACCOUNT: &str = "111122223333";
const CI_KEY_ID: &str = "AKIACIBOTEXAMPLE0001";
const CI_SECRET: &str = "cibotsecretcibotsecretcibotsecretcibot00";
const OTHER_ROOT_KEY_ID: &str = "AKIAOTHERROOTEXAMPL1";
const OTHER_ROOT_SECRET: &str = "otherrootsecretotherrootsecretotherroot0";

fn bootstrap_toml() -> String {
    format!(
        r#"
[[account]]
id = "{ACCOUNT_ID}"

[[account.policy]]
name = "WhoAmI"
path = "/ci/"
description = "ask STS who you are"
document = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}}]}}'''

[[account.group]]
name = "builders"
managed_policies = ["arn:aws:iam::{ACCOUNT_ID}:policy/ci/WhoAmI"]

[[account.user]]
name = "ci-bot"
path = "/ci/"
groups = ["builders"]
tags = {{ owner = "platform" }}
inline_policies = {{ Extra = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}}]}}''' }}

[[account.user.access_key]]
id = "{CI_KEY_ID}"
secret = "{CI_SECRET}"

[[account.role]]
name = "deployer"
max_session_duration = 7200
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT_ID}:root"}},"Action":"sts:AssumeRole"}}]}}'''
managed_policies = ["arn:aws:iam::{ACCOUNT_ID}:policy/ci/WhoAmI"]

[[account]]
id = "{SECOND_ACCOUNT}"
root_access_key_id = "{OTHER_ROOT_KEY_ID}"
root_secret_access_key = "{OTHER_ROOT_SECRET}"

[[account.user]]
name = "ci-bot"
"#
    )
}

fn ci_creds() -> Creds {
    Creds::new(CI_KEY_ID, CI_SECRET)
}

async fn check_declared_state(server: &TestServer) {
    let iam = server.iam();

    // The fixed key authenticates as the declared user.
    let me = server
        .sts_with(&ci_creds())
        .get_caller_identity()
        .send()
        .await
        .expect("the bootstrap user's fixed key works");
    assert_eq!(
        me.arn.as_deref(),
        Some(format!("arn:aws:iam::{ACCOUNT_ID}:user/ci/ci-bot").as_str())
    );

    let users: Vec<_> = iam
        .list_users()
        .send()
        .await
        .unwrap()
        .users
        .into_iter()
        .map(|u| u.user_name)
        .collect();
    assert_eq!(users, ["ci-bot"], "exactly the declared users");

    let keys = iam
        .list_access_keys()
        .user_name("ci-bot")
        .send()
        .await
        .unwrap()
        .access_key_metadata;
    assert_eq!(keys.len(), 1, "the fixed key once, not once per start");
    assert_eq!(keys[0].access_key_id.as_deref(), Some(CI_KEY_ID));

    let group = iam.get_group().group_name("builders").send().await.unwrap();
    assert_eq!(
        group
            .users
            .iter()
            .map(|u| u.user_name.as_str())
            .collect::<Vec<_>>(),
        ["ci-bot"]
    );

    let policy_arn = format!("arn:aws:iam::{ACCOUNT_ID}:policy/ci/WhoAmI");
    let policy = iam
        .get_policy()
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("declared policy exists")
        .policy
        .unwrap();
    assert_eq!(policy.default_version_id.as_deref(), Some("v1"));
    assert_eq!(policy.attachment_count, Some(2), "group + role");
    let versions = iam
        .list_policy_versions()
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap()
        .versions
        .unwrap_or_default();
    assert_eq!(versions.len(), 1, "an unchanged document adds no version");

    let role = iam
        .get_role()
        .role_name("deployer")
        .send()
        .await
        .expect("declared role exists")
        .role
        .unwrap();
    assert_eq!(role.max_session_duration, Some(7200));
    let attached = iam
        .list_attached_role_policies()
        .role_name("deployer")
        .send()
        .await
        .unwrap()
        .attached_policies
        .unwrap_or_default();
    assert_eq!(attached.len(), 1);

    let inline = iam
        .list_user_policies()
        .user_name("ci-bot")
        .send()
        .await
        .unwrap()
        .policy_names;
    assert_eq!(inline, ["Extra"]);

    // The second account has its own root key and its own user of the same name.
    let other = Creds::new(OTHER_ROOT_KEY_ID, OTHER_ROOT_SECRET);
    let me = server
        .sts_with(&other)
        .get_caller_identity()
        .send()
        .await
        .expect("the second account's root key works");
    assert_eq!(me.account.as_deref(), Some(SECOND_ACCOUNT));
    let theirs = server
        .iam_with(&other)
        .get_user()
        .user_name("ci-bot")
        .send()
        .await
        .expect("a same-named user in the second account")
        .user
        .unwrap();
    assert_eq!(
        theirs.arn,
        format!("arn:aws:iam::{SECOND_ACCOUNT}:user/ci-bot")
    );
}

#[tokio::test]
async fn bootstrap_declares_state_and_reapplies_idempotently() {
    let (_dir, config) = write_temp_file("bootstrap.toml", &bootstrap_toml());
    let mut server = TestServer::start_with(ServerOptions {
        config: Some(config),
        ..ServerOptions::default()
    });
    check_declared_state(&server).await;

    server.restart();
    check_declared_state(&server).await;

    // Things created through the API are kept when the file is applied again.
    server
        .iam()
        .create_user()
        .user_name("added-later")
        .send()
        .await
        .unwrap();
    server.kill9();
    let names: Vec<_> = server
        .iam()
        .list_users()
        .send()
        .await
        .unwrap()
        .users
        .into_iter()
        .map(|u| u.user_name)
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"added-later".to_string()));
}

#[tokio::test]
async fn invalid_bootstrap_file_stops_the_server_with_an_error() {
    let (_dir, config) = write_temp_file("bootstrap.toml", "[[account]]\nid = \"not-an-id\"\n");
    let data_dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.arg("serve")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(data_dir.path())
        .arg("--config")
        .arg(&config)
        .env_clear()
        .env("TESSERA_ROOT_ACCESS_KEY_ID", common::ROOT_ACCESS_KEY_ID)
        .env(
            "TESSERA_ROOT_SECRET_ACCESS_KEY",
            common::ROOT_SECRET_ACCESS_KEY,
        );
    let output = common::run_with_timeout(cmd, std::time::Duration::from_secs(30));
    assert!(
        !output.status.success(),
        "an invalid bootstrap must not start the server"
    );
    let stdout = &output.stdout;
    assert!(
        !stdout.contains("listening"),
        "must not announce readiness: {stdout}"
    );
    let stderr = &output.stderr;
    assert!(
        stderr.contains("bootstrap"),
        "the error names the bootstrap file: {stderr}"
    );
}
