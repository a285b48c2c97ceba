//! Opening PostgreSQL sessions: parsing the URL once, the client settings tessera adds (timeouts,
//! keepalives, an application name per role), and the checks and settings every session gets
//! before use. Must never run a query on behalf of a caller, nor log the URL (it may hold a
//! password).

use std::time::Duration;

use postgres::{Client, Config, NoTls};

use super::statements::Statements;
use crate::StoreError;

/// Bounds how long opening a connection may block a writer, a reader or `Store::open_postgres`,
/// unless the URL sets `connect_timeout` itself.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A writer transaction is never legitimately idle this long (a job's closure must not block);
/// if a node stalls or vanishes mid-transaction, the server ends the session and releases its row
/// locks instead of blocking every other node.
const IDLE_IN_TRANSACTION_TIMEOUT: &str = "60s";

/// What a connection is for; names it in `pg_stat_activity` and picks its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Writer,
    Reader,
    Listener,
}

impl Role {
    fn application_name(self) -> &'static str {
        match self {
            Role::Writer => "tessera-writer",
            Role::Reader => "tessera-reader",
            Role::Listener => "tessera-listener",
        }
    }
}

/// Where the store lives: the parsed URL plus tessera's client settings.
pub(crate) struct Target {
    config: Config,
}

/// An open connection with the store's statements prepared on it.
pub(crate) struct Session {
    pub(crate) client: Client,
    pub(crate) statements: Statements,
    /// The schema holding the tables (the connection's `current_schema()`); it also names the
    /// deployment's notification channel and salts its row-lock keys.
    pub(crate) schema: String,
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Target, StoreError> {
        let mut config: Config = url
            .parse()
            .map_err(|e: postgres::Error| StoreError::Config(format!("PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // TCP keepalives notice a server (or network) that vanished without closing the
        // connection within about half a minute, instead of the kernel's two hours.
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(15))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3);
        Ok(Target { config })
    }

    /// Connects and checks the session; returns it with its current schema.
    pub(crate) fn connect(&self, role: Role) -> Result<(Client, String), StoreError> {
        let mut config = self.config.clone();
        if config.get_application_name().is_none() {
            config.application_name(role.application_name());
        }
        let mut client = config.connect(NoTls)?;
        let schema = configure(&mut client, role)?;
        Ok((client, schema))
    }

    /// A writer's or reader's session: connected, checked, statements prepared.
    pub(crate) fn session(&self, role: Role) -> Result<Session, StoreError> {
        let (client, schema) = self.connect(role)?;
        Session::new(client, schema)
    }
}

impl Session {
    /// Prepares the store's statements on a connection whose schema is migrated.
    pub(crate) fn new(mut client: Client, schema: String) -> Result<Session, StoreError> {
        let statements = Statements::prepare(&mut client)?;
        Ok(Session {
            client,
            statements,
            schema,
        })
    }
}

/// Checks what the store relies on and applies per-role settings; returns the current schema.
fn configure(client: &mut Client, role: Role) -> Result<String, StoreError> {
    let row = client.query_one(
        "SELECT current_schema(), current_setting('server_encoding'),
                current_setting('synchronous_commit')",
        &[],
    )?;
    let schema: Option<String> = row.get(0);
    let encoding: String = row.get(1);
    let synchronous_commit: String = row.get(2);
    let Some(schema) = schema else {
        return Err(StoreError::Config(
            "the connection's search_path names no existing schema to keep the tables in".into(),
        ));
    };
    // Keys are Rust strings compared bytewise; only UTF-8 stores every one of them unchanged.
    if encoding != "UTF8" {
        return Err(StoreError::Config(format!(
            "the database's encoding is {encoding}; tessera needs UTF8"
        )));
    }
    if role == Role::Writer {
        // A commit is the durability point: it must not return before the WAL is flushed.
        // Stronger server settings (remote_write, remote_apply with synchronous standbys) stay.
        if synchronous_commit == "off" {
            client.batch_execute("SET synchronous_commit = on")?;
        }
        client.batch_execute(&format!(
            "SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION_TIMEOUT}'"
        ))?;
    }
    Ok(schema)
}

/// `name` as a quoted SQL identifier.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
