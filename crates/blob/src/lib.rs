//! Durable blob storage for object bodies: bytes go in through a streaming [`BlobWriter`] and come
//! out through a [`BlobReader`] in bounded chunks, so no caller ever holds a whole object in memory.
//!
//! Layout:
//! - [`BlobStore`] (`store.rs`): the handle callers hold; picks the backend.
//! - `dir.rs`: the filesystem backend (temporary file, fsync, rename, fsync of the directory).
//! - `chunked/`: the in-store backend (chunks in [`tessera_store::Store`], so several nodes on one
//!   PostgreSQL database share blobs; a sweep with a grace period so nodes never remove each
//!   other's uploads).
//! - [`BlobId`] (`id.rs`): the opaque, validated name of one blob.
//! - [`BlobError`] (`error.rs`): the crate's one error type.
//!
//! Guarantees: a blob is readable only once [`BlobWriter::finish`] returned, and then it is
//! durable; an unfinished writer leaves nothing behind once aborted or dropped (in-store: once the
//! cleanup task it spawns has run, or the next sweep after the grace period); blob names are
//! generated here, never derived from caller data, so no key can escape the directory.
//!
//! Must never: know S3, HTTP or the metadata store; decide which blobs are garbage (callers supply
//! the referenced set to [`BlobStore::sweep_orphans`]).

mod chunked;
mod dir;
mod error;
mod id;
mod store;

pub use error::BlobError;
pub use id::BlobId;
pub use store::{
    BlobReader, BlobStore, BlobStream, BlobWriter, SweepReport, DEFAULT_SWEEP_GRACE, READ_CHUNK,
};
