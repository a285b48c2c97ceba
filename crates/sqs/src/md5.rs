//! The digests SQS returns and the SDKs verify: `MD5OfMessageBody` (MD5 of the body's UTF-8 bytes)
//! and `MD5OfMessageAttributes` / `MD5OfMessageSystemAttributes`, which hash the attributes sorted
//! by name, each as: length-prefixed name, length-prefixed data type, one transport byte (1 for
//! String and Number values, 2 for Binary), length-prefixed value; lengths are 4-byte big-endian.
//! This module owns that encoding; it must never validate attributes.

use md5::{Digest, Md5};

use crate::message::AttributeValue;

/// Lower-case hex MD5 of `bytes`.
pub fn hex_md5(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// The MD5 of a set of attributes as AWS computes it; `None` for an empty set (AWS omits it).
pub fn attributes_md5<'a>(
    attributes: impl IntoIterator<Item = (&'a str, &'a AttributeValue)>,
) -> Option<String> {
    let mut sorted: Vec<(&str, &AttributeValue)> = attributes.into_iter().collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut h = Md5::new();
    let field = |h: &mut Md5, bytes: &[u8]| {
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        h.update(len.to_be_bytes());
        h.update(bytes);
    };
    for (name, value) in sorted {
        field(&mut h, name.as_bytes());
        field(&mut h, value.data_type.as_bytes());
        match &value.binary_value {
            Some(bytes) => {
                h.update([2u8]);
                field(&mut h, bytes);
            }
            None => {
                h.update([1u8]);
                field(
                    &mut h,
                    value.string_value.as_deref().unwrap_or("").as_bytes(),
                );
            }
        }
    }
    Some(hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(t: &str, v: &str) -> AttributeValue {
        AttributeValue {
            data_type: t.into(),
            string_value: Some(v.into()),
            binary_value: None,
        }
    }

    #[test]
    fn body_md5_vectors() {
        assert_eq!(hex_md5(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex_md5(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    /// Vectors computed independently (Python hashlib over the documented byte layout, see
    /// tests/md5_vectors.py) and cross-checked against moto's implementation of the algorithm.
    #[test]
    fn attribute_md5_vectors() {
        let one = [("attr1", string("String", "value1"))];
        assert_eq!(
            attributes_md5(one.iter().map(|(n, v)| (*n, v))).as_deref(),
            Some(VECTOR_ONE)
        );
        let binary = AttributeValue {
            data_type: "Binary".into(),
            string_value: None,
            binary_value: Some(vec![0, 1, 2]),
        };
        // Order of input does not matter: AWS sorts by name.
        let mixed = [
            ("b", binary),
            ("a", string("Number.int", "42")),
            (
                "AWSTraceHeader",
                string("String", "Root=1-5759e988-bd862e3fe1be46a994272793"),
            ),
        ];
        assert_eq!(
            attributes_md5(mixed.iter().map(|(n, v)| (*n, v))).as_deref(),
            Some(VECTOR_MIXED)
        );
        assert_eq!(attributes_md5(std::iter::empty()), None);
    }

    const VECTOR_ONE: &str = "3bc3f392bdd1097ba0b434f65d468d2e";
    const VECTOR_MIXED: &str = "7b8bf4e0fc8578e350df27676f70cad8";
}
