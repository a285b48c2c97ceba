//! In-process fan-out of committed notifications to [`crate::Store::subscribe`]rs, and the rules a
//! notification must meet on every backend. Owns the broadcast senders; must never deliver a
//! notification whose transaction has not committed (backends call [`Notifier::publish`] only
//! after their commit) and never touch a database.

use std::collections::HashMap;

use parking_lot::Mutex;
use tokio::sync::broadcast;

use crate::{Namespace, StoreError};

/// The largest notification payload, in bytes. PostgreSQL's `NOTIFY` carries up to 8000 bytes;
/// this leaves room for the channel name that tessera prefixes (see the PostgreSQL backend) and
/// holds for SQLite too, so code that works on one backend works on the other.
pub const MAX_NOTIFY_PAYLOAD: usize = 4000;

/// Messages a subscriber may fall behind by before it sees `RecvError::Lagged` (which it must
/// treat like the empty "resync" payload: re-check everything).
const CHANNEL_CAPACITY: usize = 1024;

/// The longest channel name. Channels are fixed names in code; the bound keeps the PostgreSQL
/// message (channel and payload together) under `NOTIFY`'s limit.
const MAX_CHANNEL: usize = 200;

/// Checks a notification against the limits every backend can carry.
pub(crate) fn validate(channel: &str, payload: &str) -> Result<(), StoreError> {
    if channel.len() > MAX_CHANNEL || channel.contains('\0') {
        return Err(StoreError::InvalidNotification(format!(
            "channel {channel:?} is longer than {MAX_CHANNEL} bytes or contains NUL"
        )));
    }
    if payload.len() > MAX_NOTIFY_PAYLOAD {
        return Err(StoreError::InvalidNotification(format!(
            "payload of {} bytes exceeds {MAX_NOTIFY_PAYLOAD}",
            payload.len()
        )));
    }
    if payload.contains('\0') {
        return Err(StoreError::InvalidNotification(
            "payload contains NUL".into(),
        ));
    }
    Ok(())
}

/// One broadcast sender per channel that has (or had) a subscriber.
#[derive(Default)]
pub(crate) struct Notifier {
    channels: Mutex<HashMap<Namespace, broadcast::Sender<String>>>,
}

impl Notifier {
    pub(crate) fn subscribe(&self, channel: Namespace) -> broadcast::Receiver<String> {
        self.channels
            .lock()
            .entry(channel)
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }

    /// Delivers a committed notification to the channel's current subscribers, if any.
    pub(crate) fn publish(&self, channel: &str, payload: &str) {
        if let Some(sender) = self.channels.lock().get(channel) {
            // An error only means nobody listens right now; there is nothing to deliver to.
            drop(sender.send(payload.to_owned()));
        }
    }

    /// Tells every subscriber that notifications may have been missed (the PostgreSQL listener
    /// lost its connection): the empty payload means "re-check".
    pub(crate) fn resync_all(&self) {
        for sender in self.channels.lock().values() {
            drop(sender.send(String::new()));
        }
    }
}
