//! This node's `LISTEN` connection: forwards the deployment's notifications to the in-process
//! [`Notifier`], reconnecting with backoff when the connection is lost, and then telling every
//! subscriber to re-check (the empty payload), since notifications sent while it was away are
//! gone. Must never run anything but `LISTEN` and liveness checks on its connection.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;

use super::connect::{quote_ident, Role, Target};
use super::pg_tx::decode_notification;
use crate::notify::Notifier;
use crate::StoreError;

/// How long one wait for notifications lasts before the thread checks whether the store closed.
const POLL: Duration = Duration::from_millis(100);
/// How often an idle connection is checked with a round trip, so a silently dead one is noticed
/// (and subscribers told to re-check) without waiting for a notification that never comes.
const HEALTH_CHECK: Duration = Duration::from_secs(10);
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Connects the listener and subscribes to `channel` (done at open, so that notifications
/// committed after `Store::open_postgres` returns are delivered).
pub(crate) fn connect(target: &Target, channel: &str) -> Result<Client, StoreError> {
    let (mut client, _) = target.connect(Role::Listener)?;
    client.batch_execute(&format!("LISTEN {}", quote_ident(channel)))?;
    Ok(client)
}

/// The store's side of the listener thread: stops and joins it on drop.
pub(crate) struct ListenerHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ListenerHandle {
    pub(crate) fn spawn(
        target: Arc<Target>,
        client: Client,
        channel: String,
        notifier: Arc<Notifier>,
    ) -> Result<Self, StoreError> {
        let stop = Arc::new(AtomicBool::new(false));
        let listener = Listener {
            target,
            client: Some(client),
            channel,
            notifier,
            stop: Arc::clone(&stop),
        };
        let thread = thread::Builder::new()
            .name("tessera-store-pg-listener".into())
            .spawn(move || listener.run())
            .map_err(|e| StoreError::Backend(format!("cannot start the listener thread: {e}")))?;
        Ok(ListenerHandle {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for ListenerHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("tessera-store listener thread panicked");
            }
        }
    }
}

struct Listener {
    target: Arc<Target>,
    client: Option<Client>,
    channel: String,
    notifier: Arc<Notifier>,
    stop: Arc<AtomicBool>,
}

impl Listener {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn run(mut self) {
        let mut checked = Instant::now();
        let mut backoff = Duration::from_millis(100);
        while !self.stopped() {
            let Some(client) = self.client.as_mut() else {
                match connect(&self.target, &self.channel) {
                    Ok(client) => {
                        tracing::info!("PostgreSQL listener reconnected");
                        self.client = Some(client);
                        backoff = Duration::from_millis(100);
                        checked = Instant::now();
                        self.notifier.resync_all();
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot reconnect the PostgreSQL listener");
                        self.sleep(backoff);
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
                continue;
            };
            let next = client.notifications().timeout_iter(POLL).next();
            match next {
                Ok(Some(notification)) => {
                    if notification.channel() != self.channel {
                        continue;
                    }
                    match decode_notification(notification.payload()) {
                        Some((channel, payload)) => self.notifier.publish(channel, payload),
                        None => tracing::debug!("ignoring a foreign notification"),
                    }
                }
                Ok(None) => {
                    let alive = !client.is_closed()
                        && (checked.elapsed() < HEALTH_CHECK
                            || client.is_valid(HEALTH_TIMEOUT).is_ok());
                    if checked.elapsed() >= HEALTH_CHECK {
                        checked = Instant::now();
                    }
                    if !alive {
                        tracing::warn!("PostgreSQL listener connection lost; reconnecting");
                        self.lose_connection();
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "PostgreSQL listener connection failed; reconnecting");
                    self.lose_connection();
                }
            }
        }
    }

    /// Drops the connection; subscribers hear "re-check" once the listener is back, since only
    /// then can they miss nothing further.
    fn lose_connection(&mut self) {
        self.client = None;
    }

    /// Sleeps up to `total`, waking early when the store closes.
    fn sleep(&self, total: Duration) {
        let until = Instant::now() + total;
        while !self.stopped() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            thread::sleep(left.min(POLL));
        }
    }
}
