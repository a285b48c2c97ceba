//! Arbitrary documents through the policy parser in its three kinds: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = std::str::from_utf8(data) else {
        return;
    };
    let _ = tessera_policy::parse(doc);
    let _ = tessera_policy::parse_resource_policy(doc);
    let _ = tessera_policy::parse_trust_policy(doc);
    let _ = tessera_policy::policy_size(doc);
});
