//! Streaming checksums of S3 request and response bodies: the five algorithms of S3's
//! `x-amz-checksum-*` headers, the multipart combinations S3 defines over them, and the MD5 of
//! `Content-MD5` and ETags.
//!
//! This crate is pure computation: no I/O, no HTTP types, no clock. It never decides whether a
//! checksum is *required* or which header wins; that is the S3 front end's job.
//!
//! Layout (each file's first lines say what it owns and must never do):
//! - `algorithm`: [`Algorithm`], its S3 names and header names.
//! - `hasher`: [`Hasher`] (one running checksum) and [`Checksum`] (its raw bytes and base64 form).
//! - `multipart`: [`composite`] (checksum of part checksums, `BASE64-N`) and [`full_object`]
//!   (the whole object's CRC combined from part CRCs and lengths).
//! - `crc_combine`: the GF(2) arithmetic behind [`full_object`].
//! - `md5`: [`Md5Hasher`] and [`multipart_etag`].
//!
//! ```
//! use tessera_checksum::{Algorithm, Checksum, Hasher};
//!
//! // A PUT with `x-amz-checksum-crc32: DUoRhQ==`: hash the body as it streams, then compare.
//! let alg = Algorithm::from_header_name("X-Amz-Checksum-CRC32").unwrap();
//! let claimed = Checksum::from_base64(alg, "DUoRhQ==").unwrap();
//! let mut hasher = Hasher::new(alg);
//! hasher.update(b"hello ");
//! hasher.update(b"world");
//! assert_eq!(hasher.finish(), claimed);
//! ```

mod algorithm;
mod crc_combine;
mod hasher;
mod md5;
mod multipart;

pub use algorithm::Algorithm;
pub use hasher::{Checksum, Hasher};
pub use md5::{multipart_etag, Md5Hasher};
pub use multipart::{composite, full_object};
