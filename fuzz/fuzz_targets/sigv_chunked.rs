//! Arbitrary aws-chunked bodies through the streaming decoder, in every mode and cut into
//! arbitrary pieces: never a panic, never more output than input, `End` at most once. And
//! valid bodies with one byte changed: every unchanged body decodes to its payload, and whatever
//! decodes from a changed signed body is exactly what was signed.
//!
//! Input: byte 0 picks the mode (bits 0-1) and whether to forge (bit 7), byte 1 the piece size.
//! Raw: the rest is the body. Forge: bytes 2-3 the chunk size, 4-5 the position and 6 the mask
//! of the changed byte, the rest the payload, signed under a fixed key before the change.
#![no_main]
use bytes::Bytes;
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use tessera_sigv::chunked::{ChunkSigning, ChunkedDecoder, ChunkedMode, Decoded};

const KEY: [u8; 32] = [7; 32];
const SEED: [u8; 32] = [9; 32];
const DATE: &str = "20150830T123600Z";
const SCOPE: &str = "20150830/us-east-1/s3/aws4_request";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const TRAILER: (&str, &str) = ("x-amz-checksum-crc32", "DUoRhQ==");

fuzz_target!(|data: &[u8]| {
    let [selector, piece, rest @ ..] = data else {
        return;
    };
    let mode = ChunkedMode::ALL[usize::from(selector & 3) % ChunkedMode::ALL.len()];
    let piece = usize::from(*piece).max(1);
    if selector & 0x80 == 0 {
        let _ = run(mode, rest, piece);
        return;
    }
    let [c0, c1, p0, p1, mask, payload @ ..] = rest else {
        return;
    };
    let chunk = usize::from(u16::from_le_bytes([*c0, *c1])).max(1);
    let mut body = encode(mode, payload, chunk);
    let at = usize::from(u16::from_le_bytes([*p0, *p1])) % body.len();
    body[at] ^= mask;
    if let Some((out, trailers)) = run(mode, &body, piece) {
        if !mode.is_signed() && *mask != 0 {
            return; // nothing protects an unsigned body
        }
        // Only a change the format ignores (the case of a hex digit or trailer name) may pass.
        assert_eq!(out, payload);
        if mode.has_trailer() {
            assert_eq!(trailers, [(TRAILER.0.to_owned(), TRAILER.1.to_owned())]);
        }
    } else {
        assert!(*mask != 0, "a validly signed body was refused");
    }
});

type Output = (Vec<u8>, Vec<(String, String)>);

/// Decodes `body` fed in pieces; `Some` when it decodes to `End`.
fn run(mode: ChunkedMode, body: &[u8], piece: usize) -> Option<Output> {
    let signing = ChunkSigning::new(KEY, DATE, SCOPE, SEED);
    let mut decoder = ChunkedDecoder::new(mode, Some(signing), None).ok()?;
    let (mut out, mut trailers, mut ends, mut failed) = (Vec::new(), Vec::new(), 0, false);
    let mut pull = |d: &mut ChunkedDecoder| loop {
        match d.next() {
            Ok(Some(Decoded::Data(bytes))) => out.extend_from_slice(&bytes),
            Ok(Some(Decoded::Trailer { name, value })) => trailers.push((name, value)),
            Ok(Some(Decoded::End)) => ends += 1,
            Ok(None) => break,
            Err(_) => {
                failed = true;
                break;
            }
        }
    };
    for chunk in body.chunks(piece) {
        decoder.feed(Bytes::copy_from_slice(chunk));
        pull(&mut decoder);
    }
    decoder.finish_input();
    pull(&mut decoder);
    assert!(out.len() <= body.len());
    assert_eq!(out.len() as u64, decoder.decoded_len());
    assert!(ends <= 1);
    (ends == 1 && !failed).then_some((out, trailers))
}

/// The body an SDK sends for `payload` in `mode`, with one checksum trailer where allowed.
fn encode(mode: ChunkedMode, payload: &[u8], chunk: usize) -> Vec<u8> {
    let mut previous = hex::encode(SEED);
    let sign = |text: String| {
        let mut mac = Hmac::<Sha256>::new_from_slice(&KEY).expect("any key length");
        mac.update(text.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    };
    let mut out = Vec::new();
    for piece in payload.chunks(chunk).chain(std::iter::once(&[][..])) {
        out.extend_from_slice(format!("{:x}", piece.len()).as_bytes());
        if mode.is_signed() {
            let hash = hex::encode(Sha256::digest(piece));
            previous = sign(format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{DATE}\n{SCOPE}\n{previous}\n{EMPTY_SHA256}\n{hash}"
            ));
            out.extend_from_slice(format!(";chunk-signature={previous}").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(piece);
        if !piece.is_empty() {
            out.extend_from_slice(b"\r\n");
        }
    }
    if !mode.has_trailer() {
        out.extend_from_slice(b"\r\n");
        return out;
    }
    let (name, value) = TRAILER;
    out.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
    if mode.is_signed() {
        let hash = hex::encode(Sha256::digest(format!("{name}:{value}\n")));
        let signature = sign(format!(
            "AWS4-HMAC-SHA256-TRAILER\n{DATE}\n{SCOPE}\n{previous}\n{hash}"
        ));
        out.extend_from_slice(format!("x-amz-trailer-signature:{signature}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}
