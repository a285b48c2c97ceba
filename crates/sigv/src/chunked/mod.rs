//! Decoding `aws-chunked` request bodies (S3 streaming uploads), sans I/O and incrementally.
//!
//! Owns: the framing of the three streaming payload modes named by `x-amz-content-sha256`,
//! verification of every chunk and trailer signature as the body streams, and the bounds that
//! keep a hostile body from making the decoder buffer: one chunk-header line (at most
//! [`MAX_CHUNK_HEADER`] bytes) and the trailer section (at most [`MAX_TRAILER_SECTION`] bytes).
//! Data is handed back as slices of the caller's [`Bytes`], never accumulated. Must never do I/O,
//! read a clock, or judge the data itself (checksum trailers are compared by the S3 front end).
//!
//! Wire formats (each line ends in CRLF):
//! - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: chunks `<hex size>;chunk-signature=<sig>`, the data,
//!   CRLF; the last chunk has size 0 and is followed by a single CRLF.
//! - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: the same chunks; after the size-0 chunk, the
//!   trailers `name:value`, then `x-amz-trailer-signature:<sig>`, then an empty line.
//! - `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: chunks `<hex size>`, the data, CRLF; after the size-0
//!   chunk, the trailers, then an empty line.
//!
//! Tolerated variations seen from clients: an empty line between the size-0 chunk and the
//! trailers, and a signed trailer section that ends with its signature line and no empty line.
//!
//! Security: a chunk's data is handed out before its signature can be checked (the signature
//! covers the whole chunk and arrives before it), so nothing decoded is authenticated until
//! [`Decoded::End`]; a caller must not commit an object before then. Trailers are handed out only
//! after the trailer signature verified.

mod input;
mod signing;
mod trailer;

use std::fmt;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::ChunkedError;
use input::Input;
pub use signing::ChunkSigning;
use signing::SignatureChain;
use trailer::TrailerLine;

/// The longest chunk-header line accepted, CRLF excluded. A signed header needs at most 16 hex
/// digits, `;chunk-signature=` and 64 hex digits (97 bytes); the bound leaves room without
/// letting a client make the decoder buffer much.
pub const MAX_CHUNK_HEADER: usize = 4096;
/// The most bytes accepted in the trailer section, CRLFs included.
pub const MAX_TRAILER_SECTION: usize = 16 * 1024;
/// The most trailers accepted. SDKs send one checksum; the cap keeps the duplicate check cheap.
pub const MAX_TRAILERS: usize = 64;

/// How a body is framed and signed, from its `x-amz-content-sha256` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkedMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: signed chunks, no trailers.
    SignedPayload,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and signed trailers.
    SignedPayloadTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: unsigned chunks and trailers.
    UnsignedPayloadTrailer,
}

impl ChunkedMode {
    /// Every mode this decoder handles.
    pub const ALL: [ChunkedMode; 3] = [
        ChunkedMode::SignedPayload,
        ChunkedMode::SignedPayloadTrailer,
        ChunkedMode::UnsignedPayloadTrailer,
    ];

    /// The mode an `x-amz-content-sha256` value names (exact spelling, as signed); `None` for a
    /// payload hash, `UNSIGNED-PAYLOAD` or the SigV4a (`…ECDSA-P256…`) modes.
    pub fn from_content_sha256(value: &str) -> Option<ChunkedMode> {
        Self::ALL.into_iter().find(|m| m.content_sha256() == value)
    }

    /// The `x-amz-content-sha256` value of this mode.
    pub fn content_sha256(self) -> &'static str {
        match self {
            ChunkedMode::SignedPayload => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            ChunkedMode::SignedPayloadTrailer => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            ChunkedMode::UnsignedPayloadTrailer => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        }
    }

    /// Whether chunks carry signatures (and so need [`ChunkSigning`]).
    pub fn is_signed(self) -> bool {
        self != ChunkedMode::UnsignedPayloadTrailer
    }

    /// Whether a trailer section follows the last chunk.
    pub fn has_trailer(self) -> bool {
        self != ChunkedMode::SignedPayload
    }
}

/// One piece of decoded output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// The next bytes of the object, a slice of what was fed.
    Data(Bytes),
    /// A trailer, name lower-cased, value trimmed; delivered after the whole trailer section (and,
    /// when signed, its signature) checked out. `x-amz-trailer-signature` is not delivered.
    Trailer {
        /// e.g. `x-amz-checksum-crc32c`.
        name: String,
        /// e.g. `sOO8/Q==`.
        value: String,
    },
    /// The body was complete, every signature matched, the decoded length is as declared and
    /// nothing follows. Delivered once, only after [`ChunkedDecoder::finish_input`].
    End,
}

