//! S3 through aws-sdk-rust, whose defaults exercise the hard parts: aws-chunked bodies with a CRC
//! trailer, response checksum validation, path-style addressing; plus the seed's listings with
//! AssumeRole credentials and a crash test for objects (`kill -9` mid-upload: acknowledged objects
//! are intact, no partial object is ever visible).

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart};
use common::{error_code, Creds, TestServer, ACCOUNT_ID};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

#[tokio::test]
async fn seed_listings_with_assumed_role_credentials() {
    let server = TestServer::start();
    let s3 = server.s3_with(&server.root_creds());
    s3.create_bucket().bucket("seed").send().await.unwrap();
    for i in 0..12 {
        s3.put_object()
            .bucket("seed")
            .key(format!("k{i:02}"))
            .body(ByteStream::from(vec![b'x'; i]))
            .send()
            .await
            .unwrap();
    }
    let iam = server.iam();
    iam.create_role()
        .role_name("lister")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("lister")
        .policy_name("list")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:ListBucket"],"Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    // The root identity may not assume roles: a user does.
    iam.create_user().user_name("assumer").send().await.unwrap();
    iam.put_user_policy()
        .user_name("assumer")
        .policy_name("assume")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("assumer")
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    let assumer = Creds::new(key.access_key_id, key.secret_access_key);
    let c = server
        .sts_with(&assumer)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/lister"))
        .role_session_name("seed")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let role = Creds {
        session_token: Some(c.session_token().to_owned()),
        ..Creds::new(c.access_key_id(), c.secret_access_key())
    };
    let client = server.s3_with(&role);
    let buckets = client.list_buckets().send().await.unwrap();
    assert_eq!(buckets.buckets()[0].name(), Some("seed"));
    let mut keys = Vec::new();
    let mut pages = client
        .list_objects_v2()
        .bucket("seed")
        .max_keys(5)
        .into_paginator()
        .send();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        page_count += 1;
        keys.extend(page.contents().iter().map(|o| o.key().unwrap().to_owned()));
    }
    assert_eq!(page_count, 3);
    assert_eq!(
        keys,
        (0..12).map(|i| format!("k{i:02}")).collect::<Vec<_>>()
    );
    let err = client
        .get_object()
        .bucket("seed")
        .key("k01")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "AccessDenied");
}

#[tokio::test]
async fn checksums_round_trip_and_are_validated() {
    let server = TestServer::start();
    let s3 = server.s3_with(&server.root_creds());
    s3.create_bucket().bucket("sums").send().await.unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    for alg in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
        ChecksumAlgorithm::Crc64Nvme,
    ] {
        let key = format!("obj-{}", alg.as_str());
        s3.put_object()
            .bucket("sums")
            .key(&key)
            .checksum_algorithm(alg.clone())
            .body(ByteStream::from(data.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{alg:?}: {e:?}"));
        // The SDK validates the returned checksum against the body it reads.
        let got = s3
            .get_object()
            .bucket("sums")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        let body = got.body.collect().await.unwrap().into_bytes();
        assert_eq!(body.as_ref(), data.as_slice(), "{alg:?}");
    }
}

#[tokio::test]
async fn multipart_upload_with_the_sdk() {
    let server = TestServer::start();
    let s3 = server.s3_with(&server.root_creds());
    s3.create_bucket().bucket("mpu").send().await.unwrap();
    let upload = s3
        .create_multipart_upload()
        .bucket("mpu")
        .key("big")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let part = vec![7u8; 5 * 1024 * 1024];
    let mut parts = Vec::new();
    for (n, body) in [(1, part.clone()), (2, b"tail".to_vec())] {
        let out = s3
            .upload_part()
            .bucket("mpu")
            .key("big")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .build(),
        );
    }
    let done = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(done.e_tag().unwrap().ends_with("-2\""));
    let got = s3
        .get_object()
        .bucket("mpu")
        .key("big")
        .range("bytes=5242878-5242883")
        .send()
        .await
        .unwrap();
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.as_ref(), &[7, 7, b't', b'a', b'i', b'l']);
    let err = s3
        .get_object()
        .bucket("mpu")
        .key("missing")
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_no_such_key());
}

