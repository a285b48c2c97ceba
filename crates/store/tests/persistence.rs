//! What the store leaves behind: data surviving close and reopen (both backends), file
//! permissions and clean shutdown (SQLite), and refusing databases it cannot trust.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tessera_store::{Namespace, Store, StoreError};

const NS: Namespace = "test.kv";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn data_survives_dropping_and_reopening() {
    for db in common::test_dbs() {
        {
            let store = db.open();
            store
                .write(|tx| {
                    for i in 0..100 {
                        tx.put(NS, &format!("k/{i:03}"), format!("v{i}").as_bytes())?;
                    }
                    tx.delete(NS, "k/050")?;
                    Ok::<_, StoreError>(())
                })
                .await
                .expect("write");
            let kept = store.clone();
            drop(store);
            kept.write(|tx| tx.put(NS, "late", b"after one clone was dropped"))
                .await
                .expect("write through the remaining clone");
        }
        if let Some(dir) = db.sqlite_dir() {
            // The last handle is gone: the writer has closed the database, which checkpoints
            // and removes the WAL file.
            assert!(
                !dir.join("tessera.db-wal").exists(),
                "WAL left behind after close"
            );
        }

        let store = db.open();
        let (all, late) = store
            .read(|tx| Ok::<_, StoreError>((tx.scan(NS, "k/", None, 1000)?, tx.get(NS, "late")?)))
            .await
            .expect("read");
        assert_eq!(all.len(), 99);
        assert!(all.iter().all(|(k, _)| k != "k/050"));
        assert_eq!(all[0], ("k/000".to_owned(), b"v0".to_vec()));
        assert!(late.is_some());
    }
}

#[test]
fn write_blocking_works_without_a_runtime() {
    for db in common::test_dbs() {
        let store = db.open();
        let existed = store
            .write_blocking(|tx| {
                tx.put(NS, "root", b"key")?;
                tx.delete(NS, "root")
            })
            .expect("bootstrap write");
        assert!(existed);
        let failed: Result<(), StoreError> = store.write_blocking(|tx| {
            tx.put(NS, "half", b"done")?;
            Err(StoreError::Backend("bootstrap rejected".into()))
        });
        assert_eq!(
            failed,
            Err(StoreError::Backend("bootstrap rejected".into()))
        );
        let half = store
            .write_blocking(|tx| tx.get(NS, "half"))
            .expect("check");
        assert_eq!(half, None);
    }
}

#[test]
fn open_picks_the_backend_from_the_location() {
    for db in common::test_dbs() {
        let spec = db.spec();
        let store = Store::open(Some(&spec), Path::new("/nonexistent/unused")).expect("open");
        store
            .write_blocking(|tx| tx.put(NS, "k", b"v"))
            .expect("write");
        drop(store);
        let again = db.open();
        let value = again.write_blocking(|tx| tx.get(NS, "k")).expect("read");
        assert_eq!(value.as_deref(), Some(&b"v"[..]), "{}", db.name());
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for spec in [None, Some(""), Some("sqlite")] {
        let store = Store::open(spec, dir.path()).expect("open the data directory");
        drop(store);
        assert!(dir.path().join("tessera.db").exists(), "{spec:?}");
    }
    match Store::open(Some("postgres://host:notaport/db"), dir.path()) {
        Err(StoreError::Config(_)) => {}
        Err(other) => panic!("expected Config, got {other:?}"),
        Ok(_) => panic!("opened a malformed URL"),
    }
}

#[tokio::test]
async fn creates_a_private_directory_and_private_files() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("data").join("tessera");
    let store = Store::open_sqlite(&dir).expect("open");
    store
        .write(|tx| tx.put(NS, "k", b"v"))
        .await
        .expect("write");
    assert_eq!(mode(&dir), 0o700);
    for file in ["tessera.db", "tessera.db-wal", "tessera.db-shm"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
}

#[test]
fn narrows_an_existing_database_file_to_0600() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("tessera.db");
    drop(Store::open_sqlite(dir.path()).expect("create"));
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let _store = Store::open_sqlite(dir.path()).expect("reopen");
    assert_eq!(mode(&db), 0o600);
}

#[test]
fn refuses_a_file_that_is_not_a_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("tessera.db"), vec![0xA5; 8192]).expect("write garbage");
    match Store::open_sqlite(dir.path()) {
        Err(StoreError::Corrupt(_)) => {}
        Err(other) => panic!("expected Corrupt, got {other:?}"),
        Ok(_) => panic!("opened a garbage file as a database"),
    }
}

#[test]
fn refuses_a_schema_newer_than_this_build() {
    for db in common::test_dbs() {
        drop(db.open());
        match db.sqlite_dir() {
            Some(dir) => {
                let conn = rusqlite::Connection::open(dir.join("tessera.db")).expect("raw open");
                conn.execute(
                    "UPDATE meta SET value = 99 WHERE key = 'schema_version'",
                    [],
                )
                .expect("bump version");
            }
            None => db.pg_exec("UPDATE schema_version SET version = 99"),
        }
        match db.try_open() {
            Err(StoreError::SchemaTooNew {
                found: 99,
                supported: 1,
            }) => {}
            Err(other) => panic!("{}: expected SchemaTooNew, got {other:?}", db.name()),
            Ok(_) => panic!("{}: opened a database from the future", db.name()),
        }
    }
}

#[test]
fn reports_a_data_directory_it_cannot_create() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").expect("write");
    match Store::open_sqlite(&file.join("data")) {
        Err(StoreError::Io { path, .. }) => assert!(path.ends_with("data"), "{path}"),
        Err(other) => panic!("expected Io, got {other:?}"),
        Ok(_) => panic!("created a directory under a file"),
    }
}
