//! The `aws-chunked` decoder against AWS's published streaming examples, against bodies chained
//! from requests signed by the official `aws-sigv4` signer, under every split of its input, and
//! against truncated, tampered and malformed bodies.

mod common;

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use tessera_sigv::chunked::{
    ChunkSigning, ChunkedDecoder, ChunkedMode, Decoded, MAX_CHUNK_HEADER, MAX_TRAILERS,
    MAX_TRAILER_SECTION,
};
use tessera_sigv::{parse, signing_key, verify, ChunkedError, Request, SigningKeyCache, Verified};

use common::{sign_request, suite_time, Spec, SECRET};

// ---------------------------------------------------------------------------------------------
// AWS's published examples (Amazon S3 API Reference, "Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks" and "… Including Trailing
// Headers"): 66,560 bytes of 'a' in a 64 KiB chunk, a 1 KiB chunk and the final empty chunk.
// ---------------------------------------------------------------------------------------------

const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EXAMPLE_DATE: &str = "20130524T000000Z";
const EXAMPLE_SCOPE: &str = "20130524/us-east-1/s3/aws4_request";
const EXAMPLE_LEN: usize = 66_560;

const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const CHUNK_SIGNATURES: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];

const TRAILER_SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
const TRAILER_CHUNK_SIGNATURES: [&str; 3] = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
];
const TRAILER_SIGNATURE: &str = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

fn example_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600)
}

fn example_key() -> [u8; 32] {
    signing_key(EXAMPLE_SECRET, "20130524", "us-east-1", "s3")
}

fn unhex(s: &str) -> [u8; 32] {
    let mut out = [0; 32];
    hex::decode_to_slice(s, &mut out).unwrap();
    out
}

/// Verifies one of the published header-signed requests with `verify`.
fn verify_example(content_sha256: &str, extra: &[(&str, &str)], auth: &str) -> Verified {
    let mut headers = vec![
        ("Host", "s3.amazonaws.com"),
        ("x-amz-date", EXAMPLE_DATE),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Authorization", auth),
        ("x-amz-content-sha256", content_sha256),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
    ];
    headers.extend_from_slice(extra);
    let req = Request {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &headers,
        form_params: None,
    };
    let parsed = parse(&req).unwrap().unwrap();
    verify(
        &req,
        &parsed,
        EXAMPLE_SECRET,
        "not-used-for-s3",
        example_time(),
        &SigningKeyCache::default(),
    )
    .unwrap()
}

/// The published streaming body, with the published signatures written out literally.
fn example_body(signatures: &[&str; 3]) -> Vec<u8> {
    let mut body = Vec::new();
    for (size, signature) in [65_536usize, 1024, 0].into_iter().zip(signatures) {
        body.extend_from_slice(format!("{size:x};chunk-signature={signature}\r\n").as_bytes());
        body.extend(std::iter::repeat_n(b'a', size));
        if size > 0 {
            body.extend_from_slice(b"\r\n");
        }
    }
    body
}

#[test]
fn published_streaming_put_verifies_and_decodes() {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/{EXAMPLE_SCOPE},SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature={SEED}"
    );
    let verified = verify_example(
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        &[("Content-Length", "66824")],
        &auth,
    );
    let signing = verified.chunk_signing().unwrap().clone();
    assert_eq!(signing.seed_signature(), unhex(SEED));
    assert_eq!(signing.amz_date(), EXAMPLE_DATE);
    assert_eq!(signing.scope(), EXAMPLE_SCOPE);

    let mut body = example_body(&CHUNK_SIGNATURES);
    body.extend_from_slice(b"\r\n");
    assert_eq!(body.len(), 66_824, "the published Content-Length");
    for piece in [1, 7, 97, 8191, 65_536, 70_000] {
        let decoder = ChunkedDecoder::new(
            ChunkedMode::SignedPayload,
            Some(signing.clone()),
            Some(EXAMPLE_LEN as u64),
        )
        .unwrap();
        let (data, trailers) = decode(decoder, pieces(&body, piece)).unwrap();
        assert_eq!(data, vec![b'a'; EXAMPLE_LEN], "pieces of {piece}");
        assert!(trailers.is_empty());
    }
}

