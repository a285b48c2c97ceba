//! FIFO queues: group ordering with one in-flight batch per group, deduplication (explicit and
//! content-based, queue and group scope), sequence numbers, receive-attempt replays, FIFO errors.

mod common;

use common::Env;
use serde_json::{json, Value};

async fn send(env: &Env, url: &str, body: &str, group: &str, dedup: Option<&str>) -> Value {
    let mut req = json!({ "QueueUrl": url, "MessageBody": body, "MessageGroupId": group });
    if let Some(d) = dedup {
        req["MessageDeduplicationId"] = json!(d);
    }
    env.json("SendMessage", req).await.unwrap()
}

fn bodies(msgs: &[Value]) -> Vec<&str> {
    msgs.iter().map(|m| m["Body"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn groups_are_ordered_and_blocked_while_in_flight() {
    let env = Env::new();
    let url = env
        .create(
            "jobs.fifo",
            json!({ "FifoQueue": "true", "ContentBasedDeduplication": "true" }),
        )
        .await;
    let a1 = send(&env, &url, "a1", "A", None).await;
    let a2 = send(&env, &url, "a2", "A", None).await;
    send(&env, &url, "b1", "B", None).await;
    let s1: u128 = a1["SequenceNumber"].as_str().unwrap().parse().unwrap();
    let s2: u128 = a2["SequenceNumber"].as_str().unwrap().parse().unwrap();
    assert!(s2 > s1);
    assert_eq!(a1["SequenceNumber"].as_str().unwrap().len(), 20);

    let first = env.receive(&url, json!({})).await;
    assert_eq!(bodies(&first), ["a1"]);
    assert_eq!(first[0]["Attributes"]["MessageGroupId"], "A");
    assert_eq!(
        first[0]["Attributes"]["SequenceNumber"],
        a1["SequenceNumber"]
    );
    assert_eq!(
        first[0]["Attributes"]["MessageDeduplicationId"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    // Group A is blocked while a1 is in flight; B is not.
    let second = env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await;
    assert_eq!(bodies(&second), ["b1"]);
    assert!(env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await
        .is_empty());
    env.json(
        "DeleteMessage",
        json!({ "QueueUrl": url, "ReceiptHandle": first[0]["ReceiptHandle"] }),
    )
    .await
    .unwrap();
    assert_eq!(bodies(&env.receive(&url, json!({})).await), ["a2"]);

    // A message whose visibility expires comes back before later ones of its group.
    let url2 = env
        .create(
            "order.fifo",
            json!({ "FifoQueue": "true", "ContentBasedDeduplication": "true" }),
        )
        .await;
    for b in ["x1", "x2", "x3"] {
        send(&env, &url2, b, "X", None).await;
    }
    assert_eq!(
        bodies(
            &env.receive(&url2, json!({ "MaxNumberOfMessages": 2 }))
                .await
        ),
        ["x1", "x2"]
    );
    env.clock.advance(31);
    assert_eq!(
        bodies(
            &env.receive(&url2, json!({ "MaxNumberOfMessages": 10 }))
                .await
        ),
        ["x1", "x2", "x3"]
    );
}

#[tokio::test]
async fn deduplication_window_and_scopes() {
    let env = Env::new();
    let url = env.create("d.fifo", json!({ "FifoQueue": "true" })).await;
    let first = send(&env, &url, "one", "g", Some("id-1")).await;
    let again = send(&env, &url, "one again", "g", Some("id-1")).await;
    assert_eq!(first["MessageId"], again["MessageId"]);
    assert_eq!(first["SequenceNumber"], again["SequenceNumber"]);
    assert_eq!(
        env.attribute(&url, "ApproximateNumberOfMessages").await,
        "1"
    );
    env.clock.advance(301);
    let later = send(&env, &url, "one", "g", Some("id-1")).await;
    assert_ne!(first["MessageId"], later["MessageId"]);
    assert_eq!(
        env.attribute(&url, "ApproximateNumberOfMessages").await,
        "2"
    );

    // With messageGroup scope the same id in another group is a different message.
    let url = env
        .create(
            "g.fifo",
            json!({ "FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId" }),
        )
        .await;
    send(&env, &url, "m", "g1", Some("same")).await;
    send(&env, &url, "m", "g2", Some("same")).await;
    send(&env, &url, "m", "g2", Some("same")).await;
    assert_eq!(
        env.attribute(&url, "ApproximateNumberOfMessages").await,
        "2"
    );
    assert_eq!(
        env.attribute(&url, "FifoThroughputLimit").await,
        "perMessageGroupId"
    );
}

#[tokio::test]
async fn fifo_errors() {
    let env = Env::new();
    let url = env.create("e.fifo", json!({ "FifoQueue": "true" })).await;
    let cases = [
        (
            json!({ "QueueUrl": url, "MessageBody": "x", "MessageDeduplicationId": "d" }),
            "MissingParameter",
        ),
        (
            json!({ "QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g" }),
            "InvalidParameterValue",
        ),
        (
            json!({ "QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d", "DelaySeconds": 5 }),
            "InvalidParameterValue",
        ),
    ];
    for (body, code) in cases {
        let (_, header, _) = env.json("SendMessage", body.clone()).await.unwrap_err();
        assert_eq!(header, format!("{code};Sender"), "{body}");
    }
    for (name, attrs) in [
        ("plain", json!({ "FifoQueue": "true" })),
        ("named.fifo", json!({})),
    ] {
        let (_, header, _) = env
            .json(
                "CreateQueue",
                json!({ "QueueName": name, "Attributes": attrs }),
            )
            .await
            .unwrap_err();
        assert_eq!(header, "InvalidParameterValue;Sender");
    }
}

#[tokio::test]
async fn receive_request_attempt_id_replays() {
    let env = Env::new();
    let url = env
        .create(
            "r.fifo",
            json!({ "FifoQueue": "true", "ContentBasedDeduplication": "true" }),
        )
        .await;
    send(&env, &url, "m1", "g", None).await;
    send(&env, &url, "m2", "h", None).await;
    let attempt = json!({ "MaxNumberOfMessages": 1, "ReceiveRequestAttemptId": "try-1" });
    let first = env.receive(&url, attempt.clone()).await;
    let retry = env.receive(&url, attempt).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["ReceiptHandle"], retry[0]["ReceiptHandle"]);
    assert_eq!(retry[0]["Attributes"]["ApproximateReceiveCount"], "1");
    let other = env
        .receive(&url, json!({ "ReceiveRequestAttemptId": "try-2" }))
        .await;
    assert_eq!(bodies(&other), ["m2"]);
}
