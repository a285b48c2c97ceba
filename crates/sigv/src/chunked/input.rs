//! The bytes fed to a [`super::ChunkedDecoder`] that it has not consumed yet.
//!
//! Owns: the queue of the caller's `Bytes` (never copied: data leaves as slices of them) and the
//! one bounded buffer in which a CRLF-terminated line is assembled across feeds. Must never hold
//! more than the caller fed plus one line, and never interpret what a line says.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::ChunkedError;

#[derive(Default)]
pub(super) struct Input {
    queue: VecDeque<Bytes>,
    /// The line being assembled, CR and LF included once seen; also the progress of
    /// [`Input::crlf`].
    line: Vec<u8>,
    /// The caller said no more bytes will come.
    finished: bool,
}

impl Input {
    pub(super) fn push(&mut self, bytes: Bytes) {
        if !bytes.is_empty() {
            self.queue.push_back(bytes);
        }
    }

    pub(super) fn finish(&mut self) {
        self.finished = true;
    }

    pub(super) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Whether unconsumed bytes are queued (a partly assembled line does not count).
    pub(super) fn has_bytes(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Up to `max` bytes from the front, as a slice of what was fed; `None` if nothing is queued.
    pub(super) fn take(&mut self, max: u64) -> Option<Bytes> {
        let front = self.queue.front_mut()?;
        let n = usize::try_from(max).unwrap_or(usize::MAX).min(front.len());
        let out = front.split_to(n);
        if front.is_empty() {
            self.queue.pop_front();
        }
        Some(out)
    }

    /// Assembles a line terminated by CRLF, returning it without the CRLF once complete, or
    /// `None` while more bytes are needed. A line whose content would exceed `limit` bytes is
    /// [`ChunkedError::TooLarge`]; a bare LF or a stray CR is [`ChunkedError::Malformed`].
    pub(super) fn line(
        &mut self,
        limit: usize,
        what: &str,
    ) -> Result<Option<Vec<u8>>, ChunkedError> {
        while let Some(front) = self.queue.front_mut() {
            let (segment_len, complete) = match front.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (front.len(), false),
            };
            // Content plus CR and LF may reach `limit + 2`; an incomplete line `limit + 1`.
            let allowed = if complete { limit + 2 } else { limit + 1 };
            if self.line.len() + segment_len > allowed {
                return Err(ChunkedError::TooLarge(format!(
                    "The {what} exceeds {limit} bytes"
                )));
            }
            self.line.extend_from_slice(&front.split_to(segment_len));
            if front.is_empty() {
                self.queue.pop_front();
            }
            if complete {
                let mut line = std::mem::take(&mut self.line);
                line.truncate(line.len() - 1);
                if line.pop() != Some(b'\r') || line.contains(&b'\r') {
                    return Err(ChunkedError::Malformed(format!(
                        "The {what} is not terminated by CRLF"
                    )));
                }
                return Ok(Some(line));
            }
        }
        Ok(None)
    }

    /// Consumes exactly CRLF: `true` once both bytes are seen, `false` while more are needed.
    pub(super) fn crlf(&mut self, after: &str) -> Result<bool, ChunkedError> {
        const CRLF: &[u8; 2] = b"\r\n";
        while self.line.len() < CRLF.len() {
            let Some(byte) = self.take(1) else {
                return Ok(false);
            };
            if byte.first() != CRLF.get(self.line.len()) {
                return Err(ChunkedError::Malformed(format!(
                    "{after} is not followed by CRLF"
                )));
            }
            self.line.extend_from_slice(&byte);
        }
        self.line.clear();
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fed(pieces: &[&'static [u8]]) -> Input {
        let mut input = Input::default();
        for p in pieces {
            input.push(Bytes::from_static(p));
        }
        input
    }

    #[test]
    fn line_across_pieces() {
        let mut input = fed(&[b"40", b"0;a", b"b\r", b"\nrest"]);
        assert_eq!(input.line(16, "header").unwrap(), Some(b"400;ab".to_vec()));
        assert_eq!(input.take(100).as_deref(), Some(&b"rest"[..]));
        assert!(!input.has_bytes());
    }

    #[test]
    fn incomplete_line_waits() {
        let mut input = fed(&[b"abc\r"]);
        assert_eq!(input.line(16, "header").unwrap(), None);
        input.push(Bytes::from_static(b"\n"));
        assert_eq!(input.line(16, "header").unwrap(), Some(b"abc".to_vec()));
    }

    #[test]
    fn line_bounds_are_exact() {
        assert_eq!(
            fed(&[b"abcd\r\n"]).line(4, "x").unwrap(),
            Some(b"abcd".to_vec())
        );
        assert!(matches!(
            fed(&[b"abcde\r\n"]).line(4, "x"),
            Err(ChunkedError::TooLarge(_))
        ));
        // Detected before the line ends, so a client cannot make the buffer grow.
        assert!(matches!(
            fed(&[b"abcdef"]).line(4, "x"),
            Err(ChunkedError::TooLarge(_))
        ));
        assert_eq!(fed(&[b"abcd\r"]).line(4, "x").unwrap(), None);
    }

    #[test]
    fn line_needs_crlf() {
        for bad in [&b"abc\n"[..], b"a\rbc\r\n", b"\n"] {
            let mut input = Input::default();
            input.push(Bytes::copy_from_slice(bad));
            assert!(
                matches!(input.line(16, "x"), Err(ChunkedError::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn crlf_split_and_wrong() {
        let mut input = fed(&[b"\r"]);
        assert!(!input.crlf("data").unwrap());
        input.push(Bytes::from_static(b"\nx"));
        assert!(input.crlf("data").unwrap());
        assert_eq!(input.take(9).as_deref(), Some(&b"x"[..]));
        assert!(fed(&[b"\n\r"]).crlf("data").is_err());
        assert!(fed(&[b"\rx"]).crlf("data").is_err());
    }
}
