//! Where an object's bytes live: in a blob (a file, or chunks in the store on PostgreSQL), or,
//! for a small object, in the object's own record.
//!
//! Why inline: a small PUT then costs one store commit, which shares its fsync with every other
//! write waiting at that moment, instead of a file fsync, a directory fsync and the commit; and a
//! small GET is one read transaction, with no file to open. Overwrites and deletes replace or
//! remove the record and its bytes together, so an inline body can never be orphaned.
//!
//! It owns the choice between the two while a body streams in ([`Sink`]) and reading either back
//! ([`ObjectBody`]); it must never decide durability (the blob store and the commit do).

use crate::body::{BodyError, BodyFrame, RequestBody};
use crate::response::ResponseBody;
use crate::S3Error;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tessera_blob::{BlobId, BlobReader, BlobStore, BlobWriter};

/// The default size up to which an object's bytes are kept in its record.
pub const DEFAULT_INLINE_MAX: u64 = 64 * 1024;

/// A finished body: a blob, or the bytes themselves for the record.
#[derive(Debug)]
pub(crate) enum Content {
    Blob(BlobId),
    Inline(Bytes),
}

impl Content {
    /// The blob id as records store it; empty for inline bytes.
    pub(crate) fn blob_name(&self) -> String {
        match self {
            Content::Blob(id) => id.as_str().to_owned(),
            Content::Inline(_) => String::new(),
        }
    }

    pub(crate) fn inline(&self) -> Option<Bytes> {
        match self {
            Content::Blob(_) => None,
            Content::Inline(b) => Some(b.clone()),
        }
    }
}

/// Where a body goes while it streams in: memory while it fits under the inline limit, then (or
/// from the start, for a body declared larger) a new blob.
pub(crate) enum Sink<'a> {
    Memory {
        buf: BytesMut,
        limit: usize,
        blobs: &'a BlobStore,
    },
    Blob(BlobWriter),
}

impl<'a> Sink<'a> {
    /// A sink for a body of `declared` bytes (if known). `inline_max` 0 means blobs only (upload
    /// parts are always blobs: they are concatenated into one when the upload completes).
    pub(crate) async fn open(
        blobs: &'a BlobStore,
        declared: Option<u64>,
        inline_max: u64,
    ) -> Result<Sink<'a>, S3Error> {
        match declared {
            Some(n) if inline_max > 0 && n <= inline_max => Ok(Sink::Memory {
                buf: BytesMut::with_capacity(usize::try_from(n).unwrap_or(0)),
                limit: usize::try_from(inline_max).unwrap_or(usize::MAX),
                blobs,
            }),
            _ => Ok(Sink::Blob(blobs.create().await?)),
        }
    }

    pub(crate) async fn write(&mut self, data: &[u8]) -> Result<(), S3Error> {
        match self {
            Sink::Memory { buf, limit, blobs } => {
                if buf.len() + data.len() <= *limit {
                    buf.extend_from_slice(data);
                    return Ok(());
                }
                // More arrived than was declared (a body without a length): spill to a blob.
                let mut writer = blobs.create().await?;
                let spilled = writer.write(buf).await;
                let rest = match spilled {
                    Ok(()) => writer.write(data).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = rest {
                    writer.abort().await;
                    return Err(e.into());
                }
                *self = Sink::Blob(writer);
                Ok(())
            }
            Sink::Blob(w) => Ok(w.write(data).await?),
        }
    }

    /// Makes the body durable (blob) or hands the bytes to the commit (inline).
    pub(crate) async fn finish(self) -> Result<Content, S3Error> {
        match self {
            Sink::Memory { buf, .. } => Ok(Content::Inline(buf.freeze())),
            Sink::Blob(w) => Ok(Content::Blob(w.finish().await?)),
        }
    }

    pub(crate) async fn abort(self) {
        if let Sink::Blob(w) = self {
            w.abort().await;
        }
    }
}

/// An object's bytes, opened for reading.
#[derive(Debug)]
pub(crate) enum ObjectBody {
    Blob(BlobReader),
    Inline(Bytes),
}

impl ObjectBody {
    /// `len` bytes from `start` as a response body (the range was checked against the size).
    pub(crate) fn respond(self, start: u64, len: u64) -> ResponseBody {
        match self {
            ObjectBody::Blob(reader) => ResponseBody::Blob { reader, start, len },
            ObjectBody::Inline(bytes) => ResponseBody::Bytes(slice(&bytes, start, len)),
        }
    }

    /// `len` bytes from `start` as a body to copy into another object or part.
    pub(crate) fn stream(self, start: u64, len: u64) -> Result<RequestBody, S3Error> {
        match self {
            ObjectBody::Blob(reader) => {
                let stream = reader.into_stream(start, len)?.map(|chunk| {
                    chunk.map(BodyFrame::Data).map_err(|e| {
                        tracing::error!(error = %e, "reading a copy source failed");
                        BodyError {
                            code: "InternalError",
                            message: "We encountered an internal error. Please try again.".into(),
                            status: 500,
                        }
                    })
                });
                Ok(Box::pin(stream))
            }
            ObjectBody::Inline(bytes) => {
                let frame = Ok(BodyFrame::Data(slice(&bytes, start, len)));
                Ok(Box::pin(futures_util::stream::iter([frame])))
            }
        }
    }
}

/// `bytes[start..start + len]`, clamped to what exists.
fn slice(bytes: &Bytes, start: u64, len: u64) -> Bytes {
    let from = usize::try_from(start)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let to = usize::try_from(start.saturating_add(len))
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    bytes.slice(from..to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_clamp_to_the_bytes() {
        let b = Bytes::from_static(b"0123456789");
        assert_eq!(slice(&b, 2, 3), Bytes::from_static(b"234"));
        assert_eq!(slice(&b, 8, 5), Bytes::from_static(b"89"));
        assert_eq!(slice(&b, 20, 5), Bytes::new());
        assert_eq!(slice(&b, u64::MAX, u64::MAX), Bytes::new());
    }

    #[tokio::test]
    async fn a_body_larger_than_declared_spills_to_a_blob() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open_dir(dir.path()).unwrap();
        let mut sink = Sink::open(&blobs, Some(4), 8).await.unwrap();
        sink.write(b"abcd").await.unwrap();
        assert!(matches!(sink, Sink::Memory { .. }));
        sink.write(b"efghij").await.unwrap();
        let Content::Blob(id) = sink.finish().await.unwrap() else {
            panic!("ten bytes over an eight-byte limit must be a blob")
        };
        let reader = blobs.open(&id).await.unwrap();
        let mut stream = reader.into_stream(0, 10).unwrap();
        let mut got = Vec::new();
        while let Some(chunk) = stream.next().await {
            got.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(got, b"abcdefghij");
    }

    #[tokio::test]
    async fn small_declared_bodies_stay_in_memory_and_large_ones_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open_dir(dir.path()).unwrap();
        let mut sink = Sink::open(&blobs, Some(3), 8).await.unwrap();
        sink.write(b"xyz").await.unwrap();
        assert_eq!(
            sink.finish().await.unwrap().inline(),
            Some(Bytes::from_static(b"xyz"))
        );
        for (declared, max) in [(Some(9), 8), (None, 8), (Some(0), 0), (Some(3), 0)] {
            let sink = Sink::open(&blobs, declared, max).await.unwrap();
            let blob = matches!(sink, Sink::Blob(_));
            sink.abort().await;
            assert!(blob, "{declared:?} / {max}");
        }
    }
}