#[test]
fn published_trailer_put_verifies_and_decodes() {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/{EXAMPLE_SCOPE},SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature={TRAILER_SEED}"
    );
    let verified = verify_example(
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        &[("x-amz-trailer", "x-amz-checksum-crc32c")],
        &auth,
    );
    let signing = verified.into_chunk_signing().unwrap();
    assert_eq!(signing.seed_signature(), unhex(TRAILER_SEED));

    let trailer = format!(
        "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{TRAILER_SIGNATURE}\r\n"
    );
    let chunks = example_body(&TRAILER_CHUNK_SIGNATURES);
    // As published; with an empty line after the final chunk; without the closing empty line.
    let bodies = [
        [chunks.as_slice(), trailer.as_bytes(), b"\r\n"].concat(),
        [chunks.as_slice(), b"\r\n", trailer.as_bytes(), b"\r\n"].concat(),
        [chunks.as_slice(), trailer.as_bytes()].concat(),
    ];
    assert_eq!(bodies[0].len(), 66_946);
    for body in &bodies {
        for piece in [1, 13, 4096, 100_000] {
            let decoder = ChunkedDecoder::new(
                ChunkedMode::SignedPayloadTrailer,
                Some(signing.clone()),
                Some(EXAMPLE_LEN as u64),
            )
            .unwrap();
            let (data, trailers) = decode(decoder, pieces(body, piece)).unwrap();
            assert_eq!(data.len(), EXAMPLE_LEN);
            assert_eq!(
                trailers,
                [("x-amz-checksum-crc32c".to_owned(), "sOO8/Q==".to_owned())]
            );
        }
    }
    // The trailer signature covers the trailer: a changed value is refused.
    let tampered = [
        chunks.as_slice(),
        trailer.replace("sOO8", "sOO9").as_bytes(),
        b"\r\n",
    ]
    .concat();
    let decoder =
        ChunkedDecoder::new(ChunkedMode::SignedPayloadTrailer, Some(signing), None).unwrap();
    assert_eq!(
        decode(decoder, pieces(&tampered, 4096)).err(),
        Some(ChunkedError::SignatureDoesNotMatch)
    );
}

/// The test signer below reproduces every published signature, so the bodies it builds for the
/// other tests are what an AWS SDK would send.
#[test]
fn test_signer_reproduces_published_signatures() {
    let data = vec![b'a'; EXAMPLE_LEN];
    let mut chain = Chain::new(example_key(), EXAMPLE_DATE, EXAMPLE_SCOPE, unhex(SEED));
    let signatures: Vec<String> = [&data[..65_536], &data[65_536..], &[]]
        .iter()
        .map(|chunk| chain.sign_chunk(chunk))
        .collect();
    assert_eq!(signatures, CHUNK_SIGNATURES);

    let mut chain = Chain::new(
        example_key(),
        EXAMPLE_DATE,
        EXAMPLE_SCOPE,
        unhex(TRAILER_SEED),
    );
    let signatures: Vec<String> = [&data[..65_536], &data[65_536..], &[]]
        .iter()
        .map(|chunk| chain.sign_chunk(chunk))
        .collect();
    assert_eq!(signatures, TRAILER_CHUNK_SIGNATURES);
    assert_eq!(
        chain.sign_trailer("x-amz-checksum-crc32c:sOO8/Q==\n"),
        TRAILER_SIGNATURE
    );
}

// ---------------------------------------------------------------------------------------------
// Requests signed by the official aws-sigv4 signer with the streaming payload literals.
// ---------------------------------------------------------------------------------------------

const PAYLOAD_LITERALS: [&str; 4] = [
    "UNSIGNED-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
];

fn s3_put(literal: &str) -> Spec {
    let mut spec = Spec::new("s3", "PUT", suite_time());
    spec.host = "examplebucket.s3.us-east-1.amazonaws.com".into();
    spec.path = "/photos/2024/cat.jpg".into();
    spec.headers = vec![
        ("Content-Encoding".into(), "aws-chunked".into()),
        ("x-amz-decoded-content-length".into(), "300".into()),
        ("x-amz-trailer".into(), "x-amz-checksum-crc32".into()),
    ];
    spec.payload_literal = Some(literal.to_owned());
    spec
}

