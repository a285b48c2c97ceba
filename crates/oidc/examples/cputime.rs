use tessera_oidc::verify;
#[path = "../tests/common/mod.rs"]
mod common;
fn cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let f: Vec<&str> = s.rsplit_once(')').unwrap().1.split_whitespace().collect();
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}
fn main() {
    let jwks = common::jwks();
    let ex = common::expectations();
    let rs = common::sign_rs256(&common::rs_header(), &common::good_claims());
    let es = common::sign_es256(&common::es_header(), &common::good_claims());
    for (name, t) in [("RS256", &rs), ("ES256", &es)] {
        let n = 4000;
        let (c0, w0) = (cpu(), std::time::Instant::now());
        for _ in 0..n { assert!(verify(std::hint::black_box(t), jwks, &ex, common::NOW).is_ok()); }
        let (c, w) = (cpu() - c0, w0.elapsed().as_secs_f64());
        println!("{name}: cpu {:.1} us/op, wall {:.1} us/op", c / n as f64 * 1e6, w / n as f64 * 1e6);
    }
}