/// Where the decoder is in the body.
enum State {
    /// Expecting a chunk-header line.
    Header,
    /// Inside a chunk's data; `claimed` is its signature when signed.
    Data { remaining: u64, claimed: [u8; 32] },
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// Expecting the CRLF that ends the body: after the size-0 chunk of `SignedPayload`, or
    /// after a trailer signature once more bytes arrived.
    FinalCrlf,
    /// Reading trailer lines; `blank_seen` once an empty line was allowed before any trailer.
    Trailers { blank_seen: bool },
    /// Unsigned: the size-0 chunk was followed by an empty line; this is the end unless more
    /// bytes (trailers) follow.
    MaybeEnd,
    /// Signed trailers verified: an empty line or the end of input may follow.
    AfterTrailerSignature,
    /// Complete: trailers to deliver, then `End` once the input is finished.
    Complete,
    /// `End` was delivered.
    Done,
}

/// An incremental `aws-chunked` decoder. Feed the body as it arrives with
/// [`ChunkedDecoder::feed`], pull output with [`ChunkedDecoder::next`] until it returns
/// `Ok(None)` (more input needed), and call [`ChunkedDecoder::finish_input`] when the body ends;
/// `next` then yields the rest and [`Decoded::End`], or [`ChunkedError::IncompleteBody`] if the
/// body was cut short. After an error every call returns the same error.
///
/// Memory: the decoder holds what was fed and not yet pulled, one chunk-header line, and the
/// trailer section; pull until `Ok(None)` before feeding more to keep that to one network read.
pub struct ChunkedDecoder {
    mode: ChunkedMode,
    chain: Option<SignatureChain>,
    /// The running SHA-256 of the current chunk's data (signed modes).
    chunk_hash: Sha256,
    declared_len: Option<u64>,
    decoded_len: u64,
    input: Input,
    state: State,
    trailers: Vec<(String, String)>,
    trailer_bytes: usize,
    /// Trailers handed out so far, in the `Complete` state.
    delivered_trailers: usize,
    failed: Option<ChunkedError>,
}

impl fmt::Debug for ChunkedDecoder {
    /// Progress only: the signing material stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkedDecoder")
            .field("mode", &self.mode)
            .field("declared_len", &self.declared_len)
            .field("decoded_len", &self.decoded_len)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl ChunkedDecoder {
    /// A decoder for a body in `mode`. `signing` is required for the signed modes (and ignored
    /// for the unsigned one); `decoded_len` is `x-amz-decoded-content-length` when the request
    /// sent it, and the decoded total must then equal it.
    pub fn new(
        mode: ChunkedMode,
        signing: Option<ChunkSigning>,
        decoded_len: Option<u64>,
    ) -> Result<ChunkedDecoder, ChunkedError> {
        let chain = match (mode.is_signed(), signing) {
            (true, Some(signing)) => Some(SignatureChain::new(signing)),
            (true, None) => return Err(ChunkedError::SigningRequired(mode.content_sha256())),
            (false, _) => None,
        };
        Ok(ChunkedDecoder {
            mode,
            chain,
            chunk_hash: Sha256::new(),
            declared_len: decoded_len,
            decoded_len: 0,
            input: Input::default(),
            state: State::Header,
            trailers: Vec::new(),
            trailer_bytes: 0,
            delivered_trailers: 0,
            failed: None,
        })
    }

    /// The next bytes of the body, in whatever pieces the network delivered them.
    pub fn feed(&mut self, bytes: Bytes) {
        self.input.push(bytes);
    }

    /// Says that the body has ended: no more [`ChunkedDecoder::feed`] calls will follow.
    pub fn finish_input(&mut self) {
        self.input.finish();
    }

    /// The object bytes decoded so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded_len
    }

