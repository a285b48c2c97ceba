//! Arbitrary awsQuery requests through the SQS decoder (`Sqs::parse` with `Wire::Query`).
//! Input: the first line is the HTTP path (a queue may be named there), the rest the form body.
//! Fails on a panic, a refusal that is not a 4xx AWS error with an XML envelope, a decoded
//! request in another protocol or action than `Action=` names, or a queue that does not survive
//! its URL and ARN forms.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_protocol::QueryParams;
use tessera_sqs::{Protocol, Wire};

#[path = "sqs_common.rs"]
mod sqs_common;

fuzz_target!(|data: &[u8]| {
    let (path, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"/"[..], data),
    };
    let Ok(path) = std::str::from_utf8(path) else {
        return;
    };
    let Ok(params) = QueryParams::parse(body) else {
        return;
    };
    let sqs = sqs_common::sqs();
    let result = sqs.parse(Wire::Query(&params), path, &sqs_common::account());
    sqs_common::check(&result, Protocol::Query);
    if let Ok(req) = &result {
        assert_eq!(
            Some(req.action().name()),
            params.action(),
            "decoded as another action"
        );
    }
});
