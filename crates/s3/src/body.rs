//! Request bodies: the frame stream the server delivers, streaming a body into a new blob (or,
//! when small, memory; see `content`) while hashing it (MD5 for the ETag and `Content-MD5`, plus
//! the one `x-amz-checksum-*` algorithm the client asked for), and reading small XML bodies under
//! a size bound.
//!
//! It owns checking what the client *declared* (Content-MD5, checksum header or trailer) against
//! what arrived; the blob is finished only when every check passed and is aborted otherwise. It
//! must never hold more than the inline limit of an object in memory, nor write metadata.

use crate::content::{Content, Sink};
use crate::request::S3Request;
use crate::S3Error;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use tessera_blob::BlobStore;
use tessera_checksum::{Algorithm, Checksum, Hasher, Md5Hasher};

/// The body as the server delivers it: already de-chunked and signature-checked; trailers
/// (checksum trailers of aws-chunked uploads) come as frames after the data.
pub type RequestBody = Pin<Box<dyn Stream<Item = Result<BodyFrame, BodyError>> + Send>>;

/// One piece of a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyFrame {
    Data(Bytes),
    Trailer { name: String, value: String },
}

/// A failure the server detected while delivering the body (e.g. `XAmzContentSHA256Mismatch`,
/// `IncompleteBody`); the operation aborts its blob and answers with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    pub code: &'static str,
    pub message: String,
    pub status: u16,
}

impl From<BodyError> for S3Error {
    fn from(e: BodyError) -> Self {
        S3Error::api(e.code, e.status, e.message)
    }
}

/// An empty body, for callers (and tests) that have none.
pub fn empty_body() -> RequestBody {
    Box::pin(futures_util::stream::empty())
}

/// A body of one data frame.
pub fn bytes_body(data: impl Into<Bytes>) -> RequestBody {
    let frame = BodyFrame::Data(data.into());
    Box::pin(futures_util::stream::once(async move { Ok(frame) }))
}

/// Where the expected checksum of a body comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expected {
    /// Compute and store it, nothing to compare against.
    None,
    /// From the `x-amz-checksum-*` request header.
    Header(Checksum),
    /// From a trailer of that name (declared in `x-amz-trailer`).
    Trailer,
}

/// The checksum a request asks for: algorithm and where its expected value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChecksumPlan {
    pub alg: Algorithm,
    pub expected: Expected,
}

fn invalid_checksum_value(alg: Algorithm) -> S3Error {
    S3Error::invalid_request(format!(
        "Value for {} header is invalid.",
        alg.header_name()
    ))
}

/// Reads the request's checksum intent: an `x-amz-checksum-*` header, an `x-amz-trailer`
/// naming one, or `x-amz-sdk-checksum-algorithm` alone. More than one checksum header is an error.
pub(crate) fn checksum_plan(req: &S3Request) -> Result<Option<ChecksumPlan>, S3Error> {
    let mut found = None;
    for alg in Algorithm::ALL {
        if let Some(v) = req.header(alg.header_name()) {
            if found.is_some() {
                return Err(S3Error::invalid_request(
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
                ));
            }
            let sum =
                Checksum::from_base64(alg, v.trim()).ok_or_else(|| invalid_checksum_value(alg))?;
            found = Some(ChecksumPlan {
                alg,
                expected: Expected::Header(sum),
            });
        }
    }
    if found.is_some() {
        return Ok(found);
    }
    if let Some(trailer) = req.header("x-amz-trailer") {
        if let Some(alg) = Algorithm::from_header_name(trailer.trim()) {
            return Ok(Some(ChecksumPlan {
                alg,
                expected: Expected::Trailer,
            }));
        }
    }
    match req.header("x-amz-sdk-checksum-algorithm") {
        Some(name) => Algorithm::parse(name.trim())
            .map(|alg| {
                Some(ChecksumPlan {
                    alg,
                    expected: Expected::None,
                })
            })
            .ok_or_else(|| {
                S3Error::invalid_request(
                    "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
                )
            }),
        None => Ok(None),
    }
}

/// The `Content-MD5` header, decoded; `InvalidDigest` if it is not 16 bytes of base64.
pub(crate) fn content_md5(req: &S3Request) -> Result<Option<[u8; 16]>, S3Error> {
    let Some(v) = req.header("content-md5") else {
        return Ok(None);
    };
    STANDARD
        .decode(v.trim())
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
        .map(Some)
        .ok_or_else(|| {
            S3Error::api(
                "InvalidDigest",
                400,
                "The Content-MD5 you specified was not valid.",
            )
        })
}

/// A body stored (in a new blob, or in memory for the object's record) and verified.
#[derive(Debug)]
pub(crate) struct Ingested {
    pub content: Content,
    pub size: u64,
    pub md5: [u8; 16],
    pub checksum: Option<Checksum>,
}