    /// The next piece of output: `Ok(Some(_))`, or `Ok(None)` when more input is needed (or
    /// after `End`).
    #[allow(clippy::should_implement_trait)] // fallible and input-driven: not an `Iterator`
    pub fn next(&mut self) -> Result<Option<Decoded>, ChunkedError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.step();
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn step(&mut self) -> Result<Option<Decoded>, ChunkedError> {
        loop {
            match self.state {
                State::Header => {
                    let Some(line) = self.input.line(MAX_CHUNK_HEADER, "chunk header")? else {
                        return self.need_more();
                    };
                    self.chunk_header(&line)?;
                }
                State::Data { remaining, claimed } => {
                    let Some(data) = self.input.take(remaining) else {
                        return self.need_more();
                    };
                    let remaining = remaining - data.len() as u64;
                    if let Some(chain) = &mut self.chain {
                        self.chunk_hash.update(&data);
                        if remaining == 0 {
                            let hash = self.chunk_hash.finalize_reset().into();
                            chain.verify_chunk(&hash, &claimed)?;
                        }
                    }
                    self.decoded_len += data.len() as u64;
                    self.state = if remaining == 0 {
                        State::DataEnd
                    } else {
                        State::Data { remaining, claimed }
                    };
                    return Ok(Some(Decoded::Data(data)));
                }
                State::DataEnd => {
                    if !self.input.crlf("Chunk data")? {
                        return self.need_more();
                    }
                    self.state = State::Header;
                }
                State::FinalCrlf => {
                    if !self.input.crlf("The end of the body")? {
                        return self.need_more();
                    }
                    self.state = State::Complete;
                }
                State::Trailers { blank_seen } => {
                    let limit = MAX_TRAILER_SECTION.saturating_sub(self.trailer_bytes + 2);
                    let Some(line) = self.input.line(limit, "trailer section")? else {
                        return self.need_more();
                    };
                    self.trailer_bytes += line.len() + 2;
                    self.trailer_line(&line, blank_seen)?;
                }
                State::MaybeEnd => {
                    if self.input.has_bytes() {
                        self.state = State::Trailers { blank_seen: true };
                    } else if self.input.is_finished() {
                        self.state = State::Complete;
                    } else {
                        return Ok(None);
                    }
                }
                State::AfterTrailerSignature => {
                    if self.input.has_bytes() {
                        self.state = State::FinalCrlf;
                    } else if self.input.is_finished() {
                        self.state = State::Complete;
                    } else {
                        return Ok(None);
                    }
                }
                State::Complete => return self.complete(),
                State::Done => return self.after_end(),
            }
        }
    }

    /// `Ok(None)` while the body may still continue; [`ChunkedError::IncompleteBody`] once it
    /// cannot.
    fn need_more(&self) -> Result<Option<Decoded>, ChunkedError> {
        if self.input.is_finished() {
            Err(ChunkedError::IncompleteBody)
        } else {
            Ok(None)
        }
    }

    /// `<hex size>[;chunk-signature=<64 hex>]`.
    fn chunk_header(&mut self, line: &[u8]) -> Result<(), ChunkedError> {
        let (size, extension) = match line.iter().position(|&b| b == b';') {
            Some(i) => (&line[..i], Some(&line[i + 1..])),
            None => (line, None),
        };
        let size = parse_hex_size(size)?;
        let claimed = match (self.mode.is_signed(), extension) {
            (true, Some(ext)) => parse_chunk_signature(ext)?,
            (true, None) => {
                return Err(ChunkedError::Malformed(
                    "A chunk header lacks its chunk-signature".into(),
                ))
            }
            (false, None) => [0; 32],
            (false, Some(_)) => {
                return Err(ChunkedError::Malformed(
                    "A chunk header of an unsigned body has an extension".into(),
                ))
            }
        };
        if let Some(declared) = self.declared_len {
            if self
                .decoded_len
                .checked_add(size)
                .is_none_or(|t| t > declared)
            {
                return Err(ChunkedError::LongerThanDeclared { declared });
            }
        }
        if size > 0 {
            self.state = State::Data {
                remaining: size,
                claimed,
            };
            return Ok(());
        }
        if let Some(chain) = &mut self.chain {
            let empty = Sha256::digest(b"").into();
            chain.verify_chunk(&empty, &claimed)?;
        }
        self.state = if self.mode.has_trailer() {
            State::Trailers { blank_seen: false }
        } else {
            State::FinalCrlf
        };
        Ok(())
    }

    fn trailer_line(&mut self, line: &[u8], blank_seen: bool) -> Result<(), ChunkedError> {
        let signed = self.chain.is_some();
        if line.is_empty() {
            let first = self.trailers.is_empty() && !blank_seen;
            self.state = match (signed, first) {
                (true, true) => State::Trailers { blank_seen: true },
                (true, false) => {
                    return Err(ChunkedError::Malformed(
                        "The trailer section ends without x-amz-trailer-signature".into(),
                    ))
                }
                (false, true) => State::MaybeEnd,
                (false, false) => State::Complete,
            };
            return Ok(());
        }
        match trailer::parse_line(line)? {
            TrailerLine::Header(name, value) => {
                if self.trailers.len() >= MAX_TRAILERS {
                    return Err(ChunkedError::TooLarge(format!(
                        "More than {MAX_TRAILERS} trailers"
                    )));
                }
                if self.trailers.iter().any(|(n, _)| *n == name) {
                    return Err(ChunkedError::Malformed(format!(
                        "The trailer {name} appears more than once"
                    )));
                }
                self.trailers.push((name, value));
            }
            TrailerLine::Signature(claimed) => {
                let Some(chain) = &mut self.chain else {
                    return Err(ChunkedError::Malformed(format!(
                        "{} in an unsigned body",
                        trailer::SIGNATURE_NAME
                    )));
                };
                chain.verify_trailer(&trailer::canonical_sha256(&self.trailers), &claimed)?;
                self.state = State::AfterTrailerSignature;
            }
        }
        Ok(())
    }

