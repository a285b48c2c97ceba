//! Arbitrary form bodies through the Query-protocol decoder and un-flattener: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = tessera_protocol::QueryParams::parse(data) {
        let _ = q.action();
        let _ = q.members("PolicyArns.member");
        let _ = q.structs("Tags.member");
        let _ = q.structs("SendMessageBatchRequestEntry");
    }
});
