//! The bootstrap file: the shipped example applies, a second application changes nothing, and a
//! file with one bad declaration writes nothing.

mod common;

use std::sync::Arc;

use common::{params, value, values, TestCipher};
use tessera_core::{AccountId, Principal, SystemClock};
use tessera_iam::{Bootstrap, Iam};
use tessera_store::Store;

const GITHUB_OIDC: &str =
    "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com";

fn example() -> Bootstrap {
    // Read at run time: cargo does not rebuild a test when only its checkout moved.
    let manifest_dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let path = format!("{manifest_dir}/../../examples/bootstrap.toml");
    let text = std::fs::read_to_string(path).expect("example file");
    toml::from_str(&text).expect("example parses")
}

/// Everything observable about an account's IAM state, for before/after comparison.
async fn snapshot(iam: &Iam, account: &str) -> Vec<String> {
    let root = Principal::Root {
        account: AccountId::parse(account).expect("account"),
    };
    let mut out = Vec::new();
    for p in [
        vec![("Action", "GetAccountAuthorizationDetails")],
        vec![("Action", "ListAccessKeys")],
        vec![("Action", "ListAccessKeys"), ("UserName", "alice")],
        vec![("Action", "ListOpenIDConnectProviders")],
        vec![
            ("Action", "GetOpenIDConnectProvider"),
            ("OpenIDConnectProviderArn", GITHUB_OIDC),
        ],
        vec![
            ("Action", "ListPolicyVersions"),
            (
                "PolicyArn",
                "arn:aws:iam::000000000000:policy/app/ReadQueues",
            ),
        ],
    ] {
        if account != "000000000000" && p.len() > 1 {
            continue;
        }
        out.push(
            iam.handle(&root, &params(&p), "r")
                .await
                .expect("snapshot call"),
        );
    }
    out
}

#[tokio::test]
async fn example_applies_idempotently() {
    let dir = tempfile::tempdir().expect("tempdir");
    let iam = Iam::new(
        Store::open_sqlite(dir.path()).expect("store"),
        Arc::new(SystemClock),
        Arc::new(TestCipher),
    );
    let b = example();
    iam.apply_bootstrap(&b).await.expect("first application");
    let first = (
        snapshot(&iam, "000000000000").await,
        snapshot(&iam, "111111111111").await,
    );
    iam.apply_bootstrap(&b).await.expect("second application");
    let second = (
        snapshot(&iam, "000000000000").await,
        snapshot(&iam, "111111111111").await,
    );
    assert_eq!(first, second);

    let details = &first.0[0];
    assert_eq!(values(details, "UserName"), vec!["alice"]);
    assert!(details.contains("<GroupList><member>developers</member></GroupList>"));
    assert_eq!(values(details, "RoleName"), vec!["deployer"]);
    assert_eq!(
        value(details, "PermissionsBoundaryArn").as_deref(),
        Some("arn:aws:iam::000000000000:policy/app/ReadQueues")
    );
    assert_eq!(value(details, "AttachmentCount").as_deref(), Some("2"));
    assert_eq!(values(&first.1[0], "RoleName"), vec!["cross-account"]);

    let account = AccountId::parse("000000000000").expect("account");
    let a = iam
        .get_account(&account)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(a.display_name, "ci");
    assert!(a.canonical_user_id.starts_with("79a59df9"));
    let root = iam
        .access_key("AKIAROOTEXAMPLE00001")
        .await
        .expect("lookup")
        .expect("root key");
    assert_eq!(
        root.principal,
        Principal::Root {
            account: account.clone()
        }
    );
    assert_eq!(
        root.secret_access_key,
        "rootsecretrootsecretrootsecretrootsecret"
    );
    let alice = iam
        .access_key("AKIAALICEEXAMPLE0001")
        .await
        .expect("lookup")
        .expect("alice key");
    assert_eq!(
        alice.principal.arn(),
        "arn:aws:iam::000000000000:user/staff/alice"
    );
    let role = iam
        .get_role(&account, "deployer")
        .await
        .expect("lookup")
        .expect("role");
    assert_eq!(role.max_session_duration, 7200);
    let policies = iam
        .role_policies(&account, "deployer")
        .await
        .expect("lookup")
        .expect("role");
    assert_eq!(policies.managed.len(), 1);
    let provider = iam
        .oidc_provider_for_issuer(&account, "https://token.actions.githubusercontent.com")
        .await
        .expect("lookup")
        .expect("provider");
    assert_eq!(provider.arn(), GITHUB_OIDC);
    assert_eq!(provider.client_ids, vec!["sts.amazonaws.com"]);
    assert_eq!(
        provider.thumbprints,
        vec!["6938fd4d98bab03faadb97b34396831e3780aea1"]
    );
}

#[tokio::test]
async fn oidc_providers_are_completed_not_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let iam = Iam::new(
        Store::open_sqlite(dir.path()).expect("store"),
        Arc::new(SystemClock),
        Arc::new(TestCipher),
    );
    let declare = |client: &str| {
        let text = format!(
            "[[account]]\nid = \"222222222222\"\n[[account.oidc_provider]]\nurl = \"https://idp.example.com/\"\nclient_ids = [\"{client}\"]"
        );
        toml::from_str::<Bootstrap>(&text).expect("parses")
    };
    iam.apply_bootstrap(&declare("one")).await.expect("first");
    iam.apply_bootstrap(&declare("two")).await.expect("second");
    let account = AccountId::parse("222222222222").expect("account");
    let p = iam
        .oidc_provider_for_issuer(&account, "https://idp.example.com")
        .await
        .expect("lookup")
        .expect("provider");
    assert_eq!(p.client_ids, vec!["one", "two"]);
    assert!(p.thumbprints.is_empty());
}

#[tokio::test]
async fn a_bad_declaration_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let iam = Iam::new(
        Store::open_sqlite(dir.path()).expect("store"),
        Arc::new(SystemClock),
        Arc::new(TestCipher),
    );
    let cases = [
        r#"[[account]]
id = "222222222222"
[[account.user]]
name = "ok"
[[account.role]]
name = "bad"
trust_policy = "not json""#,
        r#"[[account]]
id = "222222222222"
[[account.user]]
name = "has space""#,
        r#"[[account]]
id = "222222222222"
[[account.user]]
name = "ok"
[[account.role]]
name = "r"
max_session_duration = 60
trust_policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'"#,
        r#"[[account]]
id = "222222222222"
[[account.user]]
name = "ok"
managed_policies = ["arn:aws:iam::222222222222:policy/missing"]"#,
        r#"[[account]]
id = "222222222222"
[[account.user]]
name = "ok"
[[account.oidc_provider]]
url = "http://plain.example.com""#,
        r#"[[account]]
id = "222222222222"
[[account.user]]
name = "ok"
[[account.oidc_provider]]
url = "https://idp.example.com"
thumbprints = ["abc"]"#,
    ];
    for text in cases {
        let b: Bootstrap = toml::from_str(text).expect("parses");
        let err = iam.apply_bootstrap(&b).await.expect_err(text);
        assert!(
            matches!(err, tessera_iam::IamError::Bootstrap { .. }),
            "{err}"
        );
        let account = AccountId::parse("222222222222").expect("account");
        assert!(
            iam.get_user(&account, "ok").await.expect("read").is_none(),
            "{text}"
        );
    }
    assert!(
        toml::from_str::<Bootstrap>("[[account]]\nid = \"1\"").is_err(),
        "account ids are 12 digits"
    );
    assert!(
        toml::from_str::<Bootstrap>("[[account]]\nid = \"222222222222\"\nbogus = 1").is_err(),
        "unknown keys are refused"
    );
}
