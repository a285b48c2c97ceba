//! The Query protocol as far as the workloads need it: form bodies out, XML elements in.
//!
//! Reading XML by tag is enough for what the generator needs: the flat result fields set-up reads
//! (`<Account>`, `<QueueUrl>`) and the repeated elements a load response is judged by (`<Message>`
//! of a receive, `<Key>` of a listing, the entries of a batch). It is not a general XML parser:
//! elements of one name must not nest, and it never allocates except to unescape a value.

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
    xml_elements(xml, tag).next().map(unescape)
}

/// The raw contents of every `<tag>…</tag>` (attributes allowed; `<tag/>` gives ""), in order;
/// an element whose closing tag is missing ends the iteration.
pub fn xml_elements<'a>(xml: &'a str, tag: &'a str) -> XmlElements<'a> {
    XmlElements { xml, tag, pos: 0 }
}

/// Whether the document has a `<tag…>` element at all (e.g. the result element of a response).
pub fn has_element(xml: &str, tag: &str) -> bool {
    xml_elements(xml, tag).next().is_some()
}

pub struct XmlElements<'a> {
    xml: &'a str,
    tag: &'a str,
    pos: usize,
}

impl<'a> Iterator for XmlElements<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let (xml, tag) = (self.xml, self.tag);
        loop {
            let lt = self.pos + xml.get(self.pos..)?.find('<')?;
            let after_name = lt + 1 + tag.len();
            self.pos = lt + 1;
            if xml.get(lt + 1..after_name) != Some(tag) {
                continue;
            }
            let rest = xml.get(after_name..)?;
            match rest.as_bytes().first() {
                Some(b'>' | b' ' | b'\t' | b'\r' | b'\n' | b'/') => {}
                _ => continue,
            }
            let gt = after_name + rest.find('>')?;
            if xml.as_bytes()[gt - 1] == b'/' {
                self.pos = gt + 1;
                return Some("");
            }
            let start = gt + 1;
            let mut search = start;
            loop {
                let close = search + xml.get(search..)?.find("</")?;
                let name_end = close + 2 + tag.len();
                if xml.get(close + 2..name_end) == Some(tag)
                    && xml.as_bytes().get(name_end) == Some(&b'>')
                {
                    self.pos = name_end + 1;
                    return Some(&xml[start..close]);
                }
                search = close + 2;
            }
        }
    }
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

    #[test]
    fn xml_elements_match_whole_names_attributes_and_empty_elements() {
        let xml = r#"<R xmlns="x"><MessageId>1</MessageId><Message a="b"><Body>one</Body></Message><Message/>
            <Message>
            <Body>two</Body></Message><Messages>no</Messages></R>"#;
        let got: Vec<&str> = xml_elements(xml, "Message").collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], "<Body>one</Body>");
        assert_eq!(got[1], "");
        assert_eq!(xml_text(got[2], "Body").as_deref(), Some("two"));
        assert!(has_element(xml, "R"));
        assert!(!has_element(xml, "Mess"));
    }

    #[test]
    fn xml_elements_stop_at_truncated_documents() {
        let cases = [
            ("<Key>a</Key><Key>b", 1),
            ("<Key>a</Key><Key", 1),
            ("<Key>a</Ke", 0),
            ("", 0),
            ("<<<>>></", 0),
            ("<Key>é</Key><Key>ü</Key>", 2),
        ];
        for (xml, want) in cases {
            assert_eq!(xml_elements(xml, "Key").count(), want, "{xml}");
        }
    }
}
