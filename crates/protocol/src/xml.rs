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
///
/// Text is copied in runs between special bytes rather than char by char: tokens, message bodies
/// and keys rarely need escaping, and a run copy is a `memcpy`. Every special is ASCII, so each run
/// boundary is a char boundary.
pub fn escape_into(out: &mut String, text: &str) {
    let mut run_start = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&apos;",
            b'\n' | b'\t' => continue,
            0..=0x1F => CONTROL_REFS[usize::from(b)],
            _ => continue,
        };
        out.push_str(&text[run_start..i]);
        out.push_str(replacement);
        run_start = i + 1;
    }
    out.push_str(&text[run_start..]);
}

/// Character references for the C0 controls, indexed by byte (`\t` and `\n` never use it).
const CONTROL_REFS: [&str; 0x20] = [
    "&#x0;", "&#x1;", "&#x2;", "&#x3;", "&#x4;", "&#x5;", "&#x6;", "&#x7;", "&#x8;", "&#x9;",
    "&#xA;", "&#xB;", "&#xC;", "&#xD;", "&#xE;", "&#xF;", "&#x10;", "&#x11;", "&#x12;", "&#x13;",
    "&#x14;", "&#x15;", "&#x16;", "&#x17;", "&#x18;", "&#x19;", "&#x1A;", "&#x1B;", "&#x1C;",
    "&#x1D;", "&#x1E;", "&#x1F;",
];

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

    #[test]
    fn escapes_runs_around_multibyte_text() {
        let cases = [
            ("", ""),
            ("plain", "plain"),
            ("&", "&amp;"),
            ("é&ü<ß>", "é&amp;ü&lt;ß&gt;"),
            ("日本\u{1F}語\t\n", "日本&#x1F;語\t\n"),
            ("\"'\"", "&quot;&apos;&quot;"),
            ("\u{0}x\u{7F}", "&#x0;x\u{7F}"),
        ];
        for (input, want) in cases {
            let mut s = String::from("<");
            escape_into(&mut s, input);
            assert_eq!(s, format!("<{want}"), "input {input:?}");
        }
    }

    #[test]
    fn every_control_reference_names_its_byte() {
        for (b, reference) in CONTROL_REFS.iter().enumerate() {
            assert_eq!(*reference, format!("&#x{b:X};"));
        }
    }
}
