//! Arbitrary documents through S3's request-XML reader and every document parser built on it
//! (`tessera_s3::xml_in::parse`, `parse_delete`, `parse_complete`, `parse_tagging`, `parse_cors`,
//! `parse_create_bucket_configuration`) and the bucket-policy check (`validate_policy`).
//!
//! Fails on a panic; on a refusal that is not a 400 with an S3 error code; on a tree or a parsed
//! document that does not survive being written back with tessera's XML writer
//! (`tessera_protocol::XmlWriter`, which the responses use) and read again; on a policy accepted
//! in another form than it was sent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_protocol::xml::escape_into;
use tessera_protocol::XmlWriter;
use tessera_s3::xml_in::{self, Element};
use tessera_s3::{CorsRule, S3Error};

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = xml_in::parse(data) {
        let again = xml_in::parse(render_element(&root).as_bytes());
        assert_eq!(again.as_ref(), Ok(&root), "tree changed when written back");
    }
    check_delete(data);
    check_complete(data);
    check_tagging(data);
    check_cors(data);
    check_create_bucket(data);
    match tessera_s3::validate_policy(data) {
        Ok(text) => assert_eq!(text.as_bytes(), data, "policy stored in another form"),
        Err(e) => check_refusal(&e, &["MalformedPolicy", "PolicyTooLarge"]),
    }
});

/// A refusal is a client error with one of the codes the parser documents.
fn check_refusal(e: &S3Error, codes: &[&str]) {
    let aws = e.to_aws();
    assert_eq!(aws.status, 400, "{e:?}");
    assert!(
        codes.contains(&e.code()),
        "unexpected code {}: {e:?}",
        e.code()
    );
    let body = aws.to_s3_xml("/bucket", "fuzz-request-id");
    assert!(
        xml_in::parse(body.as_bytes()).is_ok(),
        "error body is not XML: {body}"
    );
}

fn render_element(e: &Element) -> String {
    fn walk(w: &mut XmlWriter, e: &Element) {
        w.open(&e.name);
        let mut text = String::new();
        escape_into(&mut text, &e.text);
        w.raw(&text);
        for c in &e.children {
            walk(w, c);
        }
        w.close(&e.name);
    }
    let mut w = XmlWriter::with_declaration();
    walk(&mut w, e);
    w.finish()
}

fn check_delete(data: &[u8]) {
    match tessera_s3::parse_delete(data) {
        Ok(req) => {
            assert!(!req.keys.is_empty() && req.keys.len() <= 1000);
            let mut w = XmlWriter::with_declaration();
            w.open("Delete");
            w.leaf("Quiet", if req.quiet { "true" } else { "false" });
            for k in &req.keys {
                w.open("Object");
                w.leaf("Key", k);
                w.close("Object");
            }
            w.close("Delete");
            let again = tessera_s3::parse_delete(w.finish().as_bytes());
            assert_eq!(again.ok().as_ref(), Some(&req));
        }
        Err(e) => check_refusal(&e, &["MalformedXML"]),
    }
}

fn check_complete(data: &[u8]) {
    match tessera_s3::parse_complete(data) {
        Ok(parts) => {
            assert!(!parts.is_empty());
            assert!(parts
                .windows(2)
                .all(|w| w[0].part_number < w[1].part_number));
            let mut w = XmlWriter::with_declaration();
            w.open("CompleteMultipartUpload");
            for p in &parts {
                w.open("Part");
                w.leaf("PartNumber", &p.part_number.to_string());
                w.leaf("ETag", &format!("\"{}\"", p.etag));
                if let Some((alg, value)) = &p.checksum {
                    w.leaf(&format!("Checksum{}", alg.name()), value);
                }
                w.close("Part");
            }
            w.close("CompleteMultipartUpload");
            let again = tessera_s3::parse_complete(w.finish().as_bytes());
            assert_eq!(again.ok().as_ref(), Some(&parts));
        }
        Err(e) => check_refusal(&e, &["MalformedXML", "InvalidPartOrder", "InvalidArgument"]),
    }
}

fn check_tagging(data: &[u8]) {
    match tessera_s3::parse_tagging(data) {
        Ok(tags) => {
            let mut w = XmlWriter::with_declaration();
            w.open("Tagging");
            w.open("TagSet");
            for (k, v) in &tags {
                w.open("Tag");
                w.leaf("Key", k);
                w.leaf("Value", v);
                w.close("Tag");
            }
            w.close("TagSet");
            w.close("Tagging");
            let again = tessera_s3::parse_tagging(w.finish().as_bytes());
            assert_eq!(again.ok().as_ref(), Some(&tags));
        }
        Err(e) => check_refusal(&e, &["MalformedXML", "InvalidTag", "BadRequest"]),
    }
}

fn check_cors(data: &[u8]) {
    match tessera_s3::parse_cors(data) {
        Ok(rules) => {
            let again = tessera_s3::parse_cors(render_cors(&rules).as_bytes());
            assert_eq!(again.ok().as_ref(), Some(&rules));
        }
        Err(e) => check_refusal(&e, &["MalformedXML", "InvalidRequest"]),
    }
}

fn render_cors(rules: &[CorsRule]) -> String {
    let mut w = XmlWriter::with_declaration();
    w.open("CORSConfiguration");
    for r in rules {
        w.open("CORSRule");
        w.leaf_opt("ID", r.id.as_deref());
        for (tag, values) in [
            ("AllowedOrigin", &r.allowed_origins),
            ("AllowedMethod", &r.allowed_methods),
            ("AllowedHeader", &r.allowed_headers),
            ("ExposeHeader", &r.expose_headers),
        ] {
            for v in values {
                w.leaf(tag, v);
            }
        }
        w.leaf_opt(
            "MaxAgeSeconds",
            r.max_age_seconds.map(|s| s.to_string()).as_deref(),
        );
        w.close("CORSRule");
    }
    w.close("CORSConfiguration");
    w.finish()
}

fn check_create_bucket(data: &[u8]) {
    match tessera_s3::parse_create_bucket_configuration(data) {
        Ok(location) => {
            let mut w = XmlWriter::with_declaration();
            w.open("CreateBucketConfiguration");
            w.leaf_opt("LocationConstraint", location.as_deref());
            w.close("CreateBucketConfiguration");
            let again = tessera_s3::parse_create_bucket_configuration(w.finish().as_bytes());
            assert_eq!(again.ok(), Some(location));
        }
        Err(e) => check_refusal(&e, &["MalformedXML"]),
    }
}
