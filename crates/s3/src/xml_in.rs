//! A tiny, strict XML reader for S3 request bodies (CreateBucketConfiguration, Delete,
//! CompleteMultipartUpload, Tagging, CORSConfiguration).
//!
//! It owns well-formedness only: elements, attributes (read and ignored: S3 documents carry only
//! `xmlns`), text with the five predefined entities and character references, comments and the
//! XML declaration. It must never expand a DTD or custom entity (any `<!DOCTYPE`, `<!ENTITY` or
//! CDATA section is refused), and it bounds input size, depth and element count, so it is safe on
//! any input and fuzz-friendly: [`parse`] is a pure function of the bytes.

/// Largest request document accepted.
pub const MAX_DOC: usize = 1024 * 1024;
const MAX_DEPTH: usize = 32;
const MAX_ELEMENTS: usize = 100_000;

/// One element: its local name (any `prefix:` dropped), its child elements and its text content
/// (the concatenation of its direct text, entity-decoded).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Children with this local name, in document order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child with this name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Why a document was refused. Callers answer `MalformedXML`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(pub &'static str);

/// Parses a whole document into its root element.
pub fn parse(doc: &[u8]) -> Result<Element, XmlError> {
    if doc.len() > MAX_DOC {
        return Err(XmlError("document too large"));
    }
    let text = std::str::from_utf8(doc).map_err(|_| XmlError("not UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser {
        s: text.as_bytes(),
        src: text,
        pos: 0,
        elements: 0,
    };
    p.misc(true)?;
    if !p.at(b"<") {
        return Err(XmlError("no root element"));
    }
    let root = p.element(0)?;
    p.misc(false)?;
    if p.pos != p.s.len() {
        return Err(XmlError("content after the root element"));
    }
    Ok(root)
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    pos: usize,
    elements: usize,
}

impl Parser<'_> {
    fn at(&self, lit: &[u8]) -> bool {
        self.s.get(self.pos..).is_some_and(|r| r.starts_with(lit))
    }

    fn skip_ws(&mut self) {
        while self
            .s
            .get(self.pos)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            self.pos += 1;
        }
    }

    /// Skips until after `end`; errors if it never comes.
    fn skip_past(&mut self, end: &[u8]) -> Result<(), XmlError> {
        let rest = self.s.get(self.pos..).unwrap_or_default();
        match rest.windows(end.len()).position(|w| w == end) {
            Some(i) => {
                self.pos += i + end.len();
                Ok(())
            }
            None => Err(XmlError("unterminated construct")),
        }
    }

    /// Whitespace, comments and (only before the root) the XML declaration.
    fn misc(&mut self, prolog: bool) -> Result<(), XmlError> {
        loop {
            self.skip_ws();
            if prolog && self.pos == 0 && self.at(b"<?xml") {
                self.skip_past(b"?>")?;
            } else if self.at(b"<!--") {
                self.pos += 4;
                self.skip_past(b"-->")?;
            } else if self.at(b"<!") || self.at(b"<?") {
                return Err(XmlError(
                    "DTDs, processing instructions and CDATA are refused",
                ));
            } else {
                return Ok(());
            }
        }
    }

    fn name(&mut self) -> Result<String, XmlError> {
        let start = self.pos;
        while self.s.get(self.pos).is_some_and(|&b| {
            !matches!(
                b,
                b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/' | b'=' | b'<' | b'"' | b'\''
            )
        }) {
            self.pos += 1;
        }
        let raw = self.src.get(start..self.pos).ok_or(XmlError("bad name"))?;
        if raw.is_empty() {
            return Err(XmlError("empty name"));
        }
        Ok(raw.rsplit(':').next().unwrap_or(raw).to_owned())
    }

    fn element(&mut self, depth: usize) -> Result<Element, XmlError> {
        if depth >= MAX_DEPTH {
            return Err(XmlError("too deep"));
        }
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            return Err(XmlError("too many elements"));
        }
        self.pos += 1; // '<'
        let raw_start = self.pos;
        let name = self.name()?;
        let raw_name = self.src.get(raw_start..self.pos).unwrap_or("").to_owned();
        // Attributes: name="value" pairs, checked for shape and otherwise ignored.
        loop {
            self.skip_ws();
            if self.at(b"/>") {
                self.pos += 2;
                return Ok(Element {
                    name,
                    ..Element::default()
                });
            }
            if self.at(b">") {
                self.pos += 1;
                break;
            }
            self.name()?;
            self.skip_ws();
            if !self.at(b"=") {
                return Err(XmlError("attribute without value"));
            }
            self.pos += 1;
            self.skip_ws();
            let quote = *self.s.get(self.pos).ok_or(XmlError("truncated"))?;
            if quote != b'"' && quote != b'\'' {
                return Err(XmlError("unquoted attribute"));
            }
            self.pos += 1;
            let start = self.pos;
            self.skip_past(&[quote])?;
            let value = self.src.get(start..self.pos - 1).unwrap_or("");
            if value.contains('<') {
                return Err(XmlError("'<' in attribute"));
            }
            decode_text(value)?;
        }
        let mut el = Element {
            name,
            ..Element::default()
        };
        loop {
            let start = self.pos;
            while self.s.get(self.pos).is_some_and(|&b| b != b'<') {
                self.pos += 1;
            }
            if self.pos > start {
                let chunk = self.src.get(start..self.pos).ok_or(XmlError("bad text"))?;
                el.text.push_str(&decode_text(chunk)?);
            }
            if self.pos >= self.s.len() {
                return Err(XmlError("unclosed element"));
            }
            if self.at(b"</") {
                self.pos += 2;
                let cstart = self.pos;
                self.name()?;
                let close = self.src.get(cstart..self.pos).unwrap_or("");
                if close != raw_name {
                    return Err(XmlError("mismatched closing tag"));
                }
                self.skip_ws();
                if !self.at(b">") {
                    return Err(XmlError("bad closing tag"));
                }
                self.pos += 1;
                return Ok(el);
            }
            if self.at(b"<!--") {
                self.pos += 4;
                self.skip_past(b"-->")?;
                continue;
            }
            if self.at(b"<!") || self.at(b"<?") {
                return Err(XmlError(
                    "DTDs, processing instructions and CDATA are refused",
                ));
            }
            let child = self.element(depth + 1)?;
            el.children.push(child);
        }
    }
}

