//! What an operation answers: status, headers and a body the server sends as is (bytes) or
//! streams from a blob. It owns the response shape and small builders; it must never render
//! errors (that is `S3Error::to_aws` and the protocol crate).

use bytes::Bytes;
use tessera_blob::BlobReader;
use tessera_protocol::XmlWriter;

/// S3's XML namespace.
pub const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// A response body.
#[derive(Debug)]
pub enum ResponseBody {
    Empty,
    Bytes(Bytes),
    /// `len` bytes of the blob from `start`; the server streams them
    /// (`reader.into_stream(start, len)`).
    Blob {
        reader: BlobReader,
        start: u64,
        len: u64,
    },
}

/// A successful (or 304) answer.
#[derive(Debug)]
pub struct S3Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: ResponseBody,
}

impl S3Response {
    pub(crate) fn empty(status: u16) -> Self {
        S3Response {
            status,
            headers: Vec::new(),
            body: ResponseBody::Empty,
        }
    }

    /// An XML document (`application/xml`).
    pub(crate) fn xml(w: XmlWriter) -> Self {
        S3Response {
            status: 200,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: ResponseBody::Bytes(Bytes::from(w.finish())),
        }
    }

    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The value of a header (case-insensitive), for the server and tests.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A document with S3's namespace on its root element.
pub(crate) fn doc(root: &str) -> XmlWriter {
    let mut w = XmlWriter::with_declaration();
    w.open_ns(root, XMLNS);
    w
}