/// Uploads run while the server is killed; afterwards every acknowledged object reads back whole
/// and every visible object is one that was fully written.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_keeps_acknowledged_objects_whole() {
    let mut server = TestServer::start();
    let root = server.root_creds();
    server
        .s3_with(&root)
        .create_bucket()
        .bucket("crash")
        .send()
        .await
        .unwrap();
    // Every third object is small enough to be stored with its metadata; the rest are files.
    let body_of = |i: u32| -> Vec<u8> {
        let len = if i.is_multiple_of(3) {
            1 + (i as usize * 7919) % 60_000
        } else {
            100_000 + (i as usize * 7919) % 400_000
        };
        (0..len).map(|j| ((j as u32 ^ i) % 256) as u8).collect()
    };
    let mut acked = Vec::new();
    let mut acked_multipart = Vec::new();
    let mut next = 0u32;
    for round in 0..3 {
        let s3 = server.s3_with(&root);
        let multipart = tokio::spawn(upload_multipart_until_failure(s3.clone(), round));
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let s3 = s3.clone();
            let start = next;
            next += 1000;
            tasks.push(tokio::spawn(async move {
                let mut done = Vec::new();
                for i in start..start + 1000 {
                    let ok = s3
                        .put_object()
                        .bucket("crash")
                        .key(format!("obj-{i}"))
                        .body(ByteStream::from(body_of(i)))
                        .send()
                        .await
                        .is_ok();
                    if !ok {
                        break;
                    }
                    done.push(i);
                }
                done
            }));
        }
        // Later rounds run longer, so multipart uploads get to complete before a kill too.
        tokio::time::sleep(std::time::Duration::from_millis(
            700 + 800 * u64::from(round),
        ))
        .await;
        server.kill9();
        for t in tasks {
            acked.extend(t.await.unwrap());
        }
        acked_multipart.extend(multipart.await.unwrap());
        server.restart();
    }
    assert!(!acked.is_empty());
    let s3 = server.s3_with(&root);
    for i in &acked {
        let got = s3
            .get_object()
            .bucket("crash")
            .key(format!("obj-{i}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("acknowledged obj-{i} is missing: {e:?}"));
        let body = got.body.collect().await.unwrap().into_bytes();
        assert!(
            body.as_ref() == body_of(*i).as_slice(),
            "obj-{i} is not intact"
        );
    }
    let listed = s3
        .list_objects_v2()
        .bucket("crash")
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    for page in listed {
        for object in page.unwrap().contents() {
            let key = object.key().unwrap();
            let expected = match key.strip_prefix("obj-") {
                Some(i) => body_of(i.parse().unwrap()).len(),
                None => multipart_body(key).len(),
            };
            assert_eq!(
                object.size(),
                Some(expected as i64),
                "a partial object is visible: {key}"
            );
        }
    }
    for key in &acked_multipart {
        let got = s3.get_object().bucket("crash").key(key).send().await;
        let body = got
            .unwrap_or_else(|e| panic!("acknowledged {key} is missing: {e:?}"))
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        assert!(body.as_ref() == multipart_body(key), "{key} is not intact");
    }
}

/// The bytes of multipart object `key`: a 5 MiB part and a small last one.
fn multipart_body(key: &str) -> Vec<u8> {
    let seed = key
        .bytes()
        .fold(7u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
    (0..5 * 1024 * 1024 + 12_345)
        .map(|j: usize| seed ^ (j % 251) as u8)
        .collect()
}

/// Completes multipart uploads (`mp-ROUND-N`) one after another until a request fails (the
/// server was killed); returns the keys whose CompleteMultipartUpload was acknowledged.
async fn upload_multipart_until_failure(s3: aws_sdk_s3::Client, round: u32) -> Vec<String> {
    let mut done = Vec::new();
    for n in 0.. {
        let key = format!("mp-{round}-{n}");
        let body = multipart_body(&key);
        let (first, last) = body.split_at(5 * 1024 * 1024);
        let Ok(created) = s3
            .create_multipart_upload()
            .bucket("crash")
            .key(&key)
            .send()
            .await
        else {
            break;
        };
        let upload_id = created.upload_id().unwrap().to_owned();
        let mut parts = Vec::new();
        for (number, bytes) in [(1, first), (2, last)] {
            let Ok(part) = s3
                .upload_part()
                .bucket("crash")
                .key(&key)
                .upload_id(&upload_id)
                .part_number(number)
                .body(ByteStream::from(bytes.to_vec()))
                .send()
                .await
            else {
                return done;
            };
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .e_tag(part.e_tag().unwrap())
                    .build(),
            );
        }
        let completed = s3
            .complete_multipart_upload()
            .bucket("crash")
            .key(&key)
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await;
        if completed.is_err() {
            break;
        }
        done.push(key);
    }
    done
}
