//! ListObjects v1 and v2: prefixes, delimiters, pagination edge cases, unicode and URL encoding.

mod common;
use bytes::Bytes;
use common::*;

const NONE: &[(&str, &str)] = &[];

async fn with_keys(keys: &[&str]) -> H {
    let h = H::new().await;
    h.bucket("lst").await;
    for k in keys {
        let raw: String =
            percent_encoding::utf8_percent_encode(k, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        h.ok("PUT", &format!("/lst/{raw}"), NONE, "x").await;
    }
    h
}

/// Pages through a v2 listing; returns (keys, prefixes, pages).
async fn v2_all(h: &H, query: &str) -> (Vec<String>, Vec<String>, usize) {
    let (mut keys, mut prefixes, mut pages) = (Vec::new(), Vec::new(), 0);
    let mut token: Option<String> = None;
    loop {
        let mut target = format!("/lst?list-type=2&{query}");
        if let Some(t) = &token {
            target.push_str(&format!("&continuation-token={t}"));
        }
        let r = h.ok("GET", &target, NONE, Bytes::new()).await;
        let text = r.text();
        let contents = all_tags(&text, "Contents");
        let cps = all_tags(&text, "CommonPrefixes");
        assert_eq!(
            tag(&text, "KeyCount").unwrap(),
            (contents.len() + cps.len()).to_string()
        );
        keys.extend(contents.iter().filter_map(|c| tag(c, "Key")));
        prefixes.extend(cps.iter().filter_map(|c| tag(c, "Prefix")));
        pages += 1;
        token = tag(&text, "NextContinuationToken");
        assert_eq!(
            tag(&text, "IsTruncated").as_deref() == Some("true"),
            token.is_some()
        );
        if token.is_none() {
            break;
        }
        assert!(pages < 100);
    }
    (keys, prefixes, pages)
}

/// Pages through a v1 listing with NextMarker (or the last key, as SDK paginators do).
async fn v1_all(h: &H, query: &str) -> (Vec<String>, Vec<String>, usize) {
    let (mut keys, mut prefixes, mut pages) = (Vec::new(), Vec::new(), 0);
    let mut marker: Option<String> = None;
    loop {
        let mut target = format!("/lst?{query}");
        if let Some(m) = &marker {
            let m: String =
                percent_encoding::utf8_percent_encode(m, percent_encoding::NON_ALPHANUMERIC)
                    .to_string();
            target.push_str(&format!("&marker={m}"));
        }
        let r = h.ok("GET", &target, NONE, Bytes::new()).await;
        let text = r.text();
        let page_keys: Vec<String> = all_tags(&text, "Contents")
            .iter()
            .filter_map(|c| tag(c, "Key"))
            .collect();
        keys.extend(page_keys.clone());
        prefixes.extend(
            all_tags(&text, "CommonPrefixes")
                .iter()
                .filter_map(|c| tag(c, "Prefix")),
        );
        pages += 1;
        if tag(&text, "IsTruncated").as_deref() != Some("true") {
            break;
        }
        marker = tag(&text, "NextMarker").or_else(|| page_keys.last().cloned());
        assert!(pages < 100);
    }
    (keys, prefixes, pages)
}

#[tokio::test]
async fn delimiter_with_max_keys_pages_without_repeats() {
    let h = with_keys(&["a/1", "a/2", "a/3", "b", "c/1", "c/2", "d", "e/x/1"]).await;
    for max in 1..=5 {
        let (keys, prefixes, _) = v2_all(&h, &format!("delimiter=/&max-keys={max}")).await;
        assert_eq!(keys, ["b", "d"], "max-keys={max}");
        assert_eq!(prefixes, ["a/", "c/", "e/"], "max-keys={max}");
        let (keys, prefixes, _) = v1_all(&h, &format!("delimiter=/&max-keys={max}")).await;
        assert_eq!(keys, ["b", "d"], "v1 max-keys={max}");
        assert_eq!(prefixes, ["a/", "c/", "e/"], "v1 max-keys={max}");
    }
    let (keys, prefixes, pages) = v2_all(&h, "max-keys=3").await;
    assert_eq!(keys.len(), 8);
    assert!(prefixes.is_empty());
    assert_eq!(pages, 3);
    let (keys, prefixes, _) = v2_all(&h, "prefix=e/&delimiter=/").await;
    assert!(keys.is_empty());
    assert_eq!(prefixes, ["e/x/"]);
    let (keys, _, _) = v2_all(&h, "prefix=c/").await;
    assert_eq!(keys, ["c/1", "c/2"]);
    let (keys, _, _) = v2_all(&h, "start-after=c/1").await;
    assert_eq!(keys, ["c/2", "d", "e/x/1"]);
    // max-keys=0: nothing, not truncated.
    let r = h
        .ok("GET", "/lst?list-type=2&max-keys=0", NONE, Bytes::new())
        .await;
    assert_eq!(tag(&r.text(), "IsTruncated").as_deref(), Some("false"));
    assert_eq!(tag(&r.text(), "KeyCount").as_deref(), Some("0"));
    // Exactly max-keys results: not truncated.
    let r = h
        .ok("GET", "/lst?list-type=2&max-keys=8", NONE, Bytes::new())
        .await;
    assert_eq!(tag(&r.text(), "IsTruncated").as_deref(), Some("false"));
    assert_eq!(
        h.err("GET", "/lst?list-type=2&max-keys=-1", NONE, Bytes::new())
            .await
            .0,
        "InvalidArgument"
    );
    assert_eq!(
        h.err(
            "GET",
            "/lst?list-type=2&continuation-token=",
            NONE,
            Bytes::new()
        )
        .await
        .0,
        "InvalidArgument"
    );
    assert_eq!(
        h.err("GET", "/lst?encoding-type=base64", NONE, Bytes::new())
            .await
            .0,
        "InvalidArgument"
    );
    assert_eq!(
        h.err("GET", "/nolist?list-type=2", NONE, Bytes::new())
            .await
            .0,
        "NoSuchBucket"
    );
}

#[tokio::test]
async fn bytewise_utf8_order_and_url_encoding() {
    // U+FF21 (EF BC A1) sorts after U+00E9 (C3 A9) bytewise; UTF-16 order would agree here but
    // U+1F600 (F0 9F 98 80) sorts after U+FF21 bytewise and before it in UTF-16.
    let h = with_keys(&["\u{1F600}", "\u{FF21}", "\u{e9}", "z", "A", "a b+c&d"]).await;
    let (keys, _, _) = v2_all(&h, "").await;
    assert_eq!(
        keys,
        ["A", "a b+c&d", "z", "\u{e9}", "\u{FF21}", "\u{1F600}"]
    );
    let r = h
        .ok(
            "GET",
            "/lst?list-type=2&encoding-type=url&prefix=a%20",
            NONE,
            Bytes::new(),
        )
        .await;
    let text = r.text();
    assert_eq!(tag(&text, "EncodingType").as_deref(), Some("url"));
    assert_eq!(tag(&text, "Prefix").as_deref(), Some("a%20"));
    assert_eq!(tag(&text, "Key").as_deref(), Some("a%20b%2Bc%26d"));
    let r = h
        .ok(
            "GET",
            "/lst?encoding-type=url&prefix=%C3%A9",
            NONE,
            Bytes::new(),
        )
        .await;
    assert_eq!(tag(&r.text(), "Key").as_deref(), Some("%C3%A9"));
}

#[tokio::test]
async fn unicode_delimiters_and_owner() {
    let h = with_keys(&["x\u{2192}1", "x\u{2192}2", "y"]).await;
    let (keys, prefixes, _) = v2_all(&h, "delimiter=%E2%86%92&max-keys=1").await;
    assert_eq!(
        (keys, prefixes),
        (vec!["y".to_owned()], vec!["x\u{2192}".to_owned()])
    );
    let r = h.ok("GET", "/lst?list-type=2", NONE, Bytes::new()).await;
    assert!(tag(&r.text(), "Owner").is_none());
    let r = h
        .ok(
            "GET",
            "/lst?list-type=2&fetch-owner=true",
            NONE,
            Bytes::new(),
        )
        .await;
    assert!(tag(&r.text(), "Owner")
        .unwrap()
        .contains("<ID>canon111122223333</ID>"));
    let r = h.ok("GET", "/lst", NONE, Bytes::new()).await;
    let text = r.text();
    assert!(tag(&text, "Owner").is_some());
    assert_eq!(tag(&text, "Marker").as_deref(), Some(""));
    assert_eq!(tag(&text, "MaxKeys").as_deref(), Some("1000"));
    let c = tag(&text, "Contents").unwrap();
    assert_eq!(tag(&c, "Size").as_deref(), Some("1"));
    assert_eq!(tag(&c, "StorageClass").as_deref(), Some("STANDARD"));
    assert_eq!(
        tag(&c, "LastModified").as_deref(),
        Some("2023-11-14T22:13:20.000Z")
    );
}

#[tokio::test]
async fn many_keys_cross_scan_batches() {
    let h = H::new().await;
    h.bucket("lst").await;
    // Concurrent puts share the store's group commits.
    let keys: Vec<String> = (0..1203).map(|i| format!("dir{}/k{i:04}", i % 3)).collect();
    for chunk in keys.chunks(100) {
        futures_util::future::join_all(chunk.iter().map(|k| h.put("lst", k, "x"))).await;
    }
    h.put("lst", "top", "x").await;
    let (keys, prefixes, pages) = v2_all(&h, "delimiter=/&max-keys=2").await;
    assert_eq!(
        (keys, prefixes, pages),
        (
            vec!["top".to_owned()],
            vec!["dir0/".to_owned(), "dir1/".to_owned(), "dir2/".to_owned()],
            2
        )
    );
    let (keys, _, pages) = v2_all(&h, "prefix=dir1/").await;
    assert_eq!((keys.len(), pages), (401, 1));
    let (keys, _, _) = v1_all(&h, "prefix=dir2/&max-keys=150").await;
    assert_eq!(keys.len(), 401);
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
}

/// What a listing must return, computed naively: every key in byte order, keys under a common
/// prefix rolled up into it.
fn model(keys: &[String], prefix: &str, delimiter: Option<&str>) -> Vec<(bool, String)> {
    let mut sorted: Vec<&String> = keys.iter().filter(|k| k.starts_with(prefix)).collect();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    sorted.dedup();
    let mut out: Vec<(bool, String)> = Vec::new();
    for k in sorted {
        let cp = delimiter.and_then(|d| {
            k[prefix.len()..]
                .find(d)
                .map(|i| k[..prefix.len() + i + d.len()].to_owned())
        });
        match cp {
            Some(cp) if out.last().is_some_and(|(is_cp, p)| *is_cp && *p == cp) => {}
            Some(cp) => out.push((true, cp)),
            None => out.push((false, k.clone())),
        }
    }
    out
}

#[tokio::test]
async fn listings_match_a_naive_model() {
    // Keys over a small alphabet that includes the delimiter, a two-byte and a four-byte
    // character and U+10FFFF (the character the common-prefix skip jumps to).
    let alphabet = ["a", "b", "/", "\u{e9}", "\u{1F600}", "\u{10FFFF}"];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    let mut keys = Vec::new();
    for _ in 0..60 {
        let len = 1 + next() % 5;
        keys.push(
            (0..len)
                .map(|_| alphabet[next() % alphabet.len()])
                .collect::<String>(),
        );
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let h = with_keys(&refs).await;
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    for prefix in ["", "a", "/", "\u{1F600}"] {
        for delimiter in [None, Some("/"), Some("\u{10FFFF}"), Some("b/")] {
            let want = model(&keys, prefix, delimiter);
            let want_keys: Vec<String> = want
                .iter()
                .filter(|(p, _)| !p)
                .map(|(_, k)| k.clone())
                .collect();
            let want_cps: Vec<String> = want
                .iter()
                .filter(|(p, _)| *p)
                .map(|(_, k)| k.clone())
                .collect();
            for max in [1, 2, 7, 1000] {
                let mut q = format!("prefix={}&max-keys={max}", enc(prefix));
                if let Some(d) = delimiter {
                    q.push_str(&format!("&delimiter={}", enc(d)));
                }
                let (k2, p2, _) = v2_all(&h, &q).await;
                assert_eq!((&k2, &p2), (&want_keys, &want_cps), "v2 {q}");
                let (k1, p1, _) = v1_all(&h, &q).await;
                assert_eq!((&k1, &p1), (&want_keys, &want_cps), "v1 {q}");
            }
        }
    }
}
