//! Wildcard patterns (`*` any run, `?` one character) as used by actions, ARNs and `StringLike`.
//!
//! Owns: compiling a pattern once into a shape that matches without allocating. Must never
//! backtrack exponentially: matching is O(pattern × text) in the worst case.

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Lit(String),
    Star,
    One,
}

/// A compiled wildcard pattern, with fast paths for the shapes policies use most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Glob {
    Any,
    Exact(String),
    Prefix(String),
    General(Vec<Piece>),
}

impl Glob {
    /// Compiles text in which `*` and `?` are wildcards.
    pub(crate) fn parse(pattern: &str) -> Glob {
        let mut pieces = Vec::new();
        push_wild_text(&mut pieces, pattern);
        Glob::from_pieces(pieces)
    }

    /// Builds a pattern from pieces, merging neighbours so the fast paths apply.
    pub(crate) fn from_pieces(raw: Vec<Piece>) -> Glob {
        let mut pieces: Vec<Piece> = Vec::with_capacity(raw.len());
        for piece in raw {
            match (pieces.last_mut(), piece) {
                (Some(Piece::Lit(prev)), Piece::Lit(next)) => prev.push_str(&next),
                (Some(Piece::Star), Piece::Star) => {}
                (_, Piece::Lit(l)) if l.is_empty() => {}
                (_, piece) => pieces.push(piece),
            }
        }
        match pieces.as_slice() {
            [] => Glob::Exact(String::new()),
            [Piece::Star] => Glob::Any,
            [Piece::Lit(l)] => Glob::Exact(l.clone()),
            [Piece::Lit(l), Piece::Star] => Glob::Prefix(l.clone()),
            _ => Glob::General(pieces),
        }
    }

    /// Lower-cases literal text, for patterns matched against lower-cased text (actions).
    pub(crate) fn to_ascii_lowercase(&self) -> Glob {
        match self {
            Glob::Any => Glob::Any,
            Glob::Exact(l) => Glob::Exact(l.to_ascii_lowercase()),
            Glob::Prefix(l) => Glob::Prefix(l.to_ascii_lowercase()),
            Glob::General(pieces) => Glob::General(
                pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Lit(l) => Piece::Lit(l.to_ascii_lowercase()),
                        other => other.clone(),
                    })
                    .collect(),
            ),
        }
    }

    /// Case-sensitive; callers lower-case both sides where AWS ignores case (actions). Inlined
    /// so each call site predicts its own common shape.
    #[inline]
    pub(crate) fn matches(&self, text: &str) -> bool {
        match self {
            Glob::Any => true,
            Glob::Exact(l) => bytes_eq(text.as_bytes(), l.as_bytes()),
            Glob::Prefix(l) => text
                .as_bytes()
                .get(..l.len())
                .is_some_and(|head| bytes_eq(head, l.as_bytes())),
            Glob::General(pieces) => match_pieces(pieces, text),
        }
    }
}

/// Appends `text`, reading `*` and `?` as wildcards.
pub(crate) fn push_wild_text(pieces: &mut Vec<Piece>, text: &str) {
    let mut lit = String::new();
    for c in text.chars() {
        match c {
            '*' | '?' => {
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                pieces.push(if c == '*' { Piece::Star } else { Piece::One });
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
}

/// Equality for the short literals policies are made of: word compares instead of a `memcmp`
/// call, which dominated evaluation profiles.
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_ne_bytes)
    };
    match n {
        0..=7 => a.iter().zip(b).all(|(x, y)| x == y),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

fn char_len_at(text: &str, at: usize) -> usize {
    text[at..].chars().next().map_or(1, char::len_utf8)
}

/// Greedy match that remembers only the last `*`: sufficient for `*`/`?` patterns and linear in
/// practice.
fn match_pieces(pieces: &[Piece], text: &str) -> bool {
    let bytes = text.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut resume: Option<(usize, usize)> = None;
    loop {
        let advanced = match pieces.get(pi) {
            Some(Piece::Star) => {
                resume = Some((pi + 1, ti));
                pi += 1;
                continue;
            }
            Some(Piece::One) if ti < bytes.len() => {
                ti += char_len_at(text, ti);
                true
            }
            Some(Piece::Lit(l))
                if bytes
                    .get(ti..ti + l.len())
                    .is_some_and(|s| bytes_eq(s, l.as_bytes())) =>
            {
                ti += l.len();
                true
            }
            None if ti == bytes.len() => return true,
            _ => false,
        };
        if advanced {
            pi += 1;
            continue;
        }
        match resume {
            Some((p, t)) if t < bytes.len() => {
                let next = t + char_len_at(text, t);
                resume = Some((p, next));
                pi = p;
                ti = next;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_table() {
        let cases = [
            ("*", "", true),
            ("*", "anything", true),
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("ab*", "abcd", true),
            ("ab*", "a", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true),
            ("*c", "abc", true),
            ("*b*", "abc", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("*.txt", "home/x.txt", true),
            ("home/${x}", "home/${x}", true),
            ("??", "é", false),
            ("*?", "", false),
            ("a**b", "ab", true),
        ];
        for (pattern, text, want) in cases {
            assert_eq!(Glob::parse(pattern).matches(text), want, "{pattern} {text}");
        }
    }

    #[test]
    fn lowering_keeps_wildcards() {
        let g = Glob::parse("Get*U?er").to_ascii_lowercase();
        assert!(g.matches("getxuser"));
        assert!(!g.matches("GetxUser"));
    }

    #[test]
    fn bytes_eq_table() {
        let cases = [
            ("", "", true),
            ("a", "b", false),
            ("s3", "s3", true),
            ("abcdefgh", "abcdefgh", true),
            ("abcdefgh", "abcdefgx", false),
            ("arn:aws:s3:::", "arn:aws:s3:::", true),
            ("arn:aws:s3:::", "arn:aws:s4:::", false),
            (
                "arn:aws:iam::111122223333:",
                "arn:aws:iam::111122223333:",
                true,
            ),
            (
                "arn:aws:iam::111122223333:",
                "arn:aws:iam::111122223334:",
                false,
            ),
            ("abc", "abcd", false),
        ];
        for (a, b, want) in cases {
            assert_eq!(bytes_eq(a.as_bytes(), b.as_bytes()), want, "{a} {b}");
        }
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = format!("{}b", "*a".repeat(200));
        let text = "a".repeat(5000);
        assert!(!Glob::parse(&pattern).matches(&text));
    }
}
