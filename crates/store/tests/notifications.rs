//! `Tx::notify` and `Store::subscribe` on every backend: delivery only after commit, never from a
//! rolled-back job, in commit order, per channel; the limits on notifications. Cross-node
//! delivery is in `nodes.rs`.

mod common;

use std::time::Duration;

use tessera_store::{Namespace, StoreError, MAX_NOTIFY_PAYLOAD};
use tokio::sync::broadcast;

const NS: Namespace = "test.kv";
const CHANNEL: Namespace = "test.channel";
const OTHER: Namespace = "test.other-channel";

/// The next non-empty payload (an empty one only asks to re-check). The timeout only keeps a
/// broken build from hanging the suite; it is not what the test measures.
async fn next_payload(rx: &mut broadcast::Receiver<String>) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Ok(payload)) if payload.is_empty() => continue,
            Ok(Ok(payload)) => return payload,
            Ok(Err(err)) => panic!("subscription failed: {err}"),
            Err(_) => panic!("no notification within 30 s"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_committed_jobs_notify_and_only_their_channel() {
    for db in common::test_dbs() {
        let store = db.open();
        let mut rx = store.subscribe(CHANNEL);
        let mut rx_other = store.subscribe(OTHER);

        store
            .write(|tx| {
                tx.put(NS, "k", b"1")?;
                tx.notify(CHANNEL, "first")?;
                tx.notify(OTHER, "other")
            })
            .await
            .expect("notifying write");
        let failed: Result<(), StoreError> = store
            .write(|tx| {
                tx.notify(CHANNEL, "from a failed job")?;
                Err(StoreError::Backend("rejected".into()))
            })
            .await;
        assert!(failed.is_err());
        let panicked: Result<(), StoreError> = store
            .write(|tx| {
                tx.notify(CHANNEL, "from a panicking job")?;
                panic!("job blew up after notifying");
            })
            .await;
        assert!(matches!(panicked, Err(StoreError::Panicked(_))));
        store
            .write(|tx| tx.notify(CHANNEL, "second"))
            .await
            .expect("second notifying write");

        assert_eq!(next_payload(&mut rx).await, "first", "{}", db.name());
        assert_eq!(next_payload(&mut rx).await, "second", "{}", db.name());
        assert_eq!(next_payload(&mut rx_other).await, "other", "{}", db.name());
        // Everything sent has arrived (delivery is in commit order), and nothing more did.
        assert!(matches!(
            rx_other.try_recv(),
            Err(broadcast::error::TryRecvError::Empty)
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_arrive_in_commit_order() {
    for db in common::test_dbs() {
        let store = db.open();
        let mut rx = store.subscribe(CHANNEL);
        for i in 0..50 {
            store
                .write(move |tx| tx.notify(CHANNEL, &format!("n{i}")))
                .await
                .expect("write");
        }
        for i in 0..50 {
            assert_eq!(
                next_payload(&mut rx).await,
                format!("n{i}"),
                "{}",
                db.name()
            );
        }
    }
}

#[tokio::test]
async fn invalid_notifications_are_refused_without_breaking_the_job() {
    for db in common::test_dbs() {
        let store = db.open();
        let read: Result<(), StoreError> = store.read(|tx| tx.notify(CHANNEL, "x")).await;
        assert_eq!(read, Err(StoreError::ReadOnly), "{}", db.name());

        let largest = "p".repeat(MAX_NOTIFY_PAYLOAD);
        let too_large = "p".repeat(MAX_NOTIFY_PAYLOAD + 1);
        let refused = store
            .write(move |tx| {
                let refused = (
                    tx.notify(CHANNEL, &too_large),
                    tx.notify(CHANNEL, "nul\0inside"),
                );
                // The job goes on after the refusals, and its writes commit.
                tx.notify(CHANNEL, &largest)?;
                tx.put(NS, "after", b"refusals")?;
                Ok::<_, StoreError>(refused)
            })
            .await
            .expect("write after refused notifications");
        assert!(
            matches!(refused.0, Err(StoreError::InvalidNotification(_))),
            "{}: {:?}",
            db.name(),
            refused.0
        );
        assert!(
            matches!(refused.1, Err(StoreError::InvalidNotification(_))),
            "{}: {:?}",
            db.name(),
            refused.1
        );
        let after = store.read(|tx| tx.get(NS, "after")).await.expect("read");
        assert!(after.is_some(), "{}", db.name());
    }
}
