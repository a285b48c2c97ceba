//! Throughput of each checksum over a 1 MiB body fed in 64 KiB pieces (the chunk size SDKs use
//! for aws-chunked uploads), and of the multipart combinations over 10,000 parts.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tessera_checksum::{composite, full_object, multipart_etag, Algorithm, Hasher, Md5Hasher};

const BODY: usize = 1 << 20;
const PIECE: usize = 64 * 1024;

fn body() -> Vec<u8> {
    (0..BODY).map(|i| (i % 251) as u8).collect()
}

fn streaming(c: &mut Criterion) {
    let data = body();
    let mut group = c.benchmark_group("checksum_1MiB");
    group.throughput(Throughput::Bytes(BODY as u64));
    for alg in Algorithm::ALL {
        group.bench_with_input(BenchmarkId::from_parameter(alg.name()), &data, |b, data| {
            b.iter(|| {
                let mut h = Hasher::new(alg);
                for piece in data.chunks(PIECE) {
                    h.update(black_box(piece));
                }
                h.finish()
            })
        });
    }
    group.bench_with_input(BenchmarkId::from_parameter("MD5"), &data, |b, data| {
        b.iter(|| {
            let mut h = Md5Hasher::new();
            for piece in data.chunks(PIECE) {
                h.update(black_box(piece));
            }
            h.finish()
        })
    });
    group.finish();
}

fn multipart(c: &mut Criterion) {
    const PARTS: usize = 10_000;
    let mut group = c.benchmark_group("multipart_10000_parts");
    for alg in [Algorithm::Crc32c, Algorithm::Sha256] {
        let sums: Vec<_> = (0..PARTS)
            .map(|i| {
                let mut h = Hasher::new(alg);
                h.update(&i.to_be_bytes());
                h.finish()
            })
            .collect();
        group.bench_function(format!("composite_{}", alg.name()), |b| {
            b.iter(|| composite(alg, black_box(&sums)))
        });
    }
    let crcs: Vec<_> = (0..PARTS)
        .map(|i| {
            let mut h = Hasher::new(Algorithm::Crc64Nvme);
            h.update(&i.to_be_bytes());
            (h.finish(), 8 * 1024 * 1024)
        })
        .collect();
    group.bench_function("full_object_CRC64NVME", |b| {
        b.iter(|| full_object(Algorithm::Crc64Nvme, black_box(&crcs)))
    });
    let md5s: Vec<[u8; 16]> = (0..PARTS)
        .map(|i| {
            let mut h = Md5Hasher::new();
            h.update(&i.to_be_bytes());
            h.finish()
        })
        .collect();
    group.bench_function("multipart_etag", |b| {
        b.iter(|| multipart_etag(black_box(&md5s)))
    });
    group.finish();
}

criterion_group!(benches, streaming, multipart);
criterion_main!(benches);
