//! PutObject, GetObject, HeadObject, DeleteObject(s), conditionals, ranges and checksums.

mod common;
use bytes::Bytes;
use common::*;

both_layouts!(
    put_get_head_with_metadata,
    keys_are_data_not_paths,
    conditional_reads_and_writes,
    content_md5_and_checksums,
    delete_object_and_delete_objects,
    sweep_removes_orphans_only
);

const NONE: &[(&str, &str)] = &[];

async fn put_get_head_with_metadata(h: H) {
    h.bucket("docs").await;
    let r = h
        .ok(
            "PUT",
            "/docs/dir/hello.txt",
            &[
                ("content-type", "text/plain"),
                ("content-encoding", "aws-chunked,gzip"),
                ("content-disposition", "attachment"),
                ("cache-control", "no-cache"),
                ("content-language", "en"),
                ("expires", "Thu, 01 Dec 2094 16:00:00 GMT"),
                ("x-amz-meta-Color", "blue"),
                ("x-amz-tagging", "a=1&b=2"),
            ],
            "hello world",
        )
        .await;
    // MD5("hello world")
    assert_eq!(
        r.header("ETag"),
        Some("\"5eb63bbbe01eeed093cb22bb8f5acdc3\"")
    );
    let r = h.ok("GET", "/docs/dir/hello.txt", NONE, Bytes::new()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"hello world");
    for (name, value) in [
        ("Content-Type", "text/plain"),
        ("Content-Encoding", "gzip"),
        ("Content-Disposition", "attachment"),
        ("Cache-Control", "no-cache"),
        ("Content-Language", "en"),
        ("Expires", "Thu, 01 Dec 2094 16:00:00 GMT"),
        ("x-amz-meta-color", "blue"),
        ("Content-Length", "11"),
        ("Accept-Ranges", "bytes"),
        ("Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT"),
        ("x-amz-tagging-count", "2"),
    ] {
        assert_eq!(r.header(name), Some(value), "{name}");
    }
    let r = h
        .ok("HEAD", "/docs/dir/hello.txt", NONE, Bytes::new())
        .await;
    assert_eq!(
        (r.status, r.body.len(), r.header("Content-Length")),
        (200, 0, Some("11"))
    );
    let r = h
        .ok(
            "GET",
            "/docs/dir/hello.txt?response-content-type=x%2Fy&response-cache-control=max-age%3D1",
            NONE,
            Bytes::new(),
        )
        .await;
    assert_eq!(
        (r.header("Content-Type"), r.header("Cache-Control")),
        (Some("x/y"), Some("max-age=1"))
    );
    let mut anon = caller("111122223333");
    anon.anonymous = true;
    let e = h
        .send_as(
            &anon,
            "GET",
            "/docs/dir/hello.txt?response-content-type=x",
            NONE,
            tessera_s3::empty_body(),
        )
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), "InvalidRequest");

    // Default content type, empty object.
    h.put("docs", "empty", Bytes::new()).await;
    let r = h.ok("GET", "/docs/empty", NONE, Bytes::new()).await;
    assert_eq!(
        (r.header("Content-Type"), r.body.len()),
        (Some("binary/octet-stream"), 0)
    );
    assert_eq!(
        r.header("ETag"),
        Some("\"d41d8cd98f00b204e9800998ecf8427e\"")
    );

    // Overwrite: the old blob goes away.
    h.put("docs", "dir/hello.txt", "second").await;
    assert_eq!(
        h.ok("GET", "/docs/dir/hello.txt", NONE, Bytes::new())
            .await
            .body,
        b"second"
    );
    h.assert_blob_files(2);

    assert_eq!(
        h.err("GET", "/docs/missing", NONE, Bytes::new()).await,
        ("NoSuchKey".into(), 404)
    );
    assert_eq!(
        h.err("HEAD", "/docs/missing", NONE, Bytes::new()).await,
        ("NoSuchKey".into(), 404)
    );
    assert_eq!(
        h.err("GET", "/nobucket/k", NONE, Bytes::new()).await.0,
        "NoSuchBucket"
    );
    assert_eq!(
        h.err("PUT", "/nobucket/k", NONE, "x").await.0,
        "NoSuchBucket"
    );
}

