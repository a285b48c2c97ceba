//! Arbitrary awsJson1_0 requests through the SQS decoder (`Sqs::parse` with `Wire::Json`).
//! Input: the first line picks the action (`X-Amz-Target` without `AmazonSQS.`), the rest is the
//! body. Fails on a panic, a refusal that is not a 4xx AWS error with a JSON envelope, a decoded
//! request in another protocol or action, or a queue that does not survive its URL and ARN forms.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_sqs::{Protocol, Wire};

#[path = "sqs_common.rs"]
mod sqs_common;

fuzz_target!(|data: &[u8]| {
    let (action, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(action) = std::str::from_utf8(action) else {
        return;
    };
    let sqs = sqs_common::sqs();
    let result = sqs.parse(Wire::Json { action, body }, "/", &sqs_common::account());
    sqs_common::check(&result, Protocol::Json);
    if let Ok(req) = &result {
        assert_eq!(req.action().name(), action, "decoded as another action");
    }
});
