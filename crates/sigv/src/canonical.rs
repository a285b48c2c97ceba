//! The SigV4 canonical request: URI, query, headers, signed-header list and payload hash.
//!
//! Owns: AWS's canonicalisation rules, byte for byte, for a request as the server received it.
//! Must never decide whether a signature is valid, read a secret, or look at the clock; it only
//! turns a [`Request`] into the text both sides hash. Public so that the S3 front end (chunked
//! payloads, trailers) can rebuild the same pieces.

use crate::encode::{decode_component, encode_into, raw_pairs};
use crate::{Request, SigError};

/// How the path becomes the canonical URI; AWS uses two rule sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UriRules {
    /// Remove `.`/`..` segments and empty segments (`//`) before encoding.
    pub normalize_path: bool,
    /// URI-encode the received (already percent-encoded) path once more, i.e. "double encoding"
    /// from the client's point of view. When false the received path is used verbatim.
    pub encode_path: bool,
}

impl UriRules {
    /// Every service except S3: normalised, and encoded again.
    pub const STANDARD: UriRules = UriRules {
        normalize_path: true,
        encode_path: true,
    };
    /// S3: the path exactly as sent (the client encoded each key once and signed that).
    pub const S3: UriRules = UriRules {
        normalize_path: false,
        encode_path: false,
    };

    /// The rules a credential scope's service name implies.
    pub fn for_service(service: &str) -> UriRules {
        if service == "s3" {
            UriRules::S3
        } else {
            UriRules::STANDARD
        }
    }
}

/// Appends the canonical URI of `raw_path` (the path as received, still percent-encoded).
pub fn canonical_uri(raw_path: &str, rules: UriRules, out: &mut String) {
    let normalized;
    let path = if rules.normalize_path && needs_normalizing(raw_path) {
        normalized = normalize_path(raw_path);
        normalized.as_str()
    } else {
        raw_path
    };
    if !path.starts_with('/') {
        out.push('/');
    }
    if rules.encode_path {
        encode_into(out, path.as_bytes(), true);
    } else {
        out.push_str(path);
    }
}

fn needs_normalizing(path: &str) -> bool {
    path.contains('.') || path.contains("//")
}

/// RFC 3986 dot-segment removal plus AWS's collapsing of empty segments: `//a/./b/../c/` is
/// `/a/c/`. A trailing slash survives, including one implied by a final `.` or `..` segment.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let trailing = ["/", "/.", "/./", "/..", "/../"]
        .iter()
        .any(|end| path.ends_with(end));
    let mut out = String::with_capacity(path.len() + 1);
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() || trailing {
        out.push('/');
    }
    out
}

/// Appends the canonical query string: every parameter of `raw_query` except `exclude` (the
/// presigned `X-Amz-Signature`), each key and value decoded then RFC 3986 encoded, sorted by
/// encoded key then value, `key=` kept for empty values and repeated keys kept.
pub fn canonical_query(raw_query: &str, exclude: Option<&str>, out: &mut String) {
    if raw_query.is_empty() {
        return;
    }
    let mut pairs: Vec<(String, String)> = raw_pairs(raw_query)
        .filter_map(|(k, v)| {
            let key = decode_component(k);
            if exclude.is_some_and(|x| x.as_bytes() == key.as_slice()) {
                return None;
            }
            let mut ek = String::new();
            encode_into(&mut ek, &key, false);
            let mut ev = String::new();
            encode_into(&mut ev, &decode_component(v), false);
            Some((ek, ev))
        })
        .collect();
    pairs.sort_unstable();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
}

/// Each signed header is looked up among all received ones, so the list is bounded: far above
/// what any client signs, far below what would make that lookup costly.
pub const MAX_SIGNED_HEADERS: usize = 128;

/// Checks a `SignedHeaders` list: non-empty names separated by `;`, and `host` among them
/// (AWS refuses signatures that do not cover the host).
pub fn validate_signed_headers(signed_headers: &str) -> Result<(), SigError> {
    if signed_headers.is_empty() {
        return Err(SigError::IncompleteSignature(
            "SignedHeaders must not be empty".into(),
        ));
    }
    let mut has_host = false;
    for (i, name) in signed_headers.split(';').enumerate() {
        if i == MAX_SIGNED_HEADERS {
            return Err(SigError::MalformedAuthorization(format!(
                "SignedHeaders lists more than {MAX_SIGNED_HEADERS} headers"
            )));
        }
        if name.is_empty() || !name.bytes().all(is_header_name_byte) {
            return Err(SigError::MalformedAuthorization(
                "SignedHeaders must be a ';'-separated list of lower-case header names".into(),
            ));
        }
        has_host |= name == "host";
    }
    if !has_host {
        return Err(SigError::MalformedAuthorization(
            "'Host' must be a signed header".into(),
        ));
    }
    Ok(())
}

fn is_header_name_byte(b: u8) -> bool {
    // RFC 7230 token characters, lower-case only: the canonical form AWS signs.
    matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~')
}

/// Appends one `name:value\n` line per signed header, in the order of `signed_headers`. Values of
/// a header sent several times are joined with `,` in the order received; each value is trimmed
/// of spaces and runs of spaces collapse to one. A signed header absent from the request
/// contributes an empty value (and so fails to match what the client signed).
pub fn canonical_headers(headers: &[(&str, &str)], signed_headers: &str, out: &mut String) {
    for name in signed_headers.split(';') {
        out.push_str(name);
        out.push(':');
        let mut first = true;
        for (_, value) in headers.iter().filter(|(n, _)| same_name(n, name)) {
            if !first {
                out.push(',');
            }
            first = false;
            push_trimmed(out, value);
        }
        out.push('\n');
    }
}