async fn keys_are_data_not_paths(h: H) {
    h.bucket("keys").await;
    let long = "k".repeat(1024);
    for (raw, decoded) in [
        ("..%2F..%2Fetc%2Fpasswd", "../../etc/passwd"),
        ("%2Fabsolute", "/absolute"),
        ("nul%00byte", "nul\u{0}byte"),
        ("%E2%9C%93%20unicode", "\u{2713} unicode"),
        (long.as_str(), long.as_str()),
    ] {
        h.ok("PUT", &format!("/keys/{raw}"), NONE, decoded.to_owned())
            .await;
        let r = h
            .ok("GET", &format!("/keys/{raw}"), NONE, Bytes::new())
            .await;
        assert_eq!(r.body, decoded.as_bytes());
    }
    let too_long = "k".repeat(1025);
    assert_eq!(
        h.err("PUT", &format!("/keys/{too_long}"), NONE, "x").await,
        ("KeyTooLongError".into(), 400)
    );
    // Nothing was written outside the blob directory's own layout.
    h.assert_blob_files(5);
}

#[tokio::test]
async fn ranges() {
    let h = H::new().await;
    h.bucket("rng").await;
    h.put("rng", "k", "0123456789").await;
    for (range, status, body, content_range) in [
        ("bytes=0-3", 206, "0123", Some("bytes 0-3/10")),
        ("bytes=7-", 206, "789", Some("bytes 7-9/10")),
        ("bytes=-2", 206, "89", Some("bytes 8-9/10")),
        ("bytes=5-100", 206, "56789", Some("bytes 5-9/10")),
        ("bytes=-100", 206, "0123456789", Some("bytes 0-9/10")),
        ("bytes=3-1", 200, "0123456789", None),
        ("bytes=0-1,4-5", 200, "0123456789", None),
    ] {
        let r = h
            .ok("GET", "/rng/k", &[("range", range)], Bytes::new())
            .await;
        assert_eq!(
            (r.status, r.text().as_str(), r.header("Content-Range")),
            (status, body, content_range),
            "{range}"
        );
        assert_eq!(
            r.header("Content-Length"),
            Some(body.len().to_string().as_str())
        );
    }
    let e = h
        .send("GET", "/rng/k", &[("range", "bytes=10-")], Bytes::new())
        .await
        .err()
        .unwrap();
    let aws = e.to_aws();
    assert_eq!((aws.code.as_ref(), aws.status), ("InvalidRange", 416));
    assert!(aws
        .headers
        .contains(&("Content-Range", "bytes */10".to_owned())));
    // partNumber=1 of a single-part object is the whole object.
    let r = h.ok("GET", "/rng/k?partNumber=1", NONE, Bytes::new()).await;
    assert_eq!(
        (r.status, r.header("x-amz-mp-parts-count")),
        (200, Some("1"))
    );
    assert_eq!(
        h.err("GET", "/rng/k?partNumber=2", NONE, Bytes::new())
            .await
            .0,
        "InvalidPartNumber"
    );
}

async fn conditional_reads_and_writes(h: H) {
    h.bucket("cond").await;
    let etag = h
        .put("cond", "k", "v1")
        .await
        .header("ETag")
        .unwrap()
        .to_owned();
    let before = "Tue, 14 Nov 2023 00:00:00 GMT";
    let after = "Wed, 15 Nov 2023 00:00:00 GMT";
    for (headers, want) in [
        (vec![("if-match", etag.as_str())], 200),
        (vec![("if-match", "\"other\"")], 412),
        (vec![("if-none-match", etag.as_str())], 304),
        (vec![("if-none-match", "\"other\"")], 200),
        (vec![("if-modified-since", after)], 304),
        (vec![("if-modified-since", before)], 200),
        (vec![("if-unmodified-since", before)], 412),
        (vec![("if-unmodified-since", after)], 200),
        (
            vec![("if-match", etag.as_str()), ("if-unmodified-since", before)],
            200,
        ),
        (
            vec![
                ("if-none-match", etag.as_str()),
                ("if-modified-since", before),
            ],
            304,
        ),
    ] {
        for method in ["GET", "HEAD"] {
            let got = match h.send(method, "/cond/k", &headers, Bytes::new()).await {
                Ok(r) => {
                    if r.status == 304 {
                        assert_eq!(r.header("ETag"), Some(etag.as_str()));
                        assert!(r.body.is_empty());
                    }
                    r.status
                }
                Err(e) => {
                    assert_eq!(e.code(), "PreconditionFailed");
                    e.to_aws().status
                }
            };
            assert_eq!(got, want, "{method} {headers:?}");
        }
    }
    // Conditional writes.
    assert_eq!(
        h.err("PUT", "/cond/k", &[("if-none-match", "*")], "v2")
            .await,
        ("PreconditionFailed".into(), 412)
    );
    h.ok("PUT", "/cond/new", &[("if-none-match", "*")], "v")
        .await;
    assert_eq!(
        h.err("PUT", "/cond/k", &[("if-match", "\"nope\"")], "v2")
            .await
            .0,
        "PreconditionFailed"
    );
    assert_eq!(
        h.err("PUT", "/cond/absent", &[("if-match", "\"nope\"")], "v2")
            .await
            .0,
        "NoSuchKey"
    );
    h.ok("PUT", "/cond/k", &[("if-match", etag.as_str())], "v2")
        .await;
    assert_eq!(h.ok("GET", "/cond/k", NONE, Bytes::new()).await.body, b"v2");
    // Failed conditional writes leave no blob behind.
    h.assert_blob_files(2);
    assert_eq!(h.temp_files(), 0);
}