/// Decodes the predefined entities and character references; any other `&` is an error.
fn decode_text(raw: &str) -> Result<String, XmlError> {
    if !raw.contains('&') {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').ok_or(XmlError("unterminated entity"))?;
        let ent = &after[..end];
        let ch = match ent {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = ent.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = ent.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or(XmlError("unknown entity"))?
            }
        };
        out.push(ch);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_delete_document() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
            <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><!-- c -->
              <Object><Key>a&amp;b &#x263A;&#65;</Key></Object>
              <s3:Object><Key>c</Key></s3:Object>
              <Quiet>true</Quiet><Empty/>
            </Delete>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Delete");
        let keys: Vec<_> = root
            .all("Object")
            .filter_map(|o| o.child_text("Key"))
            .collect();
        assert_eq!(keys, ["a&b \u{263A}A", "c"]);
        assert_eq!(root.child_text("Quiet"), Some("true"));
        assert_eq!(root.child_text("Empty"), Some(""));
    }

    #[test]
    fn refuses_hostile_or_malformed_input() {
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        let big = vec![b' '; MAX_DOC + 1];
        let cases: Vec<&[u8]> = vec![
            b"",
            b"text",
            b"<!DOCTYPE x [<!ENTITY e \"boom\">]><a>&e;</a>",
            b"<a>&e;</a>",
            b"<a><![CDATA[x]]></a>",
            b"<a><b></a></b>",
            b"<a>",
            b"<a></a><b></b>",
            b"<a x=1></a>",
            b"<a>&#xD800;</a>",
            b"<a>\xff</a>",
            b"<a><?pi x?></a>",
            deep.as_bytes(),
            &big,
        ];
        for c in cases {
            assert!(
                parse(c).is_err(),
                "{:?}",
                String::from_utf8_lossy(&c[..c.len().min(40)])
            );
        }
    }
}
