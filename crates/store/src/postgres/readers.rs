//! The pool of PostgreSQL read sessions. Owns opening them lazily (up to a bound), snapshot
//! transactions on them, replacing dead ones, and closing idle ones off any async runtime. Must
//! never write.

use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use super::connect::{Role, Session, Target};
use super::pg_tx::{Mode, PgTx};
use crate::{StoreError, Tx};

const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

pub(crate) struct ReadPool {
    target: Arc<Target>,
    max: usize,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<Session>,
    /// Sessions that exist, idle or lent out.
    open: usize,
}

impl ReadPool {
    pub(crate) fn new(target: Arc<Target>, max: usize) -> Self {
        ReadPool {
            target,
            max: max.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        }
    }

    /// Runs `body` in a `REPEATABLE READ READ ONLY` transaction: every statement inside sees the
    /// snapshot taken at its first one.
    pub(crate) fn with_snapshot(
        &self,
        body: &mut dyn FnMut(&mut dyn Tx),
    ) -> Result<(), StoreError> {
        let mut lent = self.checkout()?;
        if let Err(e) = lent.session_mut()?.client.batch_execute(BEGIN) {
            let err = StoreError::from(e);
            if !lent.was_idle || !matches!(err, StoreError::Unavailable(_)) {
                lent.discard = true;
                return Err(err);
            }
            // A pooled connection the server dropped while it sat idle: nothing has run yet, so
            // replace it and begin again.
            lent.session = Some(self.target.session(Role::Reader)?);
            lent.session_mut()?.client.batch_execute(BEGIN)?;
        }
        let session = lent.session_mut()?;
        body(&mut PgTx::new(session, Mode::Read));
        Ok(())
        // `lent` ends the transaction when dropped.
    }

    fn checkout(&self) -> Result<Lent<'_>, StoreError> {
        let mut state = self.state.lock();
        loop {
            if let Some(session) = state.idle.pop() {
                return Ok(Lent::new(self, session, true));
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.target.session(Role::Reader) {
                    Ok(session) => Ok(Lent::new(self, session, false)),
                    Err(err) => {
                        self.forget_one();
                        Err(err)
                    }
                };
            }
            self.returned.wait(&mut state);
        }
    }

    fn forget_one(&self) {
        let mut state = self.state.lock();
        state.open = state.open.saturating_sub(1);
        drop(state);
        self.returned.notify_one();
    }
}

impl Drop for ReadPool {
    /// Closing a synchronous client blocks on its own runtime, which panics on a thread that runs
    /// async tasks, and the last `Store` may well be dropped on one: close them on a thread of
    /// their own.
    fn drop(&mut self) {
        let idle = std::mem::take(&mut self.state.get_mut().idle);
        if idle.is_empty() {
            return;
        }
        let closing = std::thread::Builder::new()
            .name("tessera-store-pg-close".into())
            .spawn(move || drop(idle));
        match closing {
            Ok(thread) => {
                if thread.join().is_err() {
                    tracing::warn!("closing PostgreSQL read connections panicked");
                }
            }
            Err(err) => tracing::warn!(error = %err, "cannot close PostgreSQL read connections"),
        }
    }
}

/// A session lent out of the pool; goes back (or is closed) on drop.
struct Lent<'p> {
    pool: &'p ReadPool,
    session: Option<Session>,
    /// Taken from the idle list (and so possibly dropped by the server meanwhile).
    was_idle: bool,
    /// Close instead of returning to the pool.
    discard: bool,
}

impl<'p> Lent<'p> {
    fn new(pool: &'p ReadPool, session: Session, was_idle: bool) -> Self {
        Lent {
            pool,
            session: Some(session),
            was_idle,
            discard: false,
        }
    }

    fn session_mut(&mut self) -> Result<&mut Session, StoreError> {
        self.session
            .as_mut()
            .ok_or_else(|| StoreError::Backend("read connection already returned".into()))
    }
}

impl Drop for Lent<'_> {
    /// Ends the snapshot and returns the session; one that cannot end its transaction, or whose
    /// connection is gone, is closed instead. Runs on the blocking thread that ran the read.
    fn drop(&mut self) {
        let Some(mut session) = self.session.take() else {
            self.pool.forget_one();
            return;
        };
        let clean = !self.discard
            && !session.client.is_closed()
            && session.client.batch_execute("ROLLBACK").is_ok();
        if clean {
            self.pool.state.lock().idle.push(session);
            self.pool.returned.notify_one();
        } else {
            drop(session);
            self.pool.forget_one();
        }
    }
}
