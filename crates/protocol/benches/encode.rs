//! Encoding common responses with the crate's own writers, each beside the floor it cannot beat:
//! allocating a buffer and copying the same number of output bytes into it
//! (`Vec::extend_from_slice` of a prebuilt buffer of the final size). The ratio encode / copy
//! shows how far each encoder is from that physical limit.
//!
//! Inputs are prebuilt strings (timestamps, sizes, ETags already formatted), so only the writer's
//! work is measured. The JSON case mirrors how `tessera-sqs` renders awsJson1_0: a
//! `serde_json::Value` tree serialized with `to_string`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Map, Value};
use tessera_protocol::{AwsError, XmlWriter};

const STS_XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const SQS_XMLNS: &str = "http://queue.amazonaws.com/doc/2012-11-05/";
const S3_XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const REQUEST_ID: &str = "c6104cbe-af31-11e0-8154-cbc7ccf896c7";

/// An AssumeRole answer: credentials with a ~450-character session token (base64, nothing to
/// escape), the assumed-role user and the packed policy size.
struct AssumeRole {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
    arn: String,
    assumed_role_id: String,
}

fn assume_role_input() -> AssumeRole {
    let session_token: String = "FwoGZXIvYXdzEBYaDHhBTEXAMPLEtOKEn+/9r"
        .repeat(13)
        .chars()
        .take(452)
        .collect();
    AssumeRole {
        access_key_id: "ASIAJEXAMPLEXEG2JICE".into(),
        secret_access_key: "9drTJvcXLB89EXAMPLELB8923FB892xMFI/jdvb+".into(),
        session_token,
        expiration: "2026-11-23T21:07:57Z".into(),
        arn: "arn:aws:sts::123456789012:assumed-role/Deployer/ci-pipeline-4821".into(),
        assumed_role_id: "AROA3XFRBF535PLBIFPI4:ci-pipeline-4821".into(),
    }
}

fn assume_role_xml(r: &AssumeRole) -> String {
    let mut w = XmlWriter::with_declaration();
    w.open_ns("AssumeRoleResponse", STS_XMLNS);
    w.open("AssumeRoleResult");
    w.open("Credentials");
    w.leaf("AccessKeyId", &r.access_key_id);
    w.leaf("SecretAccessKey", &r.secret_access_key);
    w.leaf("SessionToken", &r.session_token);
    w.leaf("Expiration", &r.expiration);
    w.close("Credentials");
    w.open("AssumedRoleUser");
    w.leaf("Arn", &r.arn);
    w.leaf("AssumedRoleId", &r.assumed_role_id);
    w.close("AssumedRoleUser");
    w.leaf("PackedPolicySize", "6");
    w.close("AssumeRoleResult");
    w.open("ResponseMetadata");
    w.leaf("RequestId", REQUEST_ID);
    w.close("ResponseMetadata");
    w.close("AssumeRoleResponse");
    w.finish()
}

fn get_caller_identity_xml() -> String {
    let mut w = XmlWriter::with_declaration();
    w.open_ns("GetCallerIdentityResponse", STS_XMLNS);
    w.open("GetCallerIdentityResult");
    w.leaf(
        "Arn",
        "arn:aws:sts::123456789012:assumed-role/Deployer/ci-pipeline-4821",
    );
    w.leaf("UserId", "AROA3XFRBF535PLBIFPI4:ci-pipeline-4821");
    w.leaf("Account", "123456789012");
    w.close("GetCallerIdentityResult");
    w.open("ResponseMetadata");
    w.leaf("RequestId", REQUEST_ID);
    w.close("ResponseMetadata");
    w.close("GetCallerIdentityResponse");
    w.finish()
}

