//! Arbitrary requests through the signature parser and verifier: never a panic.
//! Input lines: query string, Authorization header, X-Amz-Date, X-Amz-Security-Token, path.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.splitn(5, '\n');
    let query = lines.next().unwrap_or("");
    let authorization = lines.next().unwrap_or("");
    let date = lines.next().unwrap_or("");
    let token = lines.next().unwrap_or("");
    let path = lines.next().unwrap_or("/");
    let headers = [
        ("host", "sts.amazonaws.com"),
        ("authorization", authorization),
        ("x-amz-date", date),
        ("x-amz-security-token", token),
    ];
    let form: Vec<(String, String)> = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let req = tessera_sigv::Request {
        method: "POST",
        path,
        query,
        headers: &headers,
        form_params: Some(&form),
    };
    let cache = tessera_sigv::SigningKeyCache::new(16);
    if let Ok(Some(parsed)) = tessera_sigv::parse(&req) {
        let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let _ = tessera_sigv::verify(&req, &parsed, "secret", "UNSIGNED-PAYLOAD", now, &cache);
    }
});
