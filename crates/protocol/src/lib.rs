//! Wire codecs shared by the services: the awsQuery form decoder, an XML writer, timestamps in
//! AWS's formats, and the error envelopes of each protocol (awsQuery, awsJson1_0, restXml).
//!
//! This crate knows bytes and strings, never HTTP types, sockets or storage. Every error that
//! leaves tessera is rendered here, so each protocol has exactly one error renderer.

pub mod error;
pub mod query;
pub mod timefmt;
pub mod xml;

pub use error::AwsError;
pub use query::QueryParams;
pub use xml::XmlWriter;
