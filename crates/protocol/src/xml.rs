//! A minimal, allocation-frugal XML writer for AWS response bodies.
//!
//! Responses are small trees of elements with text; a writer that appends to one `String` is
//! faster and simpler than a DOM and cannot produce unbalanced markup when callers pair
//! `open`/`close` (debug builds assert it).

/// Appends XML to a string. Text and attribute values are escaped.
#[derive(Debug, Default)]
pub struct XmlWriter {
    buf: String,
    #[cfg(debug_assertions)]
    stack: Vec<String>,
}

impl XmlWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the document with `<?xml version="1.0" encoding="UTF-8"?>`.
    pub fn with_declaration() -> Self {
        let mut w = Self::new();
        w.buf.reserve(512);
        w.buf.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        w
    }

    pub fn open(&mut self, tag: &str) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
        #[cfg(debug_assertions)]
        self.stack.push(tag.to_owned());
    }

    /// Opens an element with an `xmlns` attribute.
    pub fn open_ns(&mut self, tag: &str, xmlns: &str) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push_str(" xmlns=\"");
        escape_into(&mut self.buf, xmlns);
        self.buf.push_str("\">");
        #[cfg(debug_assertions)]
        self.stack.push(tag.to_owned());
    }

    pub fn close(&mut self, tag: &str) {
        #[cfg(debug_assertions)]
        debug_assert_eq!(self.stack.pop().as_deref(), Some(tag), "unbalanced XML");
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
    }

    /// `<tag>text</tag>`.
    pub fn leaf(&mut self, tag: &str, text: &str) {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
        escape_into(&mut self.buf, text);
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
    }

    /// `<tag>text</tag>` when `text` is present; nothing otherwise (AWS omits absent members).
    pub fn leaf_opt(&mut self, tag: &str, text: Option<&str>) {
        if let Some(t) = text {
            self.leaf(tag, t);
        }
    }

    /// Appends already-formed XML (used to nest a writer's output).
    pub fn raw(&mut self, xml: &str) {
        self.buf.push_str(xml);
    }

    pub fn finish(self) -> String {
        #[cfg(debug_assertions)]
        debug_assert!(
            self.stack.is_empty(),
            "unclosed XML elements: {:?}",
            self.stack
        );
        self.buf
    }
}

/// Escapes the five XML special characters. Control characters that XML 1.0 forbids are written
/// as character references so that every string round-trips through a conforming parser.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {
                out.push_str(&format!("&#x{:X};", c as u32));
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_nested_escaped_elements() {
        let mut w = XmlWriter::new();
        w.open_ns(
            "GetUserResponse",
            "https://iam.amazonaws.com/doc/2010-05-08/",
        );
        w.open("GetUserResult");
        w.leaf("UserName", "a&b<'\">");
        w.leaf_opt("Path", None);
        w.close("GetUserResult");
        w.close("GetUserResponse");
        assert_eq!(
            w.finish(),
            "<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetUserResult>\
             <UserName>a&amp;b&lt;&apos;&quot;&gt;</UserName></GetUserResult></GetUserResponse>"
        );
    }

    #[test]
    fn control_characters_become_references() {
        let mut s = String::new();
        escape_into(&mut s, "a\u{1}b\rc\n");
        assert_eq!(s, "a&#x1;b&#xD;c\n");
    }
}
