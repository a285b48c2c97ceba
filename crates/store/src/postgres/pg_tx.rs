//! [`Tx`] over a PostgreSQL session that already has a transaction open. Owns the SQL semantics of
//! each operation, including the locks that make a write transaction's read-modify-write safe
//! against other nodes; must never begin, commit, roll back or manage savepoints (the writer and
//! the read pool do that).
//!
//! Locking in write transactions (READ COMMITTED, every statement sees the newest committed data):
//! - `get` of an existing key locks its row (`FOR UPDATE`); a `get` blocked by another node's
//!   lock returns the value that node committed. `get` of a missing key takes a transaction-level
//!   advisory lock on the key's hash and looks again, so two transactions that both saw "missing"
//!   cannot both go on to create the key.
//! - `put` updates the row in place when it exists (which locks it); otherwise it takes the same
//!   key lock, then inserts (or, if another node inserted meanwhile, overwrites). One statement.
//! - `delete` locks the row it deletes.
//! - `scan` and `count_range` take no locks.
//!
//! Every lock is held until the enclosing batch commits or the job's savepoint is rolled back.

use postgres::types::ToSql;
use postgres::Row;

use super::connect::Session;
use crate::{notify, Namespace, StoreError, TryGet, Tx};

/// What a transaction may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Read,
    Write,
}

pub(crate) struct PgTx<'s> {
    session: &'s mut Session,
    mode: Mode,
    /// The first statement error, if any. PostgreSQL aborts the (sub)transaction at an error, so a
    /// job whose closure swallows an error and returns `Ok` must still be rolled back and answered
    /// with this error, never with a false `Ok`.
    failure: Option<StoreError>,
    /// Advisory key locks taken; the writer bounds them per commit (they use shared memory).
    key_locks: usize,
}

impl<'s> PgTx<'s> {
    pub(crate) fn new(session: &'s mut Session, mode: Mode) -> Self {
        PgTx {
            session,
            mode,
            failure: None,
            key_locks: 0,
        }
    }

    pub(crate) fn failure(&self) -> Option<&StoreError> {
        self.failure.as_ref()
    }

    pub(crate) fn key_locks(&self) -> usize {
        self.key_locks
    }

    fn check_writable(&self) -> Result<(), StoreError> {
        match self.mode {
            Mode::Write => Ok(()),
            Mode::Read => Err(StoreError::ReadOnly),
        }
    }

    /// Records the first failure of a statement that reached the server.
    fn checked<T>(&mut self, outcome: Result<T, postgres::Error>) -> Result<T, StoreError> {
        outcome.map_err(|e| {
            let err = StoreError::from(e);
            if self.failure.is_none() {
                self.failure = Some(err.clone());
            }
            err
        })
    }

    fn query_opt(
        &mut self,
        pick: fn(&super::statements::Statements) -> &postgres::Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        let session = &mut *self.session;
        let outcome = session.client.query_opt(pick(&session.statements), params);
        self.checked(outcome)
    }

    fn execute(
        &mut self,
        pick: fn(&super::statements::Statements) -> &postgres::Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let session = &mut *self.session;
        let outcome = session.client.execute(pick(&session.statements), params);
        self.checked(outcome)
    }

    fn lock_key(&mut self, ns: &str, key: &str) -> Result<(), StoreError> {
        let id = key_lock_id(&self.session.schema, ns, key);
        self.execute(|s| &s.lock_key, &[&id])?;
        self.key_locks += 1;
        Ok(())
    }

    fn select_value(&mut self, ns: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = match self.mode {
            Mode::Read => self.query_opt(|s| &s.get, &[&ns, &key])?,
            Mode::Write => self.query_opt(|s| &s.get_for_update, &[&ns, &key])?,
        };
        Ok(row.map(|row| row.get(0)))
    }
}

/// PostgreSQL `text` cannot hold NUL; refusing it here keeps the transaction usable.
fn check_text(what: &str, value: &str) -> Result<(), StoreError> {
    if value.contains('\0') {
        Err(StoreError::InvalidKey(format!("{what} contains NUL")))
    } else {
        Ok(())
    }
}

fn check_key(ns: &str, key: &str) -> Result<(), StoreError> {
    check_text("namespace", ns)?;
    check_text("key", key)
}

