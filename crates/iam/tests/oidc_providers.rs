//! OpenID Connect providers through `Iam::handle`, and the STS lookup
//! `Iam::oidc_provider_for_issuer`.

mod common;

use common::{harness, value, values, Harness, ACCOUNT};
use tessera_core::AccountId;

const THUMB_A: &str = "9E99A48A9960B14926BB7F3B02E22DA2B0AB7280";
const THUMB_B: &str = "1111111111111111111111111111111111111111";
const ARN: &str = "arn:aws:iam::123456789012:oidc-provider/token.example.com/ci";

async fn with_provider() -> Harness {
    let h = harness().await;
    let xml = h
        .ok(&[
            ("Action", "CreateOpenIDConnectProvider"),
            ("Url", "https://Token.Example.com/ci"),
            ("ClientIDList.member.1", "sts.amazonaws.com"),
            ("ClientIDList.member.2", "ci-runner"),
            ("ClientIDList.member.3", "sts.amazonaws.com"),
            ("ThumbprintList.member.1", THUMB_A),
            ("Tags.member.1.Key", "owner"),
            ("Tags.member.1.Value", "platform"),
        ])
        .await;
    assert_eq!(
        value(&xml, "OpenIDConnectProviderArn").as_deref(),
        Some(ARN)
    );
    assert_eq!(value(&xml, "Value").as_deref(), Some("platform"));
    h
}

#[tokio::test]
async fn create_get_list_delete() {
    let h = with_provider().await;
    let got = h
        .ok(&[
            ("Action", "GetOpenIDConnectProvider"),
            ("OpenIDConnectProviderArn", ARN),
        ])
        .await;
    assert_eq!(value(&got, "Url").as_deref(), Some("token.example.com/ci"));
    assert_eq!(
        values(&values(&got, "ClientIDList")[0], "member"),
        vec!["sts.amazonaws.com", "ci-runner"]
    );
    assert_eq!(
        values(&values(&got, "ThumbprintList")[0], "member"),
        vec![THUMB_A.to_ascii_lowercase()]
    );
    assert!(value(&got, "CreateDate").is_some());

    // Thumbprints are optional.
    h.ok(&[
        ("Action", "CreateOpenIDConnectProvider"),
        ("Url", "https://other.example.com"),
    ])
    .await;
    let list = h.ok(&[("Action", "ListOpenIDConnectProviders")]).await;
    assert_eq!(
        values(&list, "Arn"),
        vec![
            "arn:aws:iam::123456789012:oidc-provider/other.example.com",
            ARN
        ]
    );

    let delete = [
        ("Action", "DeleteOpenIDConnectProvider"),
        ("OpenIDConnectProviderArn", ARN),
    ];
    h.ok(&delete).await;
    // Idempotent, as AWS documents.
    h.ok(&delete).await;
    let gone = h
        .err(&[
            ("Action", "GetOpenIDConnectProvider"),
            ("OpenIDConnectProviderArn", ARN),
        ])
        .await;
    assert_eq!(
        (gone.0.as_str(), gone.1, gone.2.as_str()),
        (
            "NoSuchEntity",
            404,
            "OpenIDConnect Provider not found for arn arn:aws:iam::123456789012:oidc-provider/token.example.com/ci"
        )
    );
}

#[tokio::test]
async fn create_is_validated() {
    let h = with_provider().await;
    let many: Vec<String> = (0..6).map(|n| format!("{n}").repeat(40)).collect();
    let mut six = vec![
        ("Action", "CreateOpenIDConnectProvider"),
        ("Url", "https://six.example.com"),
    ];
    let keys: Vec<String> = (1..=6)
        .map(|n| format!("ThumbprintList.member.{n}"))
        .collect();
    for (k, v) in keys.iter().zip(&many) {
        six.push((k.as_str(), v.as_str()));
    }
    let long_url = format!("https://{}.com", "a".repeat(250));
    let not_hex = "z".repeat(40);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("Url", "https://token.example.com/ci")],
            "EntityAlreadyExists",
        ),
        (vec![("Url", "http://token.example.com")], "InvalidInput"),
        (vec![("Url", "https://x.example.com/?a=b")], "InvalidInput"),
        (vec![("Url", long_url.as_str())], "ValidationError"),
        (vec![], "ValidationError"),
        (
            vec![
                ("Url", "https://t.example.com"),
                ("ThumbprintList.member.1", "abc"),
            ],
            "ValidationError",
        ),
        (
            vec![
                ("Url", "https://t.example.com"),
                ("ThumbprintList.member.1", not_hex.as_str()),
            ],
            "InvalidInput",
        ),
        (six[1..].to_vec(), "LimitExceeded"),
    ];
    for (params, code) in cases {
        let mut p = vec![("Action", "CreateOpenIDConnectProvider")];
        p.extend(params.iter().copied());
        assert_eq!(h.err_code(&p).await, code, "{params:?}");
    }
    let dup = h
        .err(&[
            ("Action", "CreateOpenIDConnectProvider"),
            ("Url", "https://token.example.com/ci"),
        ])
        .await;
    assert_eq!(
        dup.2,
        "Provider with url https://token.example.com/ci already exists."
    );
    for bad_arn in [
        "arn:aws:iam::123456789012:saml-provider/x",
        "arn:aws:iam::123456789012:oidc-provider/",
    ] {
        let e = h
            .err_code(&[
                ("Action", "GetOpenIDConnectProvider"),
                ("OpenIDConnectProviderArn", bad_arn),
            ])
            .await;
        assert_eq!(e, "InvalidInput", "{bad_arn}");
    }
}

