//! The versioned schema in PostgreSQL. Owns every migration and the advisory lock that lets
//! several nodes start at once; must never hold domain knowledge (services define records on top
//! of `kv`).

use postgres::Client;

use crate::StoreError;

/// Migration `i` brings the schema from version `i` to `i + 1`. Append only: a released migration
/// is never edited, because databases in the field already ran it.
const MIGRATIONS: &[&str] = &[
    // 1: the key-value table. COLLATE "C" makes keys compare bytewise (their UTF-8 bytes), as on
    // SQLite, so scans page in the same order on both backends; the primary key's B-tree serves
    // prefix scans as one index range.
    r#"CREATE TABLE kv (
        ns    text COLLATE "C" NOT NULL,
        key   text COLLATE "C" NOT NULL,
        value bytea NOT NULL,
        PRIMARY KEY (ns, key)
    )"#,
];

/// First key of the two-key advisory lock held while migrating ("tess"); the second is the
/// schema's hash, so deployments in different schemas of one database do not wait for each other.
/// Two-key advisory locks never collide with the one-key locks of [`super::pg_tx`].
const MIGRATION_LOCK: i32 = 0x7465_7373;

/// The schema version this build writes.
pub(crate) fn current_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// Applies every migration the database has not run yet, in one transaction, while holding the
/// migration lock: a node that starts while another migrates waits, then finds nothing to do.
pub(crate) fn migrate(client: &mut Client) -> Result<(), StoreError> {
    client.execute(
        "SELECT pg_advisory_lock($1, hashtext(current_schema()))",
        &[&MIGRATION_LOCK],
    )?;
    let outcome = apply(client);
    let unlocked = client.execute(
        "SELECT pg_advisory_unlock($1, hashtext(current_schema()))",
        &[&MIGRATION_LOCK],
    );
    outcome?;
    unlocked?;
    Ok(())
}

fn apply(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version bigint NOT NULL)")?;
    let rows = tx.query("SELECT version FROM schema_version", &[])?;
    let found: i64 = match rows.as_slice() {
        [] => {
            tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[])?;
            0
        }
        [row] => row.get(0),
        _ => {
            return Err(StoreError::Corrupt(format!(
                "schema_version has {} rows instead of one",
                rows.len()
            )))
        }
    };
    let supported = current_version();
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    let done = usize::try_from(found)
        .map_err(|_| StoreError::Corrupt(format!("negative schema version {found}")))?;
    for migration in MIGRATIONS.iter().skip(done) {
        tx.batch_execute(migration)?;
    }
    tx.execute("UPDATE schema_version SET version = $1", &[&supported])?;
    tx.commit()?;
    Ok(())
}
