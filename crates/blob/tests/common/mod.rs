//! The backends every blob test runs against: the filesystem backend, the in-store backend on
//! SQLite (always), and the in-store backend on PostgreSQL when `TESSERA_TEST_POSTGRES` holds a URL
//! (e.g. `postgres://tessera:tessera@127.0.0.1:5432/tessera`); otherwise the PostgreSQL case is
//! skipped with a printed note.
//!
//! Isolation on one database: each PostgreSQL fixture is a fresh schema (`blob_<pid>_<n>`),
//! selected through the URL's `options=-csearch_path%3D<schema>`, and dropped at the end.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tessera_blob::BlobStore;
use tessera_store::{Namespace, Store, StoreError};

pub const POSTGRES_ENV: &str = "TESSERA_TEST_POSTGRES";

/// The namespaces the in-store backend documents for its chunks and records.
pub const CHUNK_NS: Namespace = "blob.chunk";
pub const META_NS: Namespace = "blob.meta";

static NEXT_SCHEMA: AtomicU64 = AtomicU64::new(0);

/// One place blobs can live.
pub enum Fixture {
    Dir(tempfile::TempDir),
    Sqlite(tempfile::TempDir),
    Postgres {
        admin_url: String,
        url: String,
        schema: String,
    },
}

/// A blob store opened on a fixture, with the metadata store under it (in-store backends).
pub struct Node {
    pub blobs: BlobStore,
    pub kv: Option<Store>,
    root: Option<PathBuf>,
}

/// Every backend.
pub fn all() -> Vec<Fixture> {
    let mut out = vec![Fixture::Dir(tempdir())];
    out.extend(in_store());
    out
}

/// The in-store backends: SQLite, and PostgreSQL if configured.
pub fn in_store() -> Vec<Fixture> {
    let mut out = vec![Fixture::Sqlite(tempdir())];
    match postgres_fixture() {
        Some(f) => out.push(f),
        None => eprintln!("note: {POSTGRES_ENV} is unset; skipping the PostgreSQL case"),
    }
    out
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

fn postgres_fixture() -> Option<Fixture> {
    let admin_url = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())?;
    let schema = format!(
        "blob_{}_{}",
        std::process::id(),
        NEXT_SCHEMA.fetch_add(1, Ordering::Relaxed)
    );
    pg_exec(
        &admin_url,
        &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"),
    )
    .expect("create test schema");
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema}");
    Some(Fixture::Postgres {
        admin_url,
        url,
        schema,
    })
}

impl Fixture {
    pub fn name(&self) -> &'static str {
        match self {
            Fixture::Dir(_) => "dir",
            Fixture::Sqlite(_) => "sqlite",
            Fixture::Postgres { .. } => "postgres",
        }
    }

    fn open_store(&self) -> Option<Store> {
        match self {
            Fixture::Dir(_) => None,
            Fixture::Sqlite(dir) => Some(Store::open_sqlite(dir.path()).expect("open sqlite")),
            Fixture::Postgres { url, .. } => Some(Store::open_postgres(url).expect("open pg")),
        }
    }

    /// Opens a node (for the in-store backends, a new `Store` handle each time: another "node").
    pub fn open(&self) -> Node {
        self.open_with_grace(tessera_blob::DEFAULT_SWEEP_GRACE)
    }

    /// As [`Fixture::open`], with a sweep grace period (ignored by the filesystem backend).
    pub fn open_with_grace(&self, grace: Duration) -> Node {
        match self {
            Fixture::Dir(dir) => {
                let root = dir.path().join("blobs");
                Node {
                    blobs: BlobStore::open_dir(&root).expect("open dir"),
                    kv: None,
                    root: Some(root),
                }
            }
            _ => {
                let kv = self.open_store().expect("in-store fixture");
                Node {
                    blobs: BlobStore::open_in_store_with_grace(kv.clone(), grace),
                    kv: Some(kv),
                    root: None,
                }
            }
        }
    }
}

impl Node {
    /// Files (filesystem) or chunk and meta records (in-store) left in the backend.
    pub async fn leftovers(&self) -> usize {
        match (&self.kv, &self.root) {
            (Some(kv), _) => {
                let (chunks, metas) = kv
                    .read(|tx| -> Result<_, StoreError> {
                        Ok((
                            tx.count_range(CHUNK_NS, "", "\u{7f}")?,
                            tx.count_range(META_NS, "", "\u{7f}")?,
                        ))
                    })
                    .await
                    .expect("count records");
                usize::try_from(chunks + metas).expect("count fits")
            }
            (None, Some(root)) => files_under(root).len(),
            (None, None) => 0,
        }
    }

    /// Waits (bounded) until the backend holds `n` leftovers: a dropped writer cleans up in a
    /// task of its own.
    pub async fn wait_for_leftovers(&self, n: usize) -> usize {
        let mut seen = self.leftovers().await;
        for _ in 0..600 {
            if seen == n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            seen = self.leftovers().await;
        }
        seen
    }

    /// The ids of every blob record (in-store), finished or not.
    pub async fn meta_keys(&self) -> Vec<String> {
        let kv = self.kv.as_ref().expect("in-store node");
        kv.read(|tx| -> Result<_, StoreError> {
            Ok(tx
                .scan(META_NS, "", None, 10_000)?
                .into_iter()
                .map(|(k, _)| k)
                .collect())
        })
        .await
        .expect("scan meta")
    }
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Fixture::Postgres {
            admin_url, schema, ..
        } = self
        {
            // Never panic in drop (it may run while a failed test unwinds).
            if pg_exec(
                admin_url,
                &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
            )
            .is_err()
            {
                eprintln!("note: could not drop test schema {schema}");
            }
        }
    }
}

/// Runs SQL on a thread of its own: the synchronous PostgreSQL client must not run on a thread
/// that drives async tasks.
fn pg_exec(url: &str, sql: &str) -> Result<(), String> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        postgres::Client::connect(&url, postgres::NoTls)
            .and_then(|mut client| client.batch_execute(&sql))
            .map_err(|e| e.to_string())
    })
    .join()
    .map_err(|_| "admin thread panicked".to_owned())?
}