async fn content_md5_and_checksums(h: H) {
    h.bucket("sums").await;
    let good = md5_b64(b"payload");
    h.ok(
        "PUT",
        "/sums/a",
        &[("content-md5", good.as_str())],
        "payload",
    )
    .await;
    assert_eq!(
        h.err("PUT", "/sums/b", &[("content-md5", good.as_str())], "other")
            .await,
        ("BadDigest".into(), 400)
    );
    assert_eq!(
        h.err(
            "PUT",
            "/sums/b",
            &[("content-md5", "bm90LW1kNQ==")],
            "other"
        )
        .await
        .0,
        "InvalidDigest"
    );
    // CRC32 of "payload" (computed by the checksum crate).
    let crc = {
        let mut hs = tessera_checksum::Hasher::new(tessera_checksum::Algorithm::Crc32);
        hs.update(b"payload");
        hs.finish().to_base64()
    };
    let r = h
        .ok(
            "PUT",
            "/sums/c",
            &[("x-amz-checksum-crc32", crc.as_str())],
            "payload",
        )
        .await;
    assert_eq!(r.header("x-amz-checksum-crc32"), Some(crc.as_str()));
    assert_eq!(
        h.err(
            "PUT",
            "/sums/d",
            &[("x-amz-checksum-crc32", crc.as_str())],
            "payloaX"
        )
        .await,
        ("BadDigest".into(), 400)
    );
    assert_eq!(
        h.err(
            "PUT",
            "/sums/d",
            &[("x-amz-checksum-crc32", "!!")],
            "payload"
        )
        .await
        .0,
        "InvalidRequest"
    );
    // Trailer form, as aws-chunked uploads of current SDKs send it.
    let r = h
        .send_as(
            &h.caller,
            "PUT",
            "/sums/t",
            &[
                ("x-amz-trailer", "x-amz-checksum-crc32"),
                ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ],
            framed(
                vec![b"pay", b"load"],
                vec![("x-amz-checksum-crc32", crc.as_str())],
            ),
        )
        .await
        .unwrap();
    assert_eq!(r.header("x-amz-checksum-crc32"), Some(crc.as_str()));
    let e = h
        .send_as(
            &h.caller,
            "PUT",
            "/sums/t2",
            &[("x-amz-trailer", "x-amz-checksum-crc32")],
            framed(vec![b"payload"], vec![("x-amz-checksum-crc32", "AAAAAA==")]),
        )
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), "BadDigest");
    // Stored and returned with checksum mode, not otherwise.
    let r = h
        .ok(
            "GET",
            "/sums/t",
            &[("x-amz-checksum-mode", "ENABLED")],
            Bytes::new(),
        )
        .await;
    assert_eq!(
        (
            r.header("x-amz-checksum-crc32"),
            r.header("x-amz-checksum-type")
        ),
        (Some(crc.as_str()), Some("FULL_OBJECT"))
    );
    let r = h.ok("GET", "/sums/t", NONE, Bytes::new()).await;
    assert_eq!(r.header("x-amz-checksum-crc32"), None);
    // A body the server reports as corrupt aborts the upload.
    let e = h
        .send_as(&h.caller, "PUT", "/sums/bad", NONE, failing_body())
        .await
        .err()
        .unwrap();
    assert_eq!(e.code(), "XAmzContentSHA256Mismatch");
    assert_eq!(
        h.err("GET", "/sums/bad", NONE, Bytes::new()).await.0,
        "NoSuchKey"
    );
    assert_eq!(
        h.err(
            "PUT",
            "/sums/big",
            &[("content-length", "5368709121")],
            Bytes::new()
        )
        .await
        .0,
        "EntityTooLarge"
    );
    h.assert_blob_files(3);
    assert_eq!(h.temp_files(), 0);
}