#[test]
fn sdk_signed_streaming_literals_verify_and_seed_the_chain() {
    let data: Vec<u8> = (0..300u32).map(|i| (i * 7 % 256) as u8).collect();
    for literal in PAYLOAD_LITERALS {
        let signed = sign_request(&s3_put(literal));
        let headers = signed.header_refs();
        let sent = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
            .map(|(_, v)| *v);
        assert_eq!(sent, Some(literal), "the signer sends the literal");
        let req = signed.request(&headers);
        let parsed = parse(&req).unwrap().unwrap();
        let cache = SigningKeyCache::default();
        let verified = verify(&req, &parsed, SECRET, "ignored", suite_time(), &cache)
            .unwrap_or_else(|e| panic!("{literal}: {e:?}"));
        let signing = verified.chunk_signing().unwrap().clone();
        let auth = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .unwrap()
            .1;
        let seed = &auth[auth.find("Signature=").unwrap() + "Signature=".len()..];
        assert_eq!(signing.seed_signature(), unhex(seed));
        assert_eq!(signing.scope(), "20150830/us-east-1/s3/aws4_request");
        assert_eq!(signing.amz_date(), "20150830T123600Z");

        // Another literal than the one signed is refused.
        let other = PAYLOAD_LITERALS.iter().find(|l| **l != literal).unwrap();
        let swapped: Vec<(&str, &str)> = headers
            .iter()
            .map(|&(n, v)| {
                if n.eq_ignore_ascii_case("x-amz-content-sha256") {
                    (n, *other)
                } else {
                    (n, v)
                }
            })
            .collect();
        let req2 = signed.request(&swapped);
        assert_eq!(
            verify(&req2, &parsed, SECRET, "ignored", suite_time(), &cache).err(),
            Some(tessera_sigv::SigError::SignatureDoesNotMatch),
            "{literal} swapped for {other}"
        );

        // A body chained from this request's signature decodes with the verified seed.
        let Some(mode) = ChunkedMode::from_content_sha256(literal) else {
            assert_eq!(literal, "UNSIGNED-PAYLOAD");
            continue;
        };
        let mut chain = Chain::new(
            signing_key(SECRET, "20150830", "us-east-1", "s3"),
            "20150830T123600Z",
            "20150830/us-east-1/s3/aws4_request",
            unhex(seed),
        );
        let trailers = [("x-amz-checksum-crc32", "AAAAAA==")];
        let body = encode(mode, &mut chain, &data, 128, &trailers);
        let decoder = ChunkedDecoder::new(mode, Some(signing), Some(300)).unwrap();
        let (got, got_trailers) = decode(decoder, pieces(&body, 50)).unwrap();
        assert_eq!(got, data, "{literal}");
        let expected_trailers = if mode.has_trailer() { 1 } else { 0 };
        assert_eq!(got_trailers.len(), expected_trailers, "{literal}");
    }
}

#[test]
fn other_services_carry_no_chunk_seed() {
    let mut spec = Spec::new("sts", "POST", suite_time());
    spec.body = b"Action=GetCallerIdentity&Version=2011-06-15".to_vec();
    let signed = sign_request(&spec);
    let headers = signed.header_refs();
    let req = signed.request(&headers);
    let parsed = parse(&req).unwrap().unwrap();
    let cache = SigningKeyCache::default();
    let verified = verify(
        &req,
        &parsed,
        SECRET,
        &signed.body_sha256,
        suite_time(),
        &cache,
    );
    assert!(verified.unwrap().chunk_signing().is_none());
}

#[test]
fn presigned_requests_carry_no_chunk_seed() {
    let mut spec = Spec::new("s3", "PUT", suite_time());
    spec.path = "/bucket/key".into();
    spec.presign_expires = Some(Duration::from_secs(300));
    let signed = sign_request(&spec);
    let headers = signed.header_refs();
    let req = signed.request(&headers);
    let parsed = parse(&req).unwrap().unwrap();
    let verified = verify(
        &req,
        &parsed,
        SECRET,
        "",
        suite_time(),
        &SigningKeyCache::default(),
    )
    .unwrap();
    assert!(verified.chunk_signing().is_none());
}

// ---------------------------------------------------------------------------------------------
// Every split, every truncation, every flipped byte.
// ---------------------------------------------------------------------------------------------

