//! Dead-letter queues (redrive, RedriveAllowPolicy, ListDeadLetterSourceQueues, move tasks back)
//! and long polling (a waiting receive returns the message sent while it waits).

mod common;

use common::{Env, ACCOUNT, BASE};
use serde_json::json;

#[tokio::test]
async fn redrive_to_dead_letter_queue_and_move_back() {
    let env = Env::new();
    let dlq = env.create("dlq", json!({})).await;
    let dlq_arn = format!("arn:aws:sqs:us-east-1:{ACCOUNT}:dlq");
    let src = env
        .create(
            "src",
            json!({ "RedrivePolicy": json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2 }).to_string() }),
        )
        .await;
    assert_eq!(
        env.attribute(&src, "RedrivePolicy").await,
        json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2 }).to_string()
    );
    env.json(
        "SendMessage",
        json!({ "QueueUrl": src, "MessageBody": "poison" }),
    )
    .await
    .unwrap();
    for _ in 0..2 {
        assert_eq!(env.receive(&src, json!({})).await.len(), 1);
        env.clock.advance(31);
    }
    assert!(env.receive(&src, json!({})).await.is_empty());
    let dead = env.receive(&dlq, json!({})).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["Body"], "poison");
    assert_eq!(
        dead[0]["Attributes"]["DeadLetterQueueSourceArn"],
        format!("arn:aws:sqs:us-east-1:{ACCOUNT}:src")
    );
    let v = env
        .json("ListDeadLetterSourceQueues", json!({ "QueueUrl": dlq }))
        .await
        .unwrap();
    assert_eq!(v["queueUrls"], json!([format!("{BASE}/{ACCOUNT}/src")]));

    env.clock.advance(31);
    let started = env
        .json("StartMessageMoveTask", json!({ "SourceArn": dlq_arn }))
        .await
        .unwrap();
    let handle = started["TaskHandle"].as_str().unwrap().to_owned();
    let (_, header, _) = env
        .json("StartMessageMoveTask", json!({ "SourceArn": dlq_arn }))
        .await
        .unwrap_err();
    assert_eq!(header, "AWS.SimpleQueueService.UnsupportedOperation;Sender");
    let v = env
        .json("ListMessageMoveTasks", json!({ "SourceArn": dlq_arn }))
        .await
        .unwrap();
    assert_eq!(v["Results"][0]["Status"], "RUNNING");
    assert_eq!(v["Results"][0]["TaskHandle"], handle.as_str());
    env.sqs.maintain_once().await.unwrap();
    let v = env
        .json("ListMessageMoveTasks", json!({ "SourceArn": dlq_arn }))
        .await
        .unwrap();
    assert_eq!(v["Results"][0]["Status"], "COMPLETED");
    assert_eq!(v["Results"][0]["ApproximateNumberOfMessagesMoved"], 1);
    let (_, header, _) = env
        .json("CancelMessageMoveTask", json!({ "TaskHandle": handle }))
        .await
        .unwrap_err();
    assert_eq!(header, "ResourceNotFoundException;Sender");
    let back = env.receive(&src, json!({})).await;
    assert_eq!(back[0]["Body"], "poison");
    assert_eq!(back[0]["Attributes"]["ApproximateReceiveCount"], "1");
}

#[tokio::test]
async fn redrive_policy_checks() {
    let env = Env::new();
    env.create(
        "closed",
        json!({ "RedriveAllowPolicy": r#"{"redrivePermission":"denyAll"}"# }),
    )
    .await;
    env.create("fifo-dlq.fifo", json!({ "FifoQueue": "true" }))
        .await;
    for target in ["closed", "missing", "fifo-dlq.fifo"] {
        let policy = json!({ "deadLetterTargetArn": format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{target}"), "maxReceiveCount": 1 });
        let (_, header, _) = env
            .json(
                "CreateQueue",
                json!({ "QueueName": "s", "Attributes": { "RedrivePolicy": policy.to_string() } }),
            )
            .await
            .unwrap_err();
        assert_eq!(header, "InvalidParameterValue;Sender", "{target}");
    }
}

#[tokio::test]
async fn long_poll_returns_a_message_sent_while_waiting() {
    let env = Env::new();
    // With the background tasks running, wake-ups also arrive through the store's notifications.
    let background = env.sqs.spawn_maintenance();
    let url = env.create("wait", json!({})).await;
    let sqs = env.sqs.clone();
    let caller = env.caller();
    let account = caller.account.clone();
    let body = json!({ "QueueUrl": url, "WaitTimeSeconds": 20 }).to_string();
    let waiter = tokio::spawn(async move {
        let req = sqs
            .parse(
                tessera_sqs::Wire::Json {
                    action: "ReceiveMessage",
                    body: body.as_bytes(),
                },
                "/",
                &account,
            )
            .unwrap();
        sqs.call(&caller, req).await.unwrap()
    });
    // Let the receive start waiting (it finds nothing), then send.
    tokio::task::yield_now().await;
    env.json(
        "SendMessage",
        json!({ "QueueUrl": url, "MessageBody": "wake" }),
    )
    .await
    .unwrap();
    let resp = waiter.await.unwrap();
    assert_eq!(resp.messages().len(), 1);
    assert_eq!(resp.messages()[0].body, "wake");

    // A queue-level wait time applies when the request has none; an empty queue answers empty.
    let url = env
        .create("idle", json!({ "ReceiveMessageWaitTimeSeconds": "1" }))
        .await;
    assert!(env.receive(&url, json!({})).await.is_empty());
    background.abort();
}
