//! The backends every store test runs against: one set of tests, two backends. SQLite always;
//! PostgreSQL when `TESSERA_TEST_POSTGRES` holds a URL (e.g.
//! `postgres://tessera:tessera@127.0.0.1:5432/tessera`, as `scripts/test.sh` exports), otherwise
//! the PostgreSQL case is skipped with a printed note.
//!
//! Isolation on one database: each PostgreSQL test database is a fresh schema
//! (`t_<pid>_<n>`), selected through the URL's `options=-csearch_path%3D<schema>`, so tests run in
//! parallel without seeing each other's keys or notifications; it is dropped at the end.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::sync::atomic::{AtomicU64, Ordering};

use tessera_store::Store;

pub const POSTGRES_ENV: &str = "TESSERA_TEST_POSTGRES";

static NEXT_SCHEMA: AtomicU64 = AtomicU64::new(0);

/// One database to run a test against.
pub struct TestDb {
    kind: Kind,
}

enum Kind {
    Sqlite(tempfile::TempDir),
    Postgres {
        /// The URL as given, for administrative statements.
        admin_url: String,
        /// The URL selecting this test's schema.
        url: String,
        schema: String,
    },
}

/// A fresh SQLite database, and a fresh PostgreSQL schema if PostgreSQL is configured.
pub fn test_dbs() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite()];
    match TestDb::postgres() {
        Some(db) => dbs.push(db),
        None => eprintln!("note: {POSTGRES_ENV} is unset; skipping the PostgreSQL case"),
    }
    dbs
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        TestDb {
            kind: Kind::Sqlite(tempfile::tempdir().expect("tempdir")),
        }
    }

    /// A fresh schema on the configured PostgreSQL, or `None` if none is configured.
    pub fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())?;
        let schema = format!(
            "t_{}_{}",
            std::process::id(),
            NEXT_SCHEMA.fetch_add(1, Ordering::Relaxed)
        );
        pg_exec(
            &admin_url,
            &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"),
        );
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-csearch_path%3D{schema}");
        Some(TestDb {
            kind: Kind::Postgres {
                admin_url,
                url,
                schema,
            },
        })
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Sqlite(_) => "sqlite",
            Kind::Postgres { .. } => "postgres",
        }
    }

    /// The location to give [`Store::open`].
    pub fn spec(&self) -> String {
        match &self.kind {
            Kind::Sqlite(dir) => dir.path().display().to_string(),
            Kind::Postgres { url, .. } => url.clone(),
        }
    }

    /// Opens a store handle (for PostgreSQL: another "node" on the same schema each time).
    pub fn open(&self) -> Store {
        eprintln!("== backend: {}", self.name());
        self.try_open().expect("open store")
    }

    pub fn try_open(&self) -> Result<Store, tessera_store::StoreError> {
        match &self.kind {
            Kind::Sqlite(dir) => Store::open_sqlite(dir.path()),
            Kind::Postgres { url, .. } => Store::open_postgres(url),
        }
    }

    pub fn sqlite_dir(&self) -> Option<&std::path::Path> {
        match &self.kind {
            Kind::Sqlite(dir) => Some(dir.path()),
            Kind::Postgres { .. } => None,
        }
    }

    pub fn schema(&self) -> Option<&str> {
        match &self.kind {
            Kind::Sqlite(_) => None,
            Kind::Postgres { schema, .. } => Some(schema),
        }
    }

    /// Runs SQL in this test's schema (PostgreSQL only).
    pub fn pg_exec(&self, sql: &str) {
        let Kind::Postgres {
            admin_url, schema, ..
        } = &self.kind
        else {
            panic!("pg_exec on a SQLite test database");
        };
        pg_exec(admin_url, &format!("SET search_path = {schema}; {sql}"));
    }

    /// Runs a query returning one bigint (PostgreSQL only).
    pub fn pg_query_i64(&self, sql: &str) -> i64 {
        let Kind::Postgres { admin_url, .. } = &self.kind else {
            panic!("pg_query_i64 on a SQLite test database");
        };
        let (url, sql) = (admin_url.clone(), sql.to_owned());
        off_runtime(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            client.query_one(&sql, &[]).expect("query").get(0)
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Kind::Postgres {
            admin_url, schema, ..
        } = &self.kind
        {
            // Never panic in drop (it may run while a failed test unwinds): a leftover schema is
            // dropped by the next run that reuses its name.
            let (url, sql) = (
                admin_url.clone(),
                format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
            );
            let dropped = std::thread::spawn(move || {
                postgres::Client::connect(&url, postgres::NoTls)
                    .and_then(|mut client| client.batch_execute(&sql))
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("note: could not drop test schema {schema}");
            }
        }
    }
}

/// Runs `f` on a thread of its own: the synchronous PostgreSQL client must not run on a thread
/// that drives async tasks.
fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match std::thread::spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn pg_exec(url: &str, sql: &str) {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    off_runtime(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        client.batch_execute(&sql).expect("admin SQL");
    });
}
