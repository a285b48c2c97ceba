//! Durable blob storage for object bodies: bytes go in through a streaming [`BlobWriter`] and come
//! out through a [`BlobReader`] in bounded chunks, so no caller ever holds a whole object in memory.
//!
//! Layout:
//! - [`BlobStore`] (`store.rs`): the handle callers hold; picks the backend.
//! - `dir.rs`: the filesystem backend (temporary file, fsync, rename, fsync of the directory).
//! - [`BlobId`] (`id.rs`): the opaque, validated name of one blob.
//! - [`BlobError`] (`error.rs`): the crate's one error type.
//!
//! Guarantees: a blob is visible (to `open` and to a sweep) only once [`BlobWriter::finish`]
//! returned, and then it is durable; an unfinished writer leaves nothing behind once dropped;
//! blob names are generated here, never derived from caller data, so no key can escape the
//! directory.
//!
//! Must never: know S3, HTTP or the metadata store; decide which blobs are garbage (callers supply
//! the referenced set to [`BlobStore::sweep_orphans`]).

mod dir;
mod error;
mod id;
mod store;

pub use error::BlobError;
pub use id::BlobId;
pub use store::{BlobReader, BlobStore, BlobStream, BlobWriter, SweepReport, READ_CHUNK};