/// The advisory-lock id of a key: FNV-1a (64-bit) over schema, namespace and key, separated by a
/// byte UTF-8 never contains. Stable across builds and platforms, because nodes of different
/// versions must agree on it. A collision only makes two keys share a lock.
pub(crate) fn key_lock_id(schema: &str, ns: &str, key: &str) -> i64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for part in [schema, ns, key] {
        for &byte in part.as_bytes().iter().chain(&[0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    i64::from_le_bytes(hash.to_le_bytes())
}

/// The smallest string greater than every string that starts with `prefix` (bytewise), if any:
/// the prefix with its last character replaced by the next one. UTF-8 preserves code-point order
/// and no encoding is a prefix of another, so `[prefix, upper)` holds exactly the keys starting
/// with `prefix`. `None` when the prefix is empty or only U+10FFFF characters.
pub(crate) fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(u32::from(c) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A notification as carried on the deployment's one PostgreSQL channel:
/// `<channel length>:<channel><payload>`.
pub(crate) fn encode_notification(channel: &str, payload: &str) -> String {
    format!("{}:{channel}{payload}", channel.len())
}

/// The inverse of [`encode_notification`]; `None` for a message some other program sent.
pub(crate) fn decode_notification(message: &str) -> Option<(&str, &str)> {
    let (len, rest) = message.split_once(':')?;
    let len: usize = len.parse().ok()?;
    if !rest.is_char_boundary(len) {
        return None;
    }
    Some(rest.split_at(len))
}

impl Tx for PgTx<'_> {
    fn get(&mut self, ns: Namespace, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        check_key(ns, key)?;
        let found = self.select_value(ns, key)?;
        if found.is_some() || self.mode == Mode::Read {
            return Ok(found);
        }
        self.lock_key(ns, key)?;
        // A new statement, so a new snapshot: it sees a row committed while we waited.
        self.select_value(ns, key)
    }

    fn get_unless_locked(&mut self, ns: Namespace, key: &str) -> Result<TryGet, StoreError> {
        check_key(ns, key)?;
        if self.mode == Mode::Read {
            return Ok(match self.query_opt(|s| &s.get, &[&ns, &key])? {
                Some(row) => TryGet::Found(row.get(0)),
                None => TryGet::Missing,
            });
        }
        if let Some(row) = self.query_opt(|s| &s.get_skip_locked, &[&ns, &key])? {
            return Ok(TryGet::Found(row.get(0)));
        }
        // Nothing came back: either there is no such row, or another transaction holds it.
        Ok(match self.query_opt(|s| &s.get, &[&ns, &key])? {
            Some(_) => TryGet::Locked,
            None => TryGet::Missing,
        })
    }

    fn put(&mut self, ns: Namespace, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check_writable()?;
        check_key(ns, key)?;
        let id = key_lock_id(&self.session.schema, ns, key);
        let session = &mut *self.session;
        let outcome = session
            .client
            .query_one(&session.statements.put, &[&ns, &key, &value, &id]);
        let locked: i64 = self.checked(outcome)?.get(0);
        if locked > 0 {
            self.key_locks += 1;
        }
        Ok(())
    }

    fn delete(&mut self, ns: Namespace, key: &str) -> Result<bool, StoreError> {
        self.check_writable()?;
        check_key(ns, key)?;
        Ok(self.execute(|s| &s.delete, &[&ns, &key])? > 0)
    }

    fn scan(
        &mut self,
        ns: Namespace,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        check_text("namespace", ns)?;
        check_text("prefix", prefix)?;
        // The run of keys with the prefix starts at the prefix itself (or after `start_after`
        // when that lies inside or beyond the run) and ends before `upper`.
        let (exclusive, lower) = match start_after {
            Some(after) if after >= prefix => (true, after),
            _ => (false, prefix),
        };
        check_text("start_after", lower)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let upper = prefix_upper_bound(prefix);
        let session = &mut *self.session;
        let statement =
            &session.statements.scan[usize::from(exclusive)][usize::from(upper.is_some())];
        let outcome = match &upper {
            Some(upper) => session
                .client
                .query(statement, &[&ns, &lower, upper, &limit]),
            None => session.client.query(statement, &[&ns, &lower, &limit]),
        };
        let rows = self.checked(outcome)?;
        Ok(rows
            .into_iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect())
    }

    fn count_range(&mut self, ns: Namespace, from: &str, to: &str) -> Result<u64, StoreError> {
        check_text("namespace", ns)?;
        check_text("range start", from)?;
        check_text("range end", to)?;
        let session = &mut *self.session;
        let outcome = session
            .client
            .query_one(&session.statements.count_range, &[&ns, &from, &to]);
        let count: i64 = self.checked(outcome)?.get(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }

    fn notify(&mut self, channel: Namespace, payload: &str) -> Result<(), StoreError> {
        self.check_writable()?;
        notify::validate(channel, payload)?;
        let message = encode_notification(channel, payload);
        let session = &mut *self.session;
        let outcome = session
            .client
            .execute(&session.statements.notify, &[&session.schema, &message]);
        self.checked(outcome)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bound_of_a_prefix_bounds_exactly_its_keys() {
        // (prefix, expected bound)
        let cases: &[(&str, Option<&str>)] = &[
            ("", None),
            ("a/", Some("a0")),
            ("ab", Some("ac")),
            ("é", Some("ê")),
            ("a\u{D7FF}", Some("a\u{E000}")),
            ("a\u{10FFFF}", Some("b")),
            ("\u{10FFFF}\u{10FFFF}", None),
        ];
        for &(prefix, expected) in cases {
            assert_eq!(
                prefix_upper_bound(prefix).as_deref(),
                expected,
                "{prefix:?}"
            );
        }
        for key in ["a/", "a/\u{10FFFF}", "a/\u{10FFFF}\u{10FFFF}zz", "a/é"] {
            assert!(key.as_bytes() < "a0".as_bytes(), "{key:?}");
        }
    }

    #[test]
    fn notifications_round_trip_through_their_encoding() {
        for (channel, payload) in [("sqs.queue", "q1"), ("c", ""), ("ch:x", "12:ab"), ("", "é")] {
            let message = encode_notification(channel, payload);
            assert_eq!(decode_notification(&message), Some((channel, payload)));
        }
        for foreign in ["", "hello", "x:abc", "9:short", "1:\u{e9}"] {
            assert_eq!(decode_notification(foreign), None, "{foreign:?}");
        }
    }

    #[test]
    fn key_lock_ids_are_stable_and_separate_their_parts() {
        // Pinned: nodes of different builds must compute the same id.
        assert_eq!(
            key_lock_id("public", "ns", "k"),
            key_lock_id("public", "ns", "k")
        );
        assert_ne!(
            key_lock_id("public", "ns", "k"),
            key_lock_id("public", "nsk", "")
        );
        assert_ne!(key_lock_id("a", "ns", "k"), key_lock_id("b", "ns", "k"));
    }
}