    /// Hands out the trailers, then `End` once the input is finished and nothing is left over.
    fn complete(&mut self) -> Result<Option<Decoded>, ChunkedError> {
        if let Some((name, value)) = self.trailers.get(self.delivered_trailers) {
            self.delivered_trailers += 1;
            return Ok(Some(Decoded::Trailer {
                name: name.clone(),
                value: value.clone(),
            }));
        }
        if self.input.has_bytes() {
            return Err(ChunkedError::Malformed(
                "Bytes follow the end of the aws-chunked body".into(),
            ));
        }
        if !self.input.is_finished() {
            return Ok(None);
        }
        if let Some(declared) = self.declared_len {
            if self.decoded_len != declared {
                return Err(ChunkedError::ShorterThanDeclared {
                    declared,
                    actual: self.decoded_len,
                });
            }
        }
        self.state = State::Done;
        Ok(Some(Decoded::End))
    }

    fn after_end(&self) -> Result<Option<Decoded>, ChunkedError> {
        if self.input.has_bytes() {
            return Err(ChunkedError::Malformed(
                "Bytes follow the end of the aws-chunked body".into(),
            ));
        }
        Ok(None)
    }
}

/// A chunk size: 1 to 16 hexadecimal digits (leading zeros allowed within the header bound),
/// nothing else.
fn parse_hex_size(digits: &[u8]) -> Result<u64, ChunkedError> {
    let shown = || String::from_utf8_lossy(&digits[..digits.len().min(32)]).into_owned();
    if digits.is_empty() {
        return Err(ChunkedError::InvalidChunkSize("empty".into()));
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        let digit = char::from(b)
            .to_digit(16)
            .ok_or_else(|| ChunkedError::InvalidChunkSize(shown()))?;
        acc.checked_mul(16)
            .and_then(|v| v.checked_add(u64::from(digit)))
            .ok_or_else(|| ChunkedError::InvalidChunkSize(format!("{} overflows", shown())))
    })
}

/// `chunk-signature=<64 hex digits>`.
fn parse_chunk_signature(extension: &[u8]) -> Result<[u8; 32], ChunkedError> {
    let hex_digits = extension
        .strip_prefix(b"chunk-signature=")
        .ok_or_else(|| ChunkedError::Malformed("Unknown chunk extension".into()))?;
    let mut signature = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut signature).map_err(|_| {
        ChunkedError::Malformed("chunk-signature must be 64 hexadecimal characters".into())
    })?;
    Ok(signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip() {
        for mode in ChunkedMode::ALL {
            assert_eq!(
                ChunkedMode::from_content_sha256(mode.content_sha256()),
                Some(mode)
            );
        }
        for other in [
            "UNSIGNED-PAYLOAD",
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
            "streaming-unsigned-payload-trailer",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ] {
            assert_eq!(ChunkedMode::from_content_sha256(other), None, "{other}");
        }
    }

    #[test]
    fn hex_sizes() {
        let table: [(&[u8], Option<u64>); 9] = [
            (b"0", Some(0)),
            (b"10000", Some(65536)),
            (b"aBc", Some(0xabc)),
            (b"000000000000000000001", Some(1)),
            (b"ffffffffffffffff", Some(u64::MAX)),
            (b"10000000000000000", None),
            (b"", None),
            (b" 1", None),
            (b"-1", None),
        ];
        for (digits, want) in table {
            assert_eq!(
                parse_hex_size(digits).ok(),
                want,
                "{}",
                String::from_utf8_lossy(digits)
            );
        }
    }

    #[test]
    fn signed_mode_needs_signing() {
        assert_eq!(
            ChunkedDecoder::new(ChunkedMode::SignedPayload, None, None).err(),
            Some(ChunkedError::SigningRequired(
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
            ))
        );
        assert!(ChunkedDecoder::new(ChunkedMode::UnsignedPayloadTrailer, None, None).is_ok());
    }
}
