//! The Query protocol as far as the workloads need it: form bodies out, a few XML fields in.
//!
//! Reading XML by tag is enough for the flat result fields set-up needs (`<Account>`, `<Arn>`,
//! `<AccessKeyId>`); it is never used to judge a load response, where only the status counts.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Unreserved characters (RFC 3986) stay; everything else is percent-encoded.
const FORM_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// `k1=v1&k2=v2`, each part percent-encoded.
pub fn form_body(params: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(k, FORM_ENCODE));
        out.push('=');
        out.extend(utf8_percent_encode(v, FORM_ENCODE));
    }
    out
}

/// The unescaped text of the first `<tag>…</tag>`.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    Some(unescape(&xml[start..start + len]))
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_body_encodes_policy_documents() {
        let body = form_body(&[
            ("Action", "PutUserPolicy"),
            ("PolicyDocument", "{\"a\": \"b/c\"}"),
        ]);
        assert_eq!(
            body,
            "Action=PutUserPolicy&PolicyDocument=%7B%22a%22%3A%20%22b%2Fc%22%7D"
        );
    }

    #[test]
    fn xml_text_reads_the_first_field_and_unescapes_it() {
        let xml = "<R><Arn>arn:aws:iam::1:role/a&amp;b</Arn><Arn>second</Arn></R>";
        assert_eq!(
            xml_text(xml, "Arn").as_deref(),
            Some("arn:aws:iam::1:role/a&b")
        );
        assert_eq!(xml_text(xml, "Account"), None);
    }
}