/// A small body per mode: 3 chunks of 40 and a 20-byte tail, two trailers where allowed.
fn small_bodies() -> Vec<(ChunkedMode, Vec<u8>, Vec<u8>)> {
    let data: Vec<u8> = (0..140u8).collect();
    let trailers = [
        ("x-amz-checksum-crc64nvme", "AAAAAAAAAAA="),
        ("x-amz-meta-note", "hello world"),
    ];
    ChunkedMode::ALL
        .into_iter()
        .map(|mode| {
            let body = encode(mode, &mut test_chain(), &data, 40, &trailers);
            (mode, data.clone(), body)
        })
        .collect()
}

fn test_chain() -> Chain {
    Chain::new(
        [7; 32],
        "20150830T123600Z",
        "20150830/us-east-1/s3/aws4_request",
        [9; 32],
    )
}

fn test_signing() -> ChunkSigning {
    ChunkSigning::new(
        [7; 32],
        "20150830T123600Z",
        "20150830/us-east-1/s3/aws4_request",
        [9; 32],
    )
}

fn decoder(mode: ChunkedMode, declared: Option<u64>) -> ChunkedDecoder {
    ChunkedDecoder::new(mode, Some(test_signing()), declared).unwrap()
}

#[test]
fn every_split_point_and_byte_by_byte() {
    for (mode, data, body) in small_bodies() {
        let expected = decode(decoder(mode, Some(140)), pieces(&body, body.len())).unwrap();
        assert_eq!(expected.0, data);
        assert_eq!(expected.1.len(), if mode.has_trailer() { 2 } else { 0 });
        for cut in 0..=body.len() {
            let (a, b) = body.split_at(cut);
            let split = vec![Bytes::copy_from_slice(a), Bytes::copy_from_slice(b)];
            assert_eq!(
                decode(decoder(mode, Some(140)), split).as_ref(),
                Ok(&expected),
                "{mode:?} cut at {cut}"
            );
        }
        assert_eq!(
            decode(decoder(mode, Some(140)), pieces(&body, 1)),
            Ok(expected),
            "{mode:?} byte by byte"
        );
    }
}

#[test]
fn every_truncation_is_an_incomplete_body() {
    for (mode, _, body) in small_bodies() {
        for len in 0..body.len() {
            let result = decode(decoder(mode, None), pieces(&body[..len], 17));
            // A signed trailer section may end with its signature line (no closing CRLF).
            if mode == ChunkedMode::SignedPayloadTrailer && len == body.len() - 2 {
                assert!(result.is_ok(), "{mode:?}");
                continue;
            }
            assert_eq!(
                result.err(),
                Some(ChunkedError::IncompleteBody),
                "{mode:?} cut to {len} of {}: {:?}",
                body.len(),
                String::from_utf8_lossy(&body[len.saturating_sub(40)..len])
            );
        }
    }
}

