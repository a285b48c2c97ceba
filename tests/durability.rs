//! Acknowledged writes survive a graceful restart and `kill -9`; generated identity material (root
//! key, account id) is generated once and stays the same across restarts.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{error_code, Creds, ServerOptions, TestServer, ACCOUNT_ID};

async fn user_names(server: &TestServer) -> Vec<String> {
    let mut names: Vec<String> = server
        .iam()
        .list_users()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListUsers")
        .into_iter()
        .map(|u| u.user_name)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn entities_survive_graceful_restart() {
    let mut server = TestServer::start();
    let iam = server.iam();
    for name in ["a", "b", "c"] {
        iam.create_user().user_name(name).send().await.unwrap();
    }
    let key = iam
        .create_access_key()
        .user_name("a")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let creds = Creds::new(key.access_key_id, key.secret_access_key);
    let before = iam
        .get_user()
        .user_name("b")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    iam.create_group().group_name("g").send().await.unwrap();
    iam.add_user_to_group()
        .group_name("g")
        .user_name("c")
        .send()
        .await
        .unwrap();

    server.restart();

    assert_eq!(user_names(&server).await, ["a", "b", "c"]);
    let after = server
        .iam()
        .get_user()
        .user_name("b")
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    assert_eq!(after.user_id, before.user_id, "ids are stable");
    assert_eq!(after.arn, before.arn);
    assert_eq!(after.create_date, before.create_date);
    let me = server
        .sts_with(&creds)
        .get_caller_identity()
        .send()
        .await
        .expect("the access key still works after restart");
    assert_eq!(
        me.arn.as_deref(),
        Some(format!("arn:aws:iam::{ACCOUNT_ID}:user/a").as_str())
    );
    let members = server
        .iam()
        .get_group()
        .group_name("g")
        .send()
        .await
        .unwrap()
        .users;
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user_name, "c");
}

/// Two writers create users back to back while the server is killed with SIGKILL, several times.
/// A create that got an answer must be there afterwards; one that got no answer may or may not be.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_creates_survive_kill_9() {
    use std::sync::{Arc, Mutex};

    let mut server = TestServer::start();
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let rounds = 4;
    let writers = 2;
    for round in 0..rounds {
        let before = acknowledged.lock().unwrap().len();
        let mut tasks = Vec::new();
        for writer in 0..writers {
            let iam = server.iam();
            let acknowledged = Arc::clone(&acknowledged);
            tasks.push(tokio::spawn(async move {
                // Runs until the server disappears under it.
                for i in 0.. {
                    let name = format!("r{round}-w{writer}-u{i:04}");
                    if iam.create_user().user_name(&name).send().await.is_err() {
                        break;
                    }
                    acknowledged.lock().unwrap().push(name);
                }
            }));
        }
        // Kill once the writers are well under way, so the kill lands between and during writes.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while acknowledged.lock().unwrap().len() < before + 20 {
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: the writers made no progress"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        server.kill9();
        for task in tasks {
            task.await.expect("writer task");
        }
        let present = user_names(&server).await;
        for name in acknowledged.lock().unwrap().iter() {
            assert!(
                present.contains(name),
                "round {round}: {name} was acknowledged but is gone after kill -9"
            );
        }
    }

    // After the last restart the store is still consistent: every listed user can be read.
    for name in user_names(&server).await {
        server
            .iam()
            .get_user()
            .user_name(&name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("listed user {name} cannot be read: {}", error_code(&e)));
    }
}

#[tokio::test]
async fn generated_root_credentials_and_account_id_are_stable() {
    let mut server = TestServer::start_with(ServerOptions {
        root_from_env: false,
        account_id: None,
        ..ServerOptions::default()
    });
    let path = server.data_dir().join("root-credentials");
    let mode = std::fs::metadata(&path)
        .expect("root-credentials is written when no root key is given")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "root-credentials must be private");

    let creds = server.root_creds();
    assert!(
        creds.access_key_id.starts_with("AKIA"),
        "{}",
        creds.access_key_id
    );
    let first = server
        .sts()
        .get_caller_identity()
        .send()
        .await
        .expect("the generated root key works");
    let account = first.account.clone().expect("Account");
    assert_eq!(account.len(), 12, "account id is 12 digits: {account}");
    assert!(account.bytes().all(|b| b.is_ascii_digit()), "{account}");
    assert_eq!(first.arn, Some(format!("arn:aws:iam::{account}:root")));

    server.restart();
    assert_eq!(server.root_creds(), creds, "root key is not regenerated");
    let second = server
        .sts()
        .get_caller_identity()
        .send()
        .await
        .expect("same root key after restart");
    assert_eq!(
        second.account,
        Some(account.clone()),
        "account id is stable"
    );

    server.kill9();
    assert_eq!(server.root_creds(), creds);
    let third = server.sts().get_caller_identity().send().await.unwrap();
    assert_eq!(third.account, Some(account));
}

#[tokio::test]
async fn sigterm_exits_cleanly() {
    let mut server = TestServer::start();
    server
        .iam()
        .create_user()
        .user_name("x")
        .send()
        .await
        .unwrap();
    let status = server.terminate();
    assert!(status.success(), "SIGTERM → exit 0, got {status}");
}
