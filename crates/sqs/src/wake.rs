//! Wake-ups for long polls: a per-queue notifier that senders (and anything else that makes a
//! message visible now) ring after their commit, and waiting receivers listen to. This is the one
//! place a cross-node channel (PostgreSQL LISTEN/NOTIFY) will plug into; it must never decide
//! which messages a receiver gets (the store does).

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tessera_store::Namespace;
use tokio::sync::{broadcast, Notify};

/// The store notification channel on which committed transactions name queues (by id) that
/// have new visible messages; every node relays it into its local notifiers.
pub const CHANNEL: Namespace = "sqs.wake";

/// Notifiers by queue id.
#[derive(Default)]
pub struct Wake {
    queues: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Wake {
    /// The notifier of `qid`; a receiver enables a `notified()` future on it *before* looking
    /// for messages, so a send that commits in between is never missed.
    pub fn listener(&self, qid: &str) -> Arc<Notify> {
        Arc::clone(self.queues.lock().entry(qid.to_owned()).or_default())
    }

    /// Wakes every receiver waiting on `qid`.
    pub fn ring(&self, qid: &str) {
        let notify = self.queues.lock().get(qid).cloned();
        if let Some(n) = notify {
            n.notify_waiters();
        }
    }

    /// Wakes every waiting receiver (after missed notifications: they re-check the store).
    pub fn ring_all(&self) {
        let all: Vec<Arc<Notify>> = self.queues.lock().values().cloned().collect();
        for n in all {
            n.notify_waiters();
        }
    }

    /// Relays store notifications of [`CHANNEL`] into local wake-ups until the store closes. An
    /// empty payload or a lag means some were missed, so everyone re-checks.
    pub async fn relay(&self, mut rx: broadcast::Receiver<String>) {
        loop {
            match rx.recv().await {
                Ok(qid) if !qid.is_empty() => self.ring(&qid),
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => self.ring_all(),
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// Forgets a deleted queue's notifier (its waiters are woken to find the queue gone).
    pub fn forget(&self, qid: &str) {
        if let Some(n) = self.queues.lock().remove(qid) {
            n.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_ring_after_enable_is_not_lost() {
        let wake = Wake::default();
        let n = wake.listener("q");
        let notified = n.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        wake.ring("q");
        notified.await;
        wake.ring("other");
        wake.forget("q");
    }

    #[tokio::test]
    async fn relayed_notifications_wake_receivers() {
        let wake = Arc::new(Wake::default());
        let (tx, rx) = broadcast::channel(4);
        let relay = tokio::spawn({
            let wake = Arc::clone(&wake);
            async move { wake.relay(rx).await }
        });
        for payload in ["q", ""] {
            let n = wake.listener("q");
            let notified = n.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            tx.send(payload.to_owned()).unwrap();
            notified.await;
        }
        drop(tx);
        relay.await.unwrap();
    }
}