#[tokio::test]
async fn client_ids_and_thumbprints_change_in_place() {
    let h = with_provider().await;
    let get = || {
        h.ok(&[
            ("Action", "GetOpenIDConnectProvider"),
            ("OpenIDConnectProviderArn", ARN),
        ])
    };
    for _ in 0..2 {
        h.ok(&[
            ("Action", "AddClientIDToOpenIDConnectProvider"),
            ("OpenIDConnectProviderArn", ARN),
            ("ClientID", "web"),
        ])
        .await;
    }
    for _ in 0..2 {
        h.ok(&[
            ("Action", "RemoveClientIDFromOpenIDConnectProvider"),
            ("OpenIDConnectProviderArn", ARN),
            ("ClientID", "ci-runner"),
        ])
        .await;
    }
    let got = get().await;
    assert_eq!(
        values(&values(&got, "ClientIDList")[0], "member"),
        vec!["sts.amazonaws.com", "web"]
    );
    h.ok(&[
        ("Action", "UpdateOpenIDConnectProviderThumbprint"),
        ("OpenIDConnectProviderArn", ARN),
        ("ThumbprintList.member.1", THUMB_B),
        ("ThumbprintList.member.2", THUMB_A),
    ])
    .await;
    let got = get().await;
    assert_eq!(
        values(&values(&got, "ThumbprintList")[0], "member"),
        vec![THUMB_B.to_owned(), THUMB_A.to_ascii_lowercase()]
    );
    h.ok(&[
        ("Action", "UpdateOpenIDConnectProviderThumbprint"),
        ("OpenIDConnectProviderArn", ARN),
        ("ThumbprintList", ""),
    ])
    .await;
    let got = get().await;
    assert!(values(&values(&got, "ThumbprintList")[0], "member").is_empty());
    let missing_list = h
        .err_code(&[
            ("Action", "UpdateOpenIDConnectProviderThumbprint"),
            ("OpenIDConnectProviderArn", ARN),
        ])
        .await;
    assert_eq!(missing_list, "ValidationError");
    let other = "arn:aws:iam::123456789012:oidc-provider/none.example.com";
    let missing = h
        .err_code(&[
            ("Action", "AddClientIDToOpenIDConnectProvider"),
            ("OpenIDConnectProviderArn", other),
            ("ClientID", "web"),
        ])
        .await;
    assert_eq!(missing, "NoSuchEntity");
}

#[tokio::test]
async fn tags() {
    let h = with_provider().await;
    h.ok(&[
        ("Action", "TagOpenIDConnectProvider"),
        ("OpenIDConnectProviderArn", ARN),
        ("Tags.member.1.Key", "Owner"),
        ("Tags.member.1.Value", "security"),
        ("Tags.member.2.Key", "env"),
        ("Tags.member.2.Value", "ci"),
    ])
    .await;
    let list = [
        ("Action", "ListOpenIDConnectProviderTags"),
        ("OpenIDConnectProviderArn", ARN),
    ];
    let xml = h.ok(&list).await;
    assert_eq!(values(&xml, "Key"), vec!["Owner", "env"]);
    assert_eq!(values(&xml, "Value"), vec!["security", "ci"]);
    h.ok(&[
        ("Action", "UntagOpenIDConnectProvider"),
        ("OpenIDConnectProviderArn", ARN),
        ("TagKeys.member.1", "OWNER"),
    ])
    .await;
    let xml = h.ok(&list).await;
    assert_eq!(values(&xml, "Key"), vec!["env"]);
    let no_tags = h
        .err_code(&[
            ("Action", "TagOpenIDConnectProvider"),
            ("OpenIDConnectProviderArn", ARN),
        ])
        .await;
    assert_eq!(no_tags, "ValidationError");
}

#[tokio::test]
async fn issuer_lookup_for_sts() {
    let h = with_provider().await;
    h.ok(&[
        ("Action", "CreateOpenIDConnectProvider"),
        ("Url", "https://slash.example.com/"),
        ("ClientIDList.member.1", "aud"),
    ])
    .await;
    let account = AccountId::parse(ACCOUNT).expect("account");
    let other = AccountId::parse("999999999999").expect("account");
    for (acct, issuer, want) in [
        (&account, "https://token.example.com/ci", Some(ARN)),
        (&account, "https://token.example.com/ci/", Some(ARN)),
        (&account, "https://TOKEN.example.com/ci", Some(ARN)),
        (
            &account,
            "https://slash.example.com",
            Some("arn:aws:iam::123456789012:oidc-provider/slash.example.com/"),
        ),
        (&account, "https://token.example.com/CI", None),
        (&account, "http://token.example.com/ci", None),
        (&account, "https://token.example.com", None),
        (&account, "", None),
        (&other, "https://token.example.com/ci", None),
    ] {
        let got = h
            .iam
            .oidc_provider_for_issuer(acct, issuer)
            .await
            .expect("lookup");
        assert_eq!(got.as_ref().map(|p| p.arn()).as_deref(), want, "{issuer}");
    }
    let p = h
        .iam
        .oidc_provider_for_issuer(&account, "https://token.example.com/ci")
        .await
        .expect("lookup")
        .expect("provider");
    assert_eq!(p.url, "https://token.example.com/ci");
    assert_eq!(p.client_ids, vec!["sts.amazonaws.com", "ci-runner"]);
    assert_eq!(p.thumbprints, vec![THUMB_A.to_ascii_lowercase()]);
}