/// Header names compare case-insensitively; HTTP libraries hand them over in lower case, so the
/// exact comparison (a `memcmp`) settles almost every case before the byte-wise one runs.
fn same_name(received: &str, signed: &str) -> bool {
    received.len() == signed.len()
        && (received.as_bytes() == signed.as_bytes() || received.eq_ignore_ascii_case(signed))
}

/// Trims spaces (only spaces: AWS leaves other whitespace alone) and collapses runs of them.
/// Copies whole runs of text between spaces at once: values such as session tokens are long.
fn push_trimmed(out: &mut String, value: &str) {
    let mut rest = value.trim_matches(' ');
    if !rest.contains("  ") {
        // The usual case, found with a vectorised substring search.
        out.push_str(rest);
        return;
    }
    // `rest` never ends with a space, so each space found is followed by a non-space.
    while let Some(i) = rest.find(' ') {
        out.push_str(&rest[..=i]);
        rest = rest[i + 1..].trim_start_matches(' ');
    }
    out.push_str(rest);
}

/// What, besides the request itself, a canonical request is made of.
#[derive(Clone, Copy, Debug)]
pub struct CanonicalInputs<'a> {
    /// The `SignedHeaders` list exactly as the client sent it (validated).
    pub signed_headers: &'a str,
    /// The payload hash line: hex SHA-256, `UNSIGNED-PAYLOAD` or a streaming marker.
    pub payload_hash: &'a str,
    /// Path rules for the service.
    pub rules: UriRules,
    /// A query parameter left out of the canonical query (`X-Amz-Signature` when presigned).
    pub exclude_query_key: Option<&'a str>,
}

/// Appends the whole canonical request (without a trailing newline) to `out`.
pub fn canonical_request(req: &Request<'_>, inputs: &CanonicalInputs<'_>, out: &mut String) {
    out.push_str(req.method);
    out.push('\n');
    canonical_uri(req.path, inputs.rules, out);
    out.push('\n');
    canonical_query(req.query, inputs.exclude_query_key, out);
    out.push('\n');
    canonical_headers(req.headers, inputs.signed_headers, out);
    out.push('\n');
    out.push_str(inputs.signed_headers);
    out.push('\n');
    out.push_str(inputs.payload_hash);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_table() {
        let n = UriRules::STANDARD;
        let raw = UriRules {
            normalize_path: false,
            encode_path: true,
        };
        let cases = [
            ("", n, "/"),
            ("/", n, "/"),
            ("//", n, "/"),
            ("/./", n, "/"),
            ("/example/..", n, "/"),
            ("/a/b/../c/./d/", n, "/a/c/d/"),
            ("/a/b/..", n, "/a/"),
            ("/a/.", n, "/a/"),
            ("//example//", n, "/example/"),
            ("/../..", n, "/"),
            ("a/b", n, "/a/b"),
            ("/%2F@", n, "/%252F%40"),
            ("//example//", raw, "//example//"),
            ("/example space/", raw, "/example%20space/"),
            ("/a/../%41", UriRules::S3, "/a/../%41"),
            ("", UriRules::S3, "/"),
        ];
        for (path, rules, want) in cases {
            let mut out = String::new();
            canonical_uri(path, rules, &mut out);
            assert_eq!(out, want, "{path:?} {rules:?}");
        }
    }

    #[test]
    fn query_table() {
        let cases = [
            ("", None, ""),
            ("b=2&a=1", None, "a=1&b=2"),
            ("a=2&a=1&a", None, "a=&a=1&a=2"),
            ("k=a+b&k2=a%20b", None, "k=a%20b&k2=a%20b"),
            ("%E1%88%B4=bar&Param=x", None, "%E1%88%B4=bar&Param=x"),
            ("x=%2f&y=~", None, "x=%2F&y=~"),
            ("X-Amz-Signature=abc&a=1", Some("X-Amz-Signature"), "a=1"),
            ("X-Amz-%53ignature=abc", Some("X-Amz-Signature"), ""),
            ("&&", None, ""),
        ];
        for (query, exclude, want) in cases {
            let mut out = String::new();
            canonical_query(query, exclude, &mut out);
            assert_eq!(out, want, "{query:?}");
        }
    }

    #[test]
    fn headers_trim_collapse_and_join() {
        let headers = [
            ("Host", "example.com"),
            ("My-Header", "  a   b  "),
            ("my-header", "c"),
            ("Other", "x\ty"),
        ];
        let mut out = String::new();
        canonical_headers(&headers, "host;missing;my-header;other", &mut out);
        assert_eq!(
            out,
            "host:example.com\nmissing:\nmy-header:a b,c\nother:x\ty\n"
        );
    }

    #[test]
    fn signed_headers_validation() {
        assert!(validate_signed_headers("host;x-amz-date").is_ok());
        for bad in [
            "",
            "x-amz-date",
            "host;",
            ";host",
            "Host",
            "host;a b",
            "host;é",
        ] {
            assert!(validate_signed_headers(bad).is_err(), "{bad:?}");
        }
        let names = |n: usize| {
            let mut list: Vec<String> = (1..n).map(|i| format!("x-h{i}")).collect();
            list.insert(0, "host".into());
            list.join(";")
        };
        assert!(validate_signed_headers(&names(MAX_SIGNED_HEADERS)).is_ok());
        assert!(validate_signed_headers(&names(MAX_SIGNED_HEADERS + 1)).is_err());
    }
}