/// One received SQS message with a 1 KiB body and the four system attributes SDKs ask for.
struct Message {
    message_id: String,
    receipt_handle: String,
    md5_body: String,
    body: String,
    attributes: Vec<(&'static str, String)>,
}

fn messages() -> Vec<Message> {
    (0..10)
        .map(|i| Message {
            message_id: format!("5fea7756-0ea4-451a-a703-a558b933e27{i}"),
            receipt_handle: format!("MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljTM8tJJg6HRG6PYSasuWXPJB+CwLj1FjgXUv1uSj1gUPAWV66FU/WeR4mq2OKpEGYWbnLmpRCJVAyeMjeU5ZBdtcQ+QEauMZc8ZRv37sIW2iJKq3M9MFx1YvV11A2x/KSbkJ0={i}"),
            md5_body: "fafb00f5732ab283681e124bf8747ed1".into(),
            // JSON-ish payload: quotes need escaping in both XML and JSON, as real bodies do.
            body: format!("{{\"order\":{i},\"note\":\"{}\"}}", "x".repeat(1001)),
            attributes: vec![
                ("SenderId", "AIDASSYFHUBOBT7F4XT75".into()),
                ("ApproximateFirstReceiveTimestamp", "1700000000123".into()),
                ("ApproximateReceiveCount", "1".into()),
                ("SentTimestamp", "1700000000000".into()),
            ],
        })
        .collect()
}

fn receive_xml(msgs: &[Message]) -> String {
    let mut w = XmlWriter::with_declaration();
    w.open_ns("ReceiveMessageResponse", SQS_XMLNS);
    w.open("ReceiveMessageResult");
    for m in msgs {
        w.open("Message");
        w.leaf("MessageId", &m.message_id);
        w.leaf("ReceiptHandle", &m.receipt_handle);
        w.leaf("MD5OfBody", &m.md5_body);
        w.leaf("Body", &m.body);
        for (k, v) in &m.attributes {
            w.open("Attribute");
            w.leaf("Name", k);
            w.leaf("Value", v);
            w.close("Attribute");
        }
        w.close("Message");
    }
    w.close("ReceiveMessageResult");
    w.open("ResponseMetadata");
    w.leaf("RequestId", REQUEST_ID);
    w.close("ResponseMetadata");
    w.close("ReceiveMessageResponse");
    w.finish()
}

fn receive_json(msgs: &[Message]) -> String {
    let list: Vec<Value> = msgs
        .iter()
        .map(|m| {
            let mut o = Map::new();
            o.insert("MessageId".into(), json!(m.message_id));
            o.insert("ReceiptHandle".into(), json!(m.receipt_handle));
            o.insert("MD5OfBody".into(), json!(m.md5_body));
            o.insert("Body".into(), json!(m.body));
            let attrs: Map<String, Value> = m
                .attributes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), json!(v)))
                .collect();
            o.insert("Attributes".into(), Value::Object(attrs));
            Value::Object(o)
        })
        .collect();
    json!({ "Messages": list }).to_string()
}

/// One ListObjectsV2 entry; the ETag carries its quotes, which XML escapes as `&quot;`.
struct Object {
    key: String,
    last_modified: String,
    etag: String,
    size: String,
}

fn objects() -> Vec<Object> {
    (0..1000)
        .map(|i| Object {
            key: format!("logs/2026/11/23/app-server-{:04}.json.gz", i),
            last_modified: "2026-11-23T20:07:57.123Z".into(),
            etag: format!("\"9b2cf535f27731c974343645a398{i:04}\""),
            size: (1024 * (i + 1)).to_string(),
        })
        .collect()
}

fn list_objects_v2_xml(objs: &[Object]) -> String {
    let mut w = XmlWriter::with_declaration();
    w.open_ns("ListBucketResult", S3_XMLNS);
    w.leaf("Name", "bench-bucket");
    w.leaf("Prefix", "logs/");
    w.leaf("KeyCount", "1000");
    w.leaf("MaxKeys", "1000");
    w.leaf("IsTruncated", "false");
    for o in objs {
        w.open("Contents");
        w.leaf("Key", &o.key);
        w.leaf("LastModified", &o.last_modified);
        w.leaf("ETag", &o.etag);
        w.leaf("Size", &o.size);
        w.leaf("StorageClass", "STANDARD");
        w.close("Contents");
    }
    w.close("ListBucketResult");
    w.finish()
}

/// Benchmarks `encode` in a group beside the copy of as many bytes as it produces.
fn pair(c: &mut Criterion, group: &str, encode: impl Fn() -> String) {
    let size = encode().len();
    eprintln!("{group}: {size} bytes");
    let prebuilt = vec![b'x'; size];
    let mut g = c.benchmark_group(group);
    g.bench_function("encode", |b| b.iter(|| black_box(encode())));
    g.bench_function("baseline_copy", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            out.extend_from_slice(black_box(&prebuilt));
            black_box(out)
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let sts = assume_role_input();
    pair(c, "sts_assume_role_xml", || {
        assume_role_xml(black_box(&sts))
    });
    pair(c, "sts_get_caller_identity_xml", get_caller_identity_xml);

    let msgs = messages();
    let json: Value = serde_json::from_str(&receive_json(&msgs)).expect("valid JSON");
    assert_eq!(
        json["Messages"][9]["Body"].as_str(),
        Some(msgs[9].body.as_str())
    );
    pair(c, "sqs_receive_10x1k_xml", || receive_xml(black_box(&msgs)));
    pair(c, "sqs_receive_10x1k_json", || {
        receive_json(black_box(&msgs))
    });

    let objs = objects();
    pair(c, "s3_list_objects_v2_1000_xml", || {
        list_objects_v2_xml(black_box(&objs))
    });

    let err = AwsError::new(
        "NoSuchEntity",
        404,
        "The role with name Deployer cannot be found.",
    );
    pair(c, "error_query_xml", || {
        black_box(&err).to_query_xml("https://iam.amazonaws.com/doc/2010-05-08/", REQUEST_ID)
    });
    pair(c, "error_json", || {
        black_box(&err).to_json("com.amazonaws.sqs#")
    });
    pair(c, "error_s3_xml", || {
        black_box(&err).to_s3_xml("/bench-bucket/logs/missing.json", REQUEST_ID)
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