async fn delete_object_and_delete_objects(h: H) {
    h.bucket("del").await;
    for k in ["a", "b", "c"] {
        h.put("del", k, "x").await;
    }
    assert_eq!(
        h.ok("DELETE", "/del/a", NONE, Bytes::new()).await.status,
        204
    );
    assert_eq!(
        h.ok("DELETE", "/del/a", NONE, Bytes::new()).await.status,
        204
    );
    let doc = "<Delete><Object><Key>b</Key></Object><Object><Key>missing</Key></Object></Delete>";
    let r = h
        .ok(
            "POST",
            "/del?delete",
            &[("content-md5", md5_b64(doc.as_bytes()).as_str())],
            doc,
        )
        .await;
    assert_eq!(all_tags(&r.text(), "Key"), ["b", "missing"]);
    let quiet = "<Delete><Quiet>true</Quiet><Object><Key>c</Key></Object></Delete>";
    let r = h.ok("POST", "/del?delete", NONE, quiet).await;
    assert!(!r.text().contains("<Deleted>"), "{}", r.text());
    h.assert_blob_files(0);
    let too_many = format!(
        "<Delete>{}</Delete>",
        "<Object><Key>k</Key></Object>".repeat(1001)
    );
    assert_eq!(
        h.err("POST", "/del?delete", NONE, too_many).await,
        ("MalformedXML".into(), 400)
    );
    assert_eq!(
        h.err("POST", "/del?delete", NONE, "<Delete></Delete>")
            .await
            .0,
        "MalformedXML"
    );
    assert_eq!(
        h.err(
            "POST",
            "/del?delete",
            NONE,
            "<!DOCTYPE d><Delete><Object><Key>k</Key></Object></Delete>"
        )
        .await
        .0,
        "MalformedXML"
    );
    assert_eq!(
        h.err(
            "POST",
            "/del?delete",
            &[("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")],
            doc
        )
        .await
        .0,
        "BadDigest"
    );
    let long = format!(
        "<Delete><Object><Key>{}</Key></Object></Delete>",
        "k".repeat(1025)
    );
    let r = h.ok("POST", "/del?delete", NONE, long).await;
    assert_eq!(tag(&r.text(), "Code").as_deref(), Some("KeyTooLongError"));
}

#[tokio::test]
async fn object_tagging_and_attributes() {
    let h = H::new().await;
    h.bucket("tags").await;
    h.put("tags", "k", "12345").await;
    let r = h.ok("GET", "/tags/k?tagging", NONE, Bytes::new()).await;
    assert!(r.text().contains("<TagSet></TagSet>"), "{}", r.text());
    h.ok(
        "PUT",
        "/tags/k?tagging",
        NONE,
        "<Tagging><TagSet><Tag><Key>k1</Key><Value>v1</Value></Tag></TagSet></Tagging>",
    )
    .await;
    let r = h.ok("GET", "/tags/k?tagging", NONE, Bytes::new()).await;
    assert_eq!(tag(&r.text(), "Value").as_deref(), Some("v1"));
    let eleven: String = (0..11)
        .map(|i| format!("<Tag><Key>k{i}</Key><Value/></Tag>"))
        .collect();
    assert_eq!(
        h.err(
            "PUT",
            "/tags/k?tagging",
            NONE,
            format!("<Tagging><TagSet>{eleven}</TagSet></Tagging>")
        )
        .await
        .0,
        "BadRequest"
    );
    h.ok("DELETE", "/tags/k?tagging", NONE, Bytes::new()).await;
    assert_eq!(
        h.ok("HEAD", "/tags/k", NONE, Bytes::new())
            .await
            .header("x-amz-tagging-count"),
        None
    );
    assert_eq!(
        h.err("GET", "/tags/none?tagging", NONE, Bytes::new())
            .await
            .0,
        "NoSuchKey"
    );

    let r = h
        .ok(
            "GET",
            "/tags/k?attributes",
            &[("x-amz-object-attributes", "ETag,ObjectSize,StorageClass")],
            Bytes::new(),
        )
        .await;
    assert_eq!(
        tag(&r.text(), "ETag").as_deref(),
        Some("827ccb0eea8a706c4c34a16891f84e7b")
    );
    assert_eq!(tag(&r.text(), "ObjectSize").as_deref(), Some("5"));
    assert_eq!(
        h.err(
            "GET",
            "/tags/k?attributes",
            &[("x-amz-object-attributes", "Bogus")],
            Bytes::new()
        )
        .await
        .0,
        "InvalidArgument"
    );
}

