//! CopyObject, multipart uploads and UploadPartCopy.

mod common;
use bytes::Bytes;
use common::*;

both_layouts!(
    copy_object_directives_and_conditions,
    multipart_upload_complete_and_read_parts,
    small_parts_abort_and_errors,
    multipart_checksums_composite_and_full_object,
    upload_part_copy_with_ranges
);
use tessera_checksum::{Algorithm, Hasher};

const NONE: &[(&str, &str)] = &[];

fn big(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

async fn copy_object_directives_and_conditions(h: H) {
    h.bucket("src").await;
    h.bucket("dst").await;
    let etag = h
        .ok(
            "PUT",
            "/src/a",
            &[
                ("content-type", "text/plain"),
                ("x-amz-meta-k", "v"),
                ("x-amz-tagging", "t=1"),
            ],
            "hello",
        )
        .await
        .header("ETag")
        .unwrap()
        .to_owned();
    let r = h
        .ok(
            "PUT",
            "/dst/b",
            &[("x-amz-copy-source", "/src/a")],
            Bytes::new(),
        )
        .await;
    assert_eq!(tag(&r.text(), "ETag").as_deref(), Some(etag.as_str()));
    let r = h.ok("GET", "/dst/b", NONE, Bytes::new()).await;
    assert_eq!(
        (
            r.text().as_str(),
            r.header("x-amz-meta-k"),
            r.header("content-type")
        ),
        ("hello", Some("v"), Some("text/plain"))
    );
    assert_eq!(r.header("x-amz-tagging-count"), Some("1"));
    // REPLACE takes the request's metadata; copying onto itself needs it.
    assert_eq!(
        h.err(
            "PUT",
            "/src/a",
            &[("x-amz-copy-source", "src/a")],
            Bytes::new()
        )
        .await
        .0,
        "InvalidRequest"
    );
    h.ok(
        "PUT",
        "/src/a",
        &[
            ("x-amz-copy-source", "src/a"),
            ("x-amz-metadata-directive", "REPLACE"),
            ("x-amz-meta-new", "1"),
        ],
        Bytes::new(),
    )
    .await;
    let r = h.ok("HEAD", "/src/a", NONE, Bytes::new()).await;
    assert_eq!(
        (
            r.header("x-amz-meta-k"),
            r.header("x-amz-meta-new"),
            r.header("content-type")
        ),
        (None, Some("1"), Some("binary/octet-stream"))
    );
    assert_eq!(
        h.err(
            "PUT",
            "/dst/c",
            &[
                ("x-amz-copy-source", "/src/a"),
                ("x-amz-copy-source-if-match", "\"nope\"")
            ],
            Bytes::new()
        )
        .await,
        ("PreconditionFailed".into(), 412)
    );
    assert_eq!(
        h.err(
            "PUT",
            "/dst/c",
            &[
                ("x-amz-copy-source", "/src/a"),
                ("x-amz-copy-source-if-none-match", etag.as_str())
            ],
            Bytes::new()
        )
        .await
        .0,
        "PreconditionFailed"
    );
    h.ok(
        "PUT",
        "/dst/c",
        &[
            ("x-amz-copy-source", "/src/a"),
            ("x-amz-copy-source-if-match", etag.as_str()),
        ],
        Bytes::new(),
    )
    .await;
    assert_eq!(
        h.err(
            "PUT",
            "/dst/c",
            &[("x-amz-copy-source", "/src/missing")],
            Bytes::new()
        )
        .await
        .0,
        "NoSuchKey"
    );
    assert_eq!(
        h.err(
            "PUT",
            "/dst/c",
            &[("x-amz-copy-source", "/nobucket/a")],
            Bytes::new()
        )
        .await
        .0,
        "NoSuchBucket"
    );
    assert_eq!(
        h.err(
            "PUT",
            "/dst/c",
            &[("x-amz-copy-source", "nokey")],
            Bytes::new()
        )
        .await
        .0,
        "InvalidArgument"
    );
    assert_eq!(
        h.err(
            "PUT",
            "/dst/c",
            &[
                ("x-amz-copy-source", "/src/a"),
                ("x-amz-metadata-directive", "MOVE")
            ],
            Bytes::new()
        )
        .await
        .0,
        "InvalidArgument"
    );
    h.assert_blob_files(3);
}

async fn create_upload(h: &H, key: &str, headers: &[(&str, &str)]) -> String {
    let r = h
        .ok(
            "POST",
            &format!("/mpu/{key}?uploads"),
            headers,
            Bytes::new(),
        )
        .await;
    tag(&r.text(), "UploadId").unwrap()
}

fn complete_doc(parts: &[(u32, &str)]) -> String {
    let body: String = parts
        .iter()
        .map(|(n, e)| format!("<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"))
        .collect();
    format!("<CompleteMultipartUpload>{body}</CompleteMultipartUpload>")
}

async fn multipart_upload_complete_and_read_parts(h: H) {
    h.bucket("mpu").await;
    let id = create_upload(
        &h,
        "big",
        &[("content-type", "video/mp4"), ("x-amz-meta-m", "1")],
    )
    .await;
    let p1 = big(5 * MIB, 1);
    let p2 = big(1000, 2);
    let e1 = h
        .ok(
            "PUT",
            &format!("/mpu/big?partNumber=1&uploadId={id}"),
            NONE,
            p1.clone(),
        )
        .await
        .header("ETag")
        .unwrap()
        .to_owned();
    // Re-uploading a part replaces it (and its blob).
    h.ok(
        "PUT",
        &format!("/mpu/big?partNumber=2&uploadId={id}"),
        NONE,
        "replaced",
    )
    .await;
    let e2 = h
        .ok(
            "PUT",
            &format!("/mpu/big?partNumber=2&uploadId={id}"),
            NONE,
            p2.clone(),
        )
        .await
        .header("ETag")
        .unwrap()
        .to_owned();
    let r = h
        .ok(
            "GET",
            &format!("/mpu/big?uploadId={id}"),
            NONE,
            Bytes::new(),
        )
        .await;
    assert_eq!(all_tags(&r.text(), "PartNumber"), ["1", "2"]);
    assert_eq!(
        all_tags(&r.text(), "Size"),
        [(5 * MIB).to_string(), "1000".to_owned()]
    );
    let r = h
        .ok(
            "GET",
            &format!("/mpu/big?uploadId={id}&max-parts=1"),
            NONE,
            Bytes::new(),
        )
        .await;
    assert_eq!(
        (
            tag(&r.text(), "IsTruncated").as_deref(),
            tag(&r.text(), "NextPartNumberMarker").as_deref()
        ),
        (Some("true"), Some("1"))
    );
    let r = h.ok("GET", "/mpu?uploads", NONE, Bytes::new()).await;
    assert_eq!(all_tags(&r.text(), "UploadId"), vec![id.clone()]);
    // Not yet visible.
    assert_eq!(
        h.err("GET", "/mpu/big", NONE, Bytes::new()).await.0,
        "NoSuchKey"
    );

    assert_eq!(
        h.err(
            "POST",
            &format!("/mpu/big?uploadId={id}"),
            NONE,
            complete_doc(&[(2, &e2), (1, &e1)])
        )
        .await
        .0,
        "InvalidPartOrder"
    );
    assert_eq!(
        h.err(
            "POST",
            &format!("/mpu/big?uploadId={id}"),
            NONE,
            complete_doc(&[(1, &e1), (3, &e2)])
        )
        .await
        .0,
        "InvalidPart"
    );
    assert_eq!(
        h.err(
            "POST",
            &format!("/mpu/big?uploadId={id}"),
            NONE,
            complete_doc(&[(1, "\"0000\""), (2, &e2)])
        )
        .await
        .0,
        "InvalidPart"
    );
    assert_eq!(
        h.err(
            "POST",
            &format!("/mpu/big?uploadId={id}"),
            NONE,
            complete_doc(&[(2, &e2), (2, &e2)])
        )
        .await
        .0,
        "InvalidPartOrder"
    );
    let r = h
        .ok(
            "POST",
            &format!("/mpu/big?uploadId={id}"),
            NONE,
            complete_doc(&[(1, &e1), (2, &e2)]),
        )
        .await;
    let etag = tag(&r.text(), "ETag").unwrap();
    let expected = {
        let md5 = |d: &[u8]| {
            let mut m = tessera_checksum::Md5Hasher::new();
            m.update(d);
            m.finish()
        };
        tessera_checksum::multipart_etag(&[md5(&p1), md5(&p2)])
    };
    assert_eq!(etag, expected);
    assert!(etag.ends_with("-2\""));
    let r = h.ok("GET", "/mpu/big", NONE, Bytes::new()).await;
    assert_eq!(r.body.len(), p1.len() + p2.len());
    assert!(r.body[..p1.len()] == p1[..] && r.body[p1.len()..] == p2[..]);
    assert_eq!(
        (r.header("content-type"), r.header("x-amz-meta-m")),
        (Some("video/mp4"), Some("1"))
    );
    let r = h
        .ok("GET", "/mpu/big?partNumber=2", NONE, Bytes::new())
        .await;
    assert_eq!(
        (r.status, r.body.clone(), r.header("x-amz-mp-parts-count")),
        (206, p2.clone(), Some("2"))
    );
    let r = h
        .ok(
            "GET",
            "/mpu/big?attributes",
            &[("x-amz-object-attributes", "ObjectParts,ObjectSize")],
            Bytes::new(),
        )
        .await;
    assert_eq!(tag(&r.text(), "TotalPartsCount").as_deref(), Some("2"));
    // The upload is gone; only the object's blob remains.
    assert_eq!(
        h.err(
            "GET",
            &format!("/mpu/big?uploadId={id}"),
            NONE,
            Bytes::new()
        )
        .await
        .0,
        "NoSuchUpload"
    );
    assert_eq!(
        h.err(
            "POST",
            &format!("/mpu/big?uploadId={id}"),
            NONE,
            complete_doc(&[(1, &e1), (2, &e2)])
        )
        .await
        .0,
        "NoSuchUpload"
    );
    h.assert_blob_files(1);
}

async fn small_parts_abort_and_errors(h: H) {
    h.bucket("mpu").await;
    let id = create_upload(&h, "k", NONE).await;
    let e1 = h
        .ok(
            "PUT",
            &format!("/mpu/k?partNumber=1&uploadId={id}"),
            NONE,
            "small",
        )
        .await
        .header("ETag")
        .unwrap()
        .to_owned();
    let e2 = h
        .ok(
            "PUT",
            &format!("/mpu/k?partNumber=2&uploadId={id}"),
            NONE,
            "tail",
        )
        .await
        .header("ETag")
        .unwrap()
        .to_owned();
    assert_eq!(
        h.err(
            "POST",
            &format!("/mpu/k?uploadId={id}"),
            NONE,
            complete_doc(&[(1, &e1), (2, &e2)])
        )
        .await,
        ("EntityTooSmall".into(), 400)
    );
    // A single small part is fine (it is the last).
    let id2 = create_upload(&h, "one", NONE).await;
    let e = h
        .ok(
            "PUT",
            &format!("/mpu/one?partNumber=1&uploadId={id2}"),
            NONE,
            "tiny",
        )
        .await
        .header("ETag")
        .unwrap()
        .to_owned();
    h.ok(
        "POST",
        &format!("/mpu/one?uploadId={id2}"),
        NONE,
        complete_doc(&[(1, &e)]),
    )
    .await;
    assert_eq!(
        h.ok("GET", "/mpu/one", NONE, Bytes::new()).await.body,
        b"tiny"
    );

    assert_eq!(
        h.err(
            "PUT",
            &format!("/mpu/k?partNumber=0&uploadId={id}"),
            NONE,
            "x"
        )
        .await
        .0,
        "InvalidArgument"
    );
    assert_eq!(
        h.err(
            "PUT",
            &format!("/mpu/k?partNumber=10001&uploadId={id}"),
            NONE,
            "x"
        )
        .await
        .0,
        "InvalidArgument"
    );
    assert_eq!(
        h.err("PUT", "/mpu/k?partNumber=1&uploadId=nope", NONE, "x")
            .await,
        ("NoSuchUpload".into(), 404)
    );
    assert_eq!(
        h.err(
            "PUT",
            &format!("/mpu/other?partNumber=1&uploadId={id}"),
            NONE,
            "x"
        )
        .await
        .0,
        "NoSuchUpload"
    );
    assert_eq!(
        h.err(
            "POST",
            &format!("/mpu/k?uploadId={id}"),
            NONE,
            "<CompleteMultipartUpload/>"
        )
        .await
        .0,
        "MalformedXML"
    );
    assert_eq!(
        h.ok(
            "DELETE",
            &format!("/mpu/k?uploadId={id}"),
            NONE,
            Bytes::new()
        )
        .await
        .status,
        204
    );
    assert_eq!(
        h.err(
            "DELETE",
            &format!("/mpu/k?uploadId={id}"),
            NONE,
            Bytes::new()
        )
        .await
        .0,
        "NoSuchUpload"
    );
    h.assert_blob_files(1);
    // Deleting a bucket takes in-progress uploads with it.
    let id3 = create_upload(&h, "z", NONE).await;
    h.ok(
        "PUT",
        &format!("/mpu/z?partNumber=1&uploadId={id3}"),
        NONE,
        "zz",
    )
    .await;
    h.ok("DELETE", "/mpu/one", NONE, Bytes::new()).await;
    h.ok("DELETE", "/mpu", NONE, Bytes::new()).await;
    h.assert_blob_files(0);
}

async fn multipart_checksums_composite_and_full_object(h: H) {
    h.bucket("mpu").await;
    let crc = |d: &[u8]| {
        let mut x = Hasher::new(Algorithm::Crc32);
        x.update(d);
        x.finish()
    };
    let p1 = big(5 * MIB, 7);
    let p2 = b"last part".to_vec();
    for kind in ["COMPOSITE", "FULL_OBJECT"] {
        let key = format!("sum-{kind}");
        let r = h
            .ok(
                "POST",
                &format!("/mpu/{key}?uploads"),
                &[
                    ("x-amz-checksum-algorithm", "CRC32"),
                    ("x-amz-checksum-type", kind),
                ],
                Bytes::new(),
            )
            .await;
        assert_eq!(r.header("x-amz-checksum-type"), Some(kind));
        let id = tag(&r.text(), "UploadId").unwrap();
        let c1 = crc(&p1).to_base64();
        let r1 = h
            .ok(
                "PUT",
                &format!("/mpu/{key}?partNumber=1&uploadId={id}"),
                &[("x-amz-checksum-crc32", c1.as_str())],
                p1.clone(),
            )
            .await;
        // Without a checksum header the part's checksum is computed with the upload's algorithm.
        let r2 = h
            .ok(
                "PUT",
                &format!("/mpu/{key}?partNumber=2&uploadId={id}"),
                NONE,
                p2.clone(),
            )
            .await;
        assert_eq!(
            r2.header("x-amz-checksum-crc32"),
            Some(crc(&p2).to_base64().as_str())
        );
        assert_eq!(
            h.err(
                "PUT",
                &format!("/mpu/{key}?partNumber=3&uploadId={id}"),
                &[("x-amz-checksum-sha1", "2jmj7l5rSw0yVb/vlWAYkK/YBwk=")],
                Bytes::new()
            )
            .await
            .0,
            "InvalidRequest"
        );
        let doc = complete_doc(&[
            (1, r1.header("ETag").unwrap()),
            (2, r2.header("ETag").unwrap()),
        ]);
        let wrong = h
            .err(
                "POST",
                &format!("/mpu/{key}?uploadId={id}"),
                &[("x-amz-checksum-crc32", "AAAAAA==")],
                doc.clone(),
            )
            .await;
        assert_eq!(wrong.0, "BadDigest");
        let r = h
            .ok("POST", &format!("/mpu/{key}?uploadId={id}"), NONE, doc)
            .await;
        let expected = if kind == "COMPOSITE" {
            tessera_checksum::composite(Algorithm::Crc32, &[crc(&p1), crc(&p2)]).unwrap()
        } else {
            let mut whole = p1.clone();
            whole.extend_from_slice(&p2);
            crc(&whole).to_base64()
        };
        assert_eq!(
            tag(&r.text(), "ChecksumCRC32"),
            Some(expected.clone()),
            "{kind}"
        );
        let r = h
            .ok(
                "HEAD",
                &format!("/mpu/{key}"),
                &[("x-amz-checksum-mode", "ENABLED")],
                Bytes::new(),
            )
            .await;
        assert_eq!(
            (
                r.header("x-amz-checksum-crc32"),
                r.header("x-amz-checksum-type")
            ),
            (Some(expected.as_str()), Some(kind))
        );
    }
    assert_eq!(
        h.err(
            "POST",
            "/mpu/x?uploads",
            &[
                ("x-amz-checksum-algorithm", "CRC64NVME"),
                ("x-amz-checksum-type", "COMPOSITE")
            ],
            Bytes::new()
        )
        .await
        .0,
        "InvalidRequest"
    );
}

async fn upload_part_copy_with_ranges(h: H) {
    h.bucket("mpu").await;
    let src = big(6 * MIB, 3);
    h.put("mpu", "source", src.clone()).await;
    let id = create_upload(&h, "dest", NONE).await;
    let range1 = format!("bytes=0-{}", 5 * MIB - 1);
    let r1 = h
        .ok(
            "PUT",
            &format!("/mpu/dest?partNumber=1&uploadId={id}"),
            &[
                ("x-amz-copy-source", "/mpu/source"),
                ("x-amz-copy-source-range", range1.as_str()),
            ],
            Bytes::new(),
        )
        .await;
    let e1 = tag(&r1.text(), "ETag").unwrap();
    let range2 = format!("bytes={}-{}", 5 * MIB, 6 * MIB - 1);
    let r2 = h
        .ok(
            "PUT",
            &format!("/mpu/dest?partNumber=2&uploadId={id}"),
            &[
                ("x-amz-copy-source", "mpu/source"),
                ("x-amz-copy-source-range", range2.as_str()),
            ],
            Bytes::new(),
        )
        .await;
    let e2 = tag(&r2.text(), "ETag").unwrap();
    let bad = format!("bytes=0-{}", 6 * MIB);
    assert_eq!(
        h.err(
            "PUT",
            &format!("/mpu/dest?partNumber=3&uploadId={id}"),
            &[
                ("x-amz-copy-source", "/mpu/source"),
                ("x-amz-copy-source-range", bad.as_str())
            ],
            Bytes::new()
        )
        .await
        .0,
        "InvalidArgument"
    );
    h.ok(
        "POST",
        &format!("/mpu/dest?uploadId={id}"),
        NONE,
        complete_doc(&[(1, &e1), (2, &e2)]),
    )
    .await;
    assert!(h.ok("GET", "/mpu/dest", NONE, Bytes::new()).await.body == src);
    h.assert_blob_files(2);
}
