//! The request-document parsers are pure functions of bytes: they must never panic, whatever the
//! input, and must accept what they print.

use proptest::prelude::*;
use tessera_s3::{
    parse_complete, parse_cors, parse_create_bucket_configuration, parse_delete, parse_tagging,
    validate_policy, xml_in,
};

fn xmlish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just("<Delete>".to_owned()),
        Just("</Delete>".to_owned()),
        Just("<Object><Key>".to_owned()),
        Just("</Key></Object>".to_owned()),
        Just("<Part><PartNumber>1</PartNumber><ETag>\"x\"</ETag></Part>".to_owned()),
        Just("<CompleteMultipartUpload>".to_owned()),
        Just("</CompleteMultipartUpload>".to_owned()),
        Just("<!DOCTYPE a>".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("&amp;".to_owned()),
        Just("&#x1F600;".to_owned()),
        Just("&#xFFFFFFFF;".to_owned()),
        Just("<a b='c'>".to_owned()),
        Just("<?xml version=\"1.0\"?>".to_owned()),
        "[a-z<>/&;#=\"' ]{0,8}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat().into_bytes())
}

proptest! {
    #[test]
    fn parsers_never_panic(doc in prop_oneof![xmlish(), prop::collection::vec(any::<u8>(), 0..256)]) {
        let _ = xml_in::parse(&doc);
        let _ = parse_delete(&doc);
        let _ = parse_complete(&doc);
        let _ = parse_tagging(&doc);
        let _ = parse_cors(&doc);
        let _ = parse_create_bucket_configuration(&doc);
        let _ = validate_policy(&doc);
    }

    #[test]
    fn delete_documents_round_trip(keys in prop::collection::vec("[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]{1,20}", 1..20), quiet in any::<bool>()) {
        let mut doc = String::from("<Delete>");
        for k in &keys {
            let mut esc = String::new();
            tessera_protocol::xml::escape_into(&mut esc, k);
            doc.push_str(&format!("<Object><Key>{esc}</Key></Object>"));
        }
        doc.push_str(&format!("<Quiet>{quiet}</Quiet></Delete>"));
        let parsed = parse_delete(doc.as_bytes()).unwrap();
        prop_assert_eq!(parsed.keys, keys);
        prop_assert_eq!(parsed.quiet, quiet);
    }
}