async fn sweep_removes_orphans_only(h: H) {
    h.bucket("sweep").await;
    h.put("sweep", "kept", "data").await;
    // A blob finished but never committed (a crash between the two steps).
    let blobs = tessera_blob::BlobStore::open_dir(&h.blob_dir).unwrap();
    let mut w = blobs.create().await.unwrap();
    w.write(b"orphan").await.unwrap();
    w.finish().await.unwrap();
    h.assert_blob_files(2);
    let report = h.s3.sweep_orphans().await.unwrap();
    // An inline object has no blob to keep.
    let kept = if h.inline { 0 } else { 1 };
    assert_eq!((report.removed_blobs, report.kept), (1, kept));
    assert_eq!(
        h.ok("GET", "/sweep/kept", NONE, Bytes::new()).await.body,
        b"data"
    );
}

#[tokio::test]
async fn small_objects_live_in_their_record() {
    let h = H::new().await;
    h.bucket("bkt").await;
    let small = "tiny".repeat(10);
    let large = vec![b'L'; 100 * 1024];
    h.ok("PUT", "/bkt/k", NONE, small.clone()).await;
    assert_eq!(h.blob_files(), 0, "a small PUT writes no file");
    let r = h
        .ok("GET", "/bkt/k", &[("range", "bytes=4-7")], Bytes::new())
        .await;
    assert_eq!((r.status, &r.body[..]), (206, &b"tiny"[..]));
    // Small replaced by large: a blob appears; large replaced by small: the blob goes.
    h.ok("PUT", "/bkt/k", NONE, large.clone()).await;
    assert_eq!(h.blob_files(), 1);
    assert_eq!(h.ok("GET", "/bkt/k", NONE, Bytes::new()).await.body, large);
    h.ok("PUT", "/bkt/k", NONE, small.clone()).await;
    assert_eq!(h.blob_files(), 0);
    // Tagging rewrites the record: the bytes stay with it.
    h.ok("PUT", "/bkt/k?tagging", NONE, TAGS_XML).await;
    let r = h.ok("GET", "/bkt/k", NONE, Bytes::new()).await;
    assert_eq!(r.header("x-amz-tagging-count"), Some("1"));
    assert_eq!(r.body, small.as_bytes());
    // A copy of a small object is small; a part copied from it is a blob.
    h.ok(
        "PUT",
        "/bkt/copy",
        &[("x-amz-copy-source", "/bkt/k")],
        Bytes::new(),
    )
    .await;
    assert_eq!(
        h.ok("GET", "/bkt/copy", NONE, Bytes::new()).await.body,
        small.as_bytes()
    );
    assert_eq!(h.blob_files(), 0);
    let listed = h.ok("GET", "/bkt?list-type=2", NONE, Bytes::new()).await;
    let xml = String::from_utf8(listed.body).unwrap();
    assert_eq!(xml.matches("<Size>40</Size>").count(), 2, "{xml}");
    h.ok("DELETE", "/bkt/k", NONE, Bytes::new()).await;
    assert_eq!(
        h.err("GET", "/bkt/k", NONE, Bytes::new()).await.0,
        "NoSuchKey"
    );
    assert_eq!(
        h.ok("GET", "/bkt/copy", NONE, Bytes::new()).await.body,
        small.as_bytes()
    );
}

const TAGS_XML: &str =
    "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>";
