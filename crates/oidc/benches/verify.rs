//! Cost of verifying one ID token (signature and claims), RS256 with a 2048-bit key and ES256,
//! and of parsing the fixture JWKS.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use tessera_oidc::{verify, Jwks};

#[path = "../tests/common/mod.rs"]
mod common;

fn bench_verify(c: &mut Criterion) {
    let jwks = common::jwks();
    let expected = common::expectations();
    let rs = common::sign_rs256(&common::rs_header(), &common::good_claims());
    let es = common::sign_es256(&common::es_header(), &common::good_claims());
    assert!(verify(&rs, jwks, &expected, common::NOW).is_ok());
    assert!(verify(&es, jwks, &expected, common::NOW).is_ok());

    c.bench_function("verify RS256 (2048-bit)", |b| {
        b.iter(|| verify(black_box(&rs), jwks, &expected, common::NOW))
    });
    c.bench_function("verify ES256 (P-256)", |b| {
        b.iter(|| verify(black_box(&es), jwks, &expected, common::NOW))
    });
    c.bench_function("parse JWKS (1 RSA + 1 EC key)", |b| {
        b.iter(|| Jwks::from_json(black_box(common::JWKS_JSON.as_bytes())))
    });
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