/// A flipped bit anywhere fails; a changed letter case may pass only where case does not matter
/// (hex digits, trailer names), and then the output is unchanged.
#[test]
fn every_flipped_bit_of_a_signed_body_is_refused() {
    for (mode, _, body) in small_bodies() {
        if !mode.is_signed() {
            continue;
        }
        let expected = decode(decoder(mode, None), pieces(&body, 64)).unwrap();
        for at in 0..body.len() {
            for bit in [0x01, 0x20] {
                let mut bad = body.clone();
                bad[at] ^= bit;
                let result = decode(decoder(mode, None), pieces(&bad, 64));
                if bit == 0x20 && body[at].is_ascii_alphabetic() {
                    if let Ok(output) = result {
                        assert_eq!(output, expected, "{mode:?} byte {at} case changed");
                    }
                } else {
                    assert!(result.is_err(), "{mode:?} byte {at} ^ {bit:#x} accepted");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_body_any_split(
        data in proptest::collection::vec(any::<u8>(), 0..1500),
        chunk in 1usize..400,
        mode in proptest::sample::select(ChunkedMode::ALL.to_vec()),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
        with_trailer in any::<bool>(),
    ) {
        let trailers: &[(&str, &str)] = if with_trailer { &[("x-amz-checksum-crc32", "DUoRhQ==")] } else { &[] };
        let body = encode(mode, &mut test_chain(), &data, chunk, trailers);
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(body.len() + 1)).collect();
        points.sort_unstable();
        let mut split = Vec::new();
        let mut start = 0;
        for p in points {
            split.push(Bytes::copy_from_slice(&body[start..p]));
            start = p;
        }
        split.push(Bytes::copy_from_slice(&body[start..]));
        let (got, got_trailers) = decode(decoder(mode, Some(data.len() as u64)), split).unwrap();
        prop_assert_eq!(got, data);
        prop_assert_eq!(got_trailers.len(), if mode.has_trailer() { trailers.len() } else { 0 });
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        mode in proptest::sample::select(ChunkedMode::ALL.to_vec()),
        piece in 1usize..64,
    ) {
        let _ = decode(decoder(mode, None), pieces(&body, piece));
    }
}

// ---------------------------------------------------------------------------------------------
// Malformed bodies, bounds and error codes.
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_bodies_table() {
    use ChunkedMode::UnsignedPayloadTrailer as U;
    let long_header = format!("{}\r\n", "0".repeat(MAX_CHUNK_HEADER + 1));
    let big_trailer = format!(
        "5\r\nhello\r\n0\r\nx-big:{}\r\n\r\n",
        "v".repeat(MAX_TRAILER_SECTION)
    );
    let many_trailers: String = (0..=MAX_TRAILERS).map(|i| format!("x-{i}:v\r\n")).collect();
    let many_trailers = format!("0\r\n{many_trailers}\r\n");
    let cases: Vec<(&str, String, Option<u64>, &str)> = vec![
        (
            "bad hex",
            "5x\r\nhello\r\n0\r\n\r\n".into(),
            None,
            "InvalidChunkSizeError",
        ),
        (
            "empty size",
            "\r\nhello\r\n0\r\n\r\n".into(),
            None,
            "InvalidChunkSizeError",
        ),
        (
            "overflow",
            "10000000000000000\r\n".into(),
            None,
            "InvalidChunkSizeError",
        ),
        ("header too long", long_header, None, "InvalidRequest"),
        ("trailers too long", big_trailer, None, "InvalidRequest"),
        (
            "data longer than size",
            "5\r\nhello!\r\n0\r\n\r\n".into(),
            None,
            "InvalidRequest",
        ),
        (
            "bare LF",
            "5\nhello\r\n0\r\n\r\n".into(),
            None,
            "InvalidRequest",
        ),
        (
            "extension when unsigned",
            "5;x=y\r\nhello\r\n0\r\n\r\n".into(),
            None,
            "InvalidRequest",
        ),
        (
            "bytes after the end",
            "5\r\nhello\r\n0\r\nx-a:1\r\n\r\nextra".into(),
            None,
            "InvalidRequest",
        ),
        (
            "bad trailer line",
            "5\r\nhello\r\n0\r\nno colon\r\n\r\n".into(),
            None,
            "InvalidRequest",
        ),
        ("too many trailers", many_trailers, None, "InvalidRequest"),
        (
            "duplicate trailer",
            "0\r\nx-a:1\r\nx-a:2\r\n\r\n".into(),
            None,
            "InvalidRequest",
        ),
        (
            "trailer signature when unsigned",
            format!("0\r\nx-amz-trailer-signature:{}\r\n\r\n", "0".repeat(64)),
            None,
            "InvalidRequest",
        ),
        (
            "longer than declared",
            "5\r\nhello\r\n0\r\n\r\n".into(),
            Some(4),
            "InvalidRequest",
        ),
        (
            "shorter than declared",
            "5\r\nhello\r\n0\r\n\r\n".into(),
            Some(6),
            "IncompleteBody",
        ),
        ("truncated", "5\r\nhel".into(), None, "IncompleteBody"),
        ("empty body", String::new(), None, "IncompleteBody"),
    ];
    for (name, body, declared, code) in cases {
        let decoder = ChunkedDecoder::new(U, None, declared).unwrap();
        let err = decode(decoder, pieces(body.as_bytes(), 3)).err();
        assert_eq!(
            err.as_ref().map(ChunkedError::aws_code),
            Some(code),
            "{name}: {err:?}"
        );
        assert_eq!(err.map(|e| e.http_status()), Some(400), "{name}");
    }
    // Accepted shapes of the unsigned mode: no trailers, and an empty line before the trailers.
    for ok in [
        "5\r\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r\n0\r\n\r\nx-a:1\r\n\r\n",
    ] {
        let decoder = ChunkedDecoder::new(U, None, Some(5)).unwrap();
        assert!(decode(decoder, pieces(ok.as_bytes(), 2)).is_ok(), "{ok:?}");
    }
}

#[test]
fn signed_framing_errors() {
    let mut chain = test_chain();
    let sig = chain.sign_chunk(b"hello");
    let fin = chain.sign_chunk(b"");
    let cases: Vec<(&str, ChunkedMode, String, &str)> = vec![
        ("valid", ChunkedMode::SignedPayload, format!("5;chunk-signature={sig}\r\nhello\r\n0;chunk-signature={fin}\r\n\r\n"), ""),
        ("missing signature", ChunkedMode::SignedPayload, "5\r\nhello\r\n".into(), "InvalidRequest"),
        ("short signature", ChunkedMode::SignedPayload, "5;chunk-signature=abcd\r\nhello\r\n".into(), "InvalidRequest"),
        ("other extension", ChunkedMode::SignedPayload, format!("5;signature={sig}\r\nhello\r\n"), "InvalidRequest"),
        ("wrong data", ChunkedMode::SignedPayload, format!("5;chunk-signature={sig}\r\nhellO\r\n"), "SignatureDoesNotMatch"),
        ("final chunk skipped", ChunkedMode::SignedPayload, format!("5;chunk-signature={sig}\r\nhello\r\n"), "IncompleteBody"),
        ("final signature replayed", ChunkedMode::SignedPayload, format!("5;chunk-signature={sig}\r\nhello\r\n0;chunk-signature={sig}\r\n\r\n"), "SignatureDoesNotMatch"),
        ("final chunk unsigned", ChunkedMode::SignedPayload, format!("5;chunk-signature={sig}\r\nhello\r\n0\r\n\r\n"), "InvalidRequest"),
        ("trailer signature missing", ChunkedMode::SignedPayloadTrailer, format!("5;chunk-signature={sig}\r\nhello\r\n0;chunk-signature={fin}\r\nx-a:1\r\n\r\n"), "InvalidRequest"),
        ("trailer signature wrong", ChunkedMode::SignedPayloadTrailer, format!("5;chunk-signature={sig}\r\nhello\r\n0;chunk-signature={fin}\r\nx-a:1\r\nx-amz-trailer-signature:{}\r\n\r\n", "0".repeat(64)), "SignatureDoesNotMatch"),
    ];
    for (name, mode, body, code) in cases {
        let result = decode(decoder(mode, None), pieces(body.as_bytes(), 5));
        match result {
            Ok(_) => assert_eq!(code, "", "{name} accepted"),
            Err(e) => {
                assert_eq!(e.aws_code(), code, "{name}: {e:?}");
                let status = if code == "SignatureDoesNotMatch" {
                    403
                } else {
                    400
                };
                assert_eq!(e.http_status(), status, "{name}");
            }
        }
    }
}

#[test]
fn errors_are_sticky_and_end_comes_once() {
    let mut d = ChunkedDecoder::new(ChunkedMode::UnsignedPayloadTrailer, None, None).unwrap();
    d.feed(Bytes::from_static(b"zz\r\n"));
    let first = d.next();
    assert!(matches!(first, Err(ChunkedError::InvalidChunkSize(_))));
    d.feed(Bytes::from_static(b"5\r\nhello\r\n0\r\n\r\n"));
    assert_eq!(d.next(), first);

    let mut d = ChunkedDecoder::new(ChunkedMode::UnsignedPayloadTrailer, None, None).unwrap();
    d.feed(Bytes::from_static(b"5\r\nhello\r\n0\r\n\r\n"));
    assert_eq!(
        d.next(),
        Ok(Some(Decoded::Data(Bytes::from_static(b"hello"))))
    );
    // Complete, but End waits for the end of input: more bytes could still follow.
    assert_eq!(d.next(), Ok(None));
    d.finish_input();
    assert_eq!(d.next(), Ok(Some(Decoded::End)));
    assert_eq!(d.next(), Ok(None));
    assert_eq!(d.decoded_len(), 5);
}

#[test]
fn data_is_handed_out_without_copying() {
    let body = Bytes::from_static(b"b\r\nhello world\r\n0\r\n\r\n");
    let range = body.as_ptr_range();
    let mut d = ChunkedDecoder::new(ChunkedMode::UnsignedPayloadTrailer, None, None).unwrap();
    d.feed(body.clone());
    let Ok(Some(Decoded::Data(data))) = d.next() else {
        panic!("expected data");
    };
    assert_eq!(&data[..], b"hello world");
    assert!(range.contains(&data.as_ptr()), "a slice of the fed buffer");
}

#[test]
fn error_messages_carry_no_signature() {
    let mut chain = test_chain();
    let sig = chain.sign_chunk(b"hello");
    let body = format!("5;chunk-signature={sig}\r\nhellO\r\n");
    let err = decode(
        decoder(ChunkedMode::SignedPayload, None),
        pieces(body.as_bytes(), 64),
    )
    .unwrap_err();
    assert!(!err.message().contains(&sig));
    assert!(
        !format!("{:?}", test_signing()).contains("0707"),
        "the key is never printed"
    );
}

// ---------------------------------------------------------------------------------------------
// Helpers: a reference signer and encoder (validated against the published vectors above), and
// a driver that feeds pieces and collects the output.
// ---------------------------------------------------------------------------------------------

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Chain {
    key: [u8; 32],
    date: String,
    scope: String,
    previous: String,
}

impl Chain {
    fn new(key: [u8; 32], date: &str, scope: &str, seed: [u8; 32]) -> Chain {
        Chain {
            key,
            date: date.into(),
            scope: scope.into(),
            previous: hex::encode(seed),
        }
    }

    fn hmac(&self, text: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).unwrap();
        mac.update(text.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn sign_chunk(&mut self, data: &[u8]) -> String {
        let text = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{}",
            self.date,
            self.scope,
            self.previous,
            hex::encode(Sha256::digest(data))
        );
        self.previous = self.hmac(&text);
        self.previous.clone()
    }

    fn sign_trailer(&mut self, canonical: &str) -> String {
        let text = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.date,
            self.scope,
            self.previous,
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        self.hmac(&text)
    }
}

/// Encodes `data` in `mode` as the SDKs do, chunks of `chunk` bytes, then the trailers (sorted
/// by name, as the signer's canonical form requires) where the mode has them.
fn encode(
    mode: ChunkedMode,
    chain: &mut Chain,
    data: &[u8],
    chunk: usize,
    trailers: &[(&str, &str)],
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut header = |out: &mut Vec<u8>, piece: &[u8]| {
        out.extend_from_slice(format!("{:x}", piece.len()).as_bytes());
        if mode.is_signed() {
            out.extend_from_slice(
                format!(";chunk-signature={}", chain.sign_chunk(piece)).as_bytes(),
            );
        }
        out.extend_from_slice(b"\r\n");
    };
    for piece in data.chunks(chunk) {
        header(&mut out, piece);
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    header(&mut out, &[]);
    if !mode.has_trailer() {
        out.extend_from_slice(b"\r\n");
        return out;
    }
    let mut sorted = trailers.to_vec();
    sorted.sort();
    let mut canonical = String::new();
    for (name, value) in sorted {
        out.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
        canonical.push_str(&format!("{name}:{value}\n"));
    }
    if mode.is_signed() {
        out.extend_from_slice(
            format!(
                "x-amz-trailer-signature:{}\r\n",
                chain.sign_trailer(&canonical)
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn pieces(body: &[u8], size: usize) -> Vec<Bytes> {
    body.chunks(size.max(1))
        .map(Bytes::copy_from_slice)
        .collect()
}

type Output = (Vec<u8>, Vec<(String, String)>);

/// Feeds each piece and drains, then finishes the input and drains to `End`.
fn decode(mut decoder: ChunkedDecoder, input: Vec<Bytes>) -> Result<Output, ChunkedError> {
    let mut data = Vec::new();
    let mut trailers = Vec::new();
    let mut ended = false;
    let mut drain = |d: &mut ChunkedDecoder| -> Result<(), ChunkedError> {
        while let Some(out) = d.next()? {
            assert!(!ended, "output after End");
            match out {
                Decoded::Data(bytes) => {
                    assert!(!bytes.is_empty(), "empty data slice");
                    data.extend_from_slice(&bytes);
                }
                Decoded::Trailer { name, value } => trailers.push((name, value)),
                Decoded::End => ended = true,
            }
        }
        Ok(())
    };
    for piece in input {
        decoder.feed(piece);
        drain(&mut decoder)?;
    }
    decoder.finish_input();
    drain(&mut decoder)?;
    assert!(ended, "finished input without End or an error");
    assert_eq!(decoder.decoded_len(), data.len() as u64);
    Ok((data, trailers))
}