/// Streams `body` into a new blob, or into memory when it is declared no larger than
/// `inline_max` (0: always a blob). `max_size` bounds the body (`EntityTooLarge` beyond).
pub(crate) async fn ingest(
    blobs: &BlobStore,
    mut body: RequestBody,
    md5_expected: Option<[u8; 16]>,
    plan: Option<&ChecksumPlan>,
    max_size: u64,
    (declared, inline_max): (Option<u64>, u64),
) -> Result<Ingested, S3Error> {
    let mut sink = Sink::open(blobs, declared, inline_max).await?;
    let outcome = pump(&mut sink, &mut body, md5_expected, plan, max_size).await;
    match outcome {
        Ok((size, md5, checksum)) => Ok(Ingested {
            content: sink.finish().await?,
            size,
            md5,
            checksum,
        }),
        Err(e) => {
            sink.abort().await;
            Err(e)
        }
    }
}

type Pumped = (u64, [u8; 16], Option<Checksum>);

/// The running digests of one body and the trailers that came with it.
struct Digests {
    md5: Md5Hasher,
    sum: Option<Hasher>,
    trailers: Vec<(String, String)>,
}

impl Digests {
    fn new(plan: Option<&ChecksumPlan>) -> Self {
        Digests {
            md5: Md5Hasher::new(),
            sum: plan.map(|p| Hasher::new(p.alg)),
            trailers: Vec::new(),
        }
    }

    fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        if let Some(h) = self.sum.as_mut() {
            h.update(data);
        }
    }

    /// Checks the body against what the client declared; returns its MD5 and checksum.
    fn verify(
        self,
        md5_expected: Option<[u8; 16]>,
        plan: Option<&ChecksumPlan>,
    ) -> Result<([u8; 16], Option<Checksum>), S3Error> {
        let md5 = self.md5.finish();
        if md5_expected.is_some_and(|e| e != md5) {
            return Err(S3Error::bad_digest(
                "The Content-MD5 you specified did not match what we received.",
            ));
        }
        let (Some(plan), Some(h)) = (plan, self.sum) else {
            return Ok((md5, None));
        };
        let got = h.finish();
        let expected = match &plan.expected {
            Expected::None => None,
            Expected::Header(sum) => Some(*sum),
            Expected::Trailer => {
                let name = plan.alg.header_name();
                let value = self
                    .trailers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim())
                    .ok_or_else(|| {
                        S3Error::invalid_request(format!(
                            "The {name} trailer declared in x-amz-trailer was not sent."
                        ))
                    })?;
                Some(
                    Checksum::from_base64(plan.alg, value)
                        .ok_or_else(|| invalid_checksum_value(plan.alg))?,
                )
            }
        };
        if expected.is_some_and(|e| e.as_bytes() != got.as_bytes()) {
            return Err(S3Error::bad_digest(format!(
                "The {} you specified did not match the calculated checksum.",
                plan.alg.name()
            )));
        }
        Ok((md5, Some(got)))
    }
}

async fn pump(
    sink: &mut Sink<'_>,
    body: &mut RequestBody,
    md5_expected: Option<[u8; 16]>,
    plan: Option<&ChecksumPlan>,
    max_size: u64,
) -> Result<Pumped, S3Error> {
    let mut digests = Digests::new(plan);
    let mut size = 0u64;
    while let Some(frame) = body.next().await {
        match frame? {
            BodyFrame::Data(data) => {
                size += data.len() as u64;
                if size > max_size {
                    return Err(S3Error::entity_too_large());
                }
                digests.update(&data);
                sink.write(&data).await?;
            }
            BodyFrame::Trailer { name, value } => digests.trailers.push((name, value)),
        }
    }
    let (md5, checksum) = digests.verify(md5_expected, plan)?;
    Ok((size, md5, checksum))
}

/// Reads a small body (an XML document or a policy) whole, refusing more than `limit` bytes, and
/// checks it against its `Content-MD5` and `x-amz-checksum-*` header or trailer (the SDKs send
/// one for every such operation).
pub(crate) async fn read_small(
    req: &S3Request,
    mut body: RequestBody,
    limit: usize,
) -> Result<Vec<u8>, S3Error> {
    let md5 = content_md5(req)?;
    let plan = checksum_plan(req)?;
    let mut digests = Digests::new(plan.as_ref());
    let mut out = Vec::new();
    while let Some(frame) = body.next().await {
        match frame? {
            BodyFrame::Data(d) => {
                if out.len() + d.len() > limit {
                    return Err(S3Error::malformed_xml());
                }
                digests.update(&d);
                out.extend_from_slice(&d);
            }
            BodyFrame::Trailer { name, value } => digests.trailers.push((name, value)),
        }
    }
    digests.verify(md5, plan.as_ref())?;
    Ok(out)
}

/// Reads a CompleteMultipartUpload document: its `x-amz-checksum-*` headers describe the object,
/// not the body, so only `Content-MD5` is checked.
pub(crate) async fn read_document(
    req: &S3Request,
    mut body: RequestBody,
) -> Result<Vec<u8>, S3Error> {
    let md5 = content_md5(req)?;
    let mut digests = Digests::new(None);
    let mut out = Vec::new();
    while let Some(frame) = body.next().await {
        if let BodyFrame::Data(d) = frame? {
            if out.len() + d.len() > crate::xml_in::MAX_DOC {
                return Err(S3Error::malformed_xml());
            }
            digests.update(&d);
            out.extend_from_slice(&d);
        }
    }
    digests.verify(md5, None)?;
    Ok(out)
}
