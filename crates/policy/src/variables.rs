//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, `${*}` `${?}` `${$}` and
//! defaults (`${aws:username, 'nobody'}`).
//!
//! Owns: splitting text into literal text and variables, and substituting values at evaluation
//! time. Must never substitute in a 2008-10-17 document (AWS treats `${…}` literally there).

use crate::glob::{push_wild_text, Glob, Piece};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    /// `${*}`, `${?}`, `${$}`: the character itself, never a wildcard.
    Escaped(char),
    Var {
        /// Lower-cased: condition keys are case-insensitive.
        key: String,
        default: Option<String>,
    },
}

/// Text that may contain policy variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// `substitute` is false for 2008-10-17 documents: everything stays literal.
    pub(crate) fn parse(raw: &str, substitute: bool) -> Template {
        if !substitute || !raw.contains("${") {
            return Template {
                parts: vec![Part::Text(raw.to_owned())],
            };
        }
        let mut parts = Vec::new();
        let mut rest = raw;
        while let Some(open) = rest.find("${") {
            let Some(close) = rest[open..].find('}').map(|c| open + c) else {
                break;
            };
            match parse_variable(&rest[open + 2..close]) {
                Some(part) => {
                    if open > 0 {
                        parts.push(Part::Text(rest[..open].to_owned()));
                    }
                    parts.push(part);
                }
                None => parts.push(Part::Text(rest[..=close].to_owned())),
            }
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Template { parts }
    }

    /// True when the text contains no variable that needs a request to resolve.
    pub(crate) fn is_static(&self) -> bool {
        !self.parts.iter().any(|p| matches!(p, Part::Var { .. }))
    }

    /// Splits at literal `sep` characters (never inside variable values), at most `max` pieces;
    /// the last piece keeps the remaining separators.
    pub(crate) fn split(&self, sep: char, max: usize) -> Vec<Template> {
        let mut out = vec![Template { parts: Vec::new() }];
        for part in &self.parts {
            match part {
                Part::Text(text) => {
                    let mut rest = text.as_str();
                    while out.len() < max {
                        let Some(at) = rest.find(sep) else { break };
                        push_text(&mut out, &rest[..at]);
                        out.push(Template { parts: Vec::new() });
                        rest = &rest[at + sep.len_utf8()..];
                    }
                    push_text(&mut out, rest);
                }
                other => {
                    if let Some(last) = out.last_mut() {
                        last.parts.push(other.clone());
                    }
                }
            }
        }
        out
    }

    /// Substitutes variables into plain text; `None` when a variable has neither a value nor a
    /// default (AWS then treats the value as not matching).
    pub(crate) fn render_text<'v>(
        &self,
        lookup: &dyn Fn(&str) -> Option<&'v str>,
    ) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Escaped(c) => out.push(*c),
                Part::Var { key, default } => out.push_str(resolve(key, default, lookup)?),
            }
        }
        Some(out)
    }

    /// Substitutes variables into a wildcard pattern: literal text keeps its wildcards, values
    /// and escapes are matched literally.
    pub(crate) fn render_glob<'v>(&self, lookup: &dyn Fn(&str) -> Option<&'v str>) -> Option<Glob> {
        let mut pieces = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => push_wild_text(&mut pieces, t),
                Part::Escaped(c) => pieces.push(Piece::Lit(c.to_string())),
                Part::Var { key, default } => {
                    pieces.push(Piece::Lit(resolve(key, default, lookup)?.to_owned()));
                }
            }
        }
        Some(Glob::from_pieces(pieces))
    }
}

fn push_text(out: &mut [Template], text: &str) {
    if let Some(last) = out.last_mut() {
        if !text.is_empty() {
            last.parts.push(Part::Text(text.to_owned()));
        }
    }
}

fn resolve<'v, 'd>(
    key: &str,
    default: &'d Option<String>,
    lookup: &dyn Fn(&str) -> Option<&'v str>,
) -> Option<&'d str>
where
    'v: 'd,
{
    lookup(key).or(default.as_deref())
}

/// The inside of `${…}`; `None` leaves the text literal, as AWS does with what is not a variable.
fn parse_variable(inner: &str) -> Option<Part> {
    match inner.trim() {
        "*" => return Some(Part::Escaped('*')),
        "?" => return Some(Part::Escaped('?')),
        "$" => return Some(Part::Escaped('$')),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let quoted = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))?;
            (key.trim(), Some(quoted.to_owned()))
        }
        None => (inner.trim(), None),
    };
    let (vendor, name) = key.split_once(':')?;
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_/.:@".contains(c))
    };
    if !valid(vendor) || !valid(name) {
        return None;
    }
    Some(Part::Var {
        key: key.to_ascii_lowercase(),
        default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(key: &str) -> Option<&'static str> {
        match key {
            "aws:username" => Some("bob"),
            "aws:principaltag/team" => Some("blue"),
            _ => None,
        }
    }

    #[test]
    fn rendering_table() {
        let cases = [
            ("home/${aws:username}/*", true, Some("home/bob/*")),
            (
                "home/${aws:username}/*",
                false,
                Some("home/${aws:username}/*"),
            ),
            ("${aws:PrincipalTag/team}-x", true, Some("blue-x")),
            ("${aws:missing}", true, None),
            ("${aws:missing, 'guest'}", true, Some("guest")),
            ("${aws:username,'guest'}", true, Some("bob")),
            ("a${*}b${?}c${$}", true, Some("a*b?c$")),
            ("${not a var}", true, Some("${not a var}")),
            ("${unterminated", true, Some("${unterminated")),
        ];
        for (raw, substitute, want) in cases {
            let t = Template::parse(raw, substitute);
            assert_eq!(t.render_text(&lookup).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn values_and_escapes_are_literal_in_globs() {
        let t = Template::parse("a/${*}/${aws:username}*", true);
        let g = t.render_glob(&lookup).unwrap();
        assert!(g.matches("a/*/bob-anything"));
        assert!(!g.matches("a/x/bob"));
    }

    #[test]
    fn split_ignores_separators_in_values() {
        let t = Template::parse("arn:aws:s3:::b/${aws:username}:x", true);
        let parts = t.split(':', 6);
        assert_eq!(parts.len(), 6);
        assert_eq!(parts[5].render_text(&lookup).as_deref(), Some("b/bob:x"));
        assert_eq!(parts[2].render_text(&lookup).as_deref(), Some("s3"));
    }
}
