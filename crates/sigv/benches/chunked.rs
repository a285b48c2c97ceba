//! Throughput of decoding an 8 MiB `aws-chunked` body (64 KiB chunks, the SDKs' size, fed in
//! 16 KiB network reads) beside the SHA-256 of the same bytes, which a signed body cannot avoid.
//! Goal: the signed modes within 1.2x of the bare SHA-256; the unsigned mode far below it.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tessera_sigv::chunked::{ChunkSigning, ChunkedDecoder, ChunkedMode, Decoded};

const LEN: usize = 8 << 20;
const CHUNK: usize = 64 * 1024;
const READ: usize = 16 * 1024;
const DATE: &str = "20150830T123600Z";
const SCOPE: &str = "20150830/us-east-1/s3/aws4_request";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn hmac_hex(key: &[u8; 32], text: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The body as an SDK frames it, chunk signatures chained from `[9; 32]` under key `[7; 32]`.
fn body(mode: ChunkedMode, data: &[u8]) -> Vec<u8> {
    let key = [7u8; 32];
    let mut previous = hex::encode([9u8; 32]);
    let mut out = Vec::with_capacity(data.len() + data.len() / CHUNK * 100 + 200);
    let pieces = data.chunks(CHUNK).chain(std::iter::once(&[][..]));
    for piece in pieces {
        out.extend_from_slice(format!("{:x}", piece.len()).as_bytes());
        if mode.is_signed() {
            let text = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{DATE}\n{SCOPE}\n{previous}\n{EMPTY_SHA256}\n{}",
                hex::encode(Sha256::digest(piece))
            );
            previous = hmac_hex(&key, &text);
            out.extend_from_slice(format!(";chunk-signature={previous}").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(piece);
        if !piece.is_empty() {
            out.extend_from_slice(b"\r\n");
        }
    }
    match mode {
        ChunkedMode::SignedPayload => out.extend_from_slice(b"\r\n"),
        ChunkedMode::SignedPayloadTrailer => {
            let canonical = "x-amz-checksum-crc32:AAAAAA==\n";
            let text = format!(
                "AWS4-HMAC-SHA256-TRAILER\n{DATE}\n{SCOPE}\n{previous}\n{}",
                hex::encode(Sha256::digest(canonical))
            );
            out.extend_from_slice(
                format!(
                    "x-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:{}\r\n\r\n",
                    hmac_hex(&key, &text)
                )
                .as_bytes(),
            );
        }
        ChunkedMode::UnsignedPayloadTrailer => {
            out.extend_from_slice(b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n")
        }
    }
    out
}

fn decode(mode: ChunkedMode, reads: &[Bytes]) -> usize {
    let signing = ChunkSigning::new([7; 32], DATE, SCOPE, [9; 32]);
    let mut decoder = ChunkedDecoder::new(mode, Some(signing), Some(LEN as u64)).unwrap();
    let mut total = 0;
    let mut pull = |d: &mut ChunkedDecoder| {
        while let Some(out) = d.next().unwrap() {
            if let Decoded::Data(bytes) = out {
                total += bytes.len();
            }
        }
    };
    for read in reads {
        decoder.feed(read.clone());
        pull(&mut decoder);
    }
    decoder.finish_input();
    pull(&mut decoder);
    total
}

fn bench(c: &mut Criterion) {
    let data: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
    let mut group = c.benchmark_group("aws_chunked_8MiB");
    group.throughput(Throughput::Bytes(LEN as u64));
    group.bench_function("baseline_sha256", |b| {
        b.iter(|| Sha256::digest(black_box(&data)))
    });
    for mode in ChunkedMode::ALL {
        let encoded = Bytes::from(body(mode, &data));
        let reads: Vec<Bytes> = (0..encoded.len())
            .step_by(READ)
            .map(|at| encoded.slice(at..(at + READ).min(encoded.len())))
            .collect();
        assert_eq!(decode(mode, &reads), LEN, "the bench body must decode");
        group.bench_function(mode.content_sha256(), |b| {
            b.iter(|| decode(mode, black_box(&reads)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
