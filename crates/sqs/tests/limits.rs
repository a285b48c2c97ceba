//! AWS's quotas, lowered through `SqsConfig` so that tests reach them: the in-flight quota
//! (OverLimit on short polls of standard queues, nothing for long polls and FIFO queues), the
//! 12-hour visibility cap of ChangeMessageVisibility(Batch), and FIFO request throttling
//! (RequestThrottled) per queue and action, and per message group in high-throughput mode.

mod common;

use common::{xml_text, Env, ACCOUNT};
use serde_json::{json, Value};
use tessera_sqs::{FifoQuotas, SqsConfig};

fn config(max_inflight: u64, quotas: Option<FifoQuotas>) -> SqsConfig {
    SqsConfig {
        max_inflight,
        fifo_quotas: quotas,
        ..SqsConfig::new("us-east-1")
    }
}

async fn send_n(env: &Env, url: &str, n: usize) {
    for i in 0..n {
        env.json(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": format!("m{i}") }),
        )
        .await
        .unwrap();
    }
}

async fn receive_raw(
    env: &Env,
    url: &str,
    extra: Value,
) -> Result<Vec<Value>, (String, String, u16)> {
    let mut body = json!({ "QueueUrl": url });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let v = env.json("ReceiveMessage", body).await?;
    Ok(v["Messages"].as_array().cloned().unwrap_or_default())
}

fn over_limit() -> (String, String, u16) {
    (
        "com.amazonaws.sqs#OverLimit".into(),
        "OverLimit;Sender".into(),
        403,
    )
}

#[tokio::test]
async fn standard_short_polls_fail_with_over_limit_until_messages_leave_flight() {
    let env = Env::with_config(config(3, None));
    let url = env.create("busy", json!({})).await;
    send_n(&env, &url, 6).await;

    // Room for three: a receive of ten gets three, the next one fails.
    let first = env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await;
    assert_eq!(first.len(), 3);
    assert_eq!(
        receive_raw(&env, &url, json!({})).await.unwrap_err(),
        over_limit()
    );
    // The Query protocol names the same code.
    let xml = env
        .query(&format!(
            "Action=ReceiveMessage&QueueUrl=http%3A%2F%2F127.0.0.1%3A4566%2F{ACCOUNT}%2Fbusy"
        ))
        .await
        .unwrap_err();
    assert_eq!(xml_text(&xml, "Code").as_deref(), Some("OverLimit"));
    assert!(xml_text(&xml, "Message")
        .unwrap()
        .starts_with("Too many messages have been received without being deleted."));
    // A long poll is not an error: it waits and answers with nothing.
    assert!(receive_raw(&env, &url, json!({ "WaitTimeSeconds": 1 }))
        .await
        .unwrap()
        .is_empty());

    // Deleting one makes room for exactly one.
    env.json(
        "DeleteMessage",
        json!({ "QueueUrl": url, "ReceiptHandle": first[0]["ReceiptHandle"] }),
    )
    .await
    .unwrap();
    let one = env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await;
    assert_eq!(one.len(), 1);
    assert_eq!(
        receive_raw(&env, &url, json!({})).await.unwrap_err(),
        over_limit()
    );

    // Making one visible again (timeout 0) frees its slot too.
    env.json(
        "ChangeMessageVisibility",
        json!({ "QueueUrl": url, "ReceiptHandle": one[0]["ReceiptHandle"], "VisibilityTimeout": 0 }),
    )
    .await
    .unwrap();
    assert_eq!(
        env.receive(&url, json!({ "MaxNumberOfMessages": 10 }))
            .await
            .len(),
        1
    );

    // Once the visibility timeouts expire, the queue is below its limit again.
    env.clock.advance(31);
    assert_eq!(
        env.receive(&url, json!({ "MaxNumberOfMessages": 10 }))
            .await
            .len(),
        3
    );
}

#[tokio::test]
async fn the_limit_is_per_queue_and_survives_a_restart() {
    let mut env = Env::with_config(config(2, None));
    let a = env.create("a", json!({})).await;
    let b = env.create("b", json!({})).await;
    send_n(&env, &a, 3).await;
    send_n(&env, &b, 3).await;
    assert_eq!(
        env.receive(&a, json!({ "MaxNumberOfMessages": 10 }))
            .await
            .len(),
        2
    );
    assert_eq!(
        env.receive(&b, json!({ "MaxNumberOfMessages": 10 }))
            .await
            .len(),
        2
    );
    // A restarted node counts the store again: still two in flight.
    env.reopen();
    assert_eq!(
        receive_raw(&env, &a, json!({})).await.unwrap_err(),
        over_limit()
    );
}

#[tokio::test]
async fn fifo_queues_at_the_limit_answer_with_nothing() {
    let env = Env::with_config(config(2, None));
    let url = env
        .create(
            "busy.fifo",
            json!({ "FifoQueue": "true", "ContentBasedDeduplication": "true" }),
        )
        .await;
    for g in ["a", "b", "c"] {
        env.json(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": g, "MessageGroupId": g }),
        )
        .await
        .unwrap();
    }
    let got = env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await;
    assert_eq!(got.len(), 2);
    assert!(receive_raw(&env, &url, json!({})).await.unwrap().is_empty());
    env.json(
        "DeleteMessage",
        json!({ "QueueUrl": url, "ReceiptHandle": got[0]["ReceiptHandle"] }),
    )
    .await
    .unwrap();
    let last = env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await;
    assert_eq!(last.len(), 1);
    assert_eq!(last[0]["Body"], "c");
}

#[tokio::test]
async fn visibility_cannot_reach_past_twelve_hours_after_the_receive() {
    let env = Env::new();
    let url = env.create("long", json!({})).await;
    send_n(&env, &url, 2).await;
    let msgs = env
        .receive(
            &url,
            json!({ "MaxNumberOfMessages": 2, "VisibilityTimeout": 43200 }),
        )
        .await;
    assert_eq!(msgs.len(), 2);
    let change = |handle: &Value, timeout: u32| {
        env.json(
            "ChangeMessageVisibility",
            json!({ "QueueUrl": url, "ReceiptHandle": handle, "VisibilityTimeout": timeout }),
        )
    };
    env.clock.advance(100);
    // 100 s after the receive, 43,100 s is the most left.
    let err = change(&msgs[0]["ReceiptHandle"], 43_101).await.unwrap_err();
    assert_eq!(
        err,
        (
            "com.amazonaws.sqs#InvalidParameterValue".into(),
            "InvalidParameterValue;Sender".into(),
            400
        )
    );
    let v = env
        .query(&format!(
            "Action=ChangeMessageVisibility&QueueUrl=http%3A%2F%2F127.0.0.1%3A4566%2F{ACCOUNT}%2Flong&ReceiptHandle={}&VisibilityTimeout=43200",
            common::form_escape(msgs[0]["ReceiptHandle"].as_str().unwrap())
        ))
        .await
        .unwrap_err();
    assert_eq!(
        xml_text(&v, "Message").as_deref(),
        Some("Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]")
    );
    change(&msgs[0]["ReceiptHandle"], 43_100).await.unwrap();

    // The batch form fails the entry alone.
    let batch = env
        .json(
            "ChangeMessageVisibilityBatch",
            json!({ "QueueUrl": url, "Entries": [
                { "Id": "over", "ReceiptHandle": msgs[0]["ReceiptHandle"], "VisibilityTimeout": 43_101 },
                { "Id": "ok", "ReceiptHandle": msgs[1]["ReceiptHandle"], "VisibilityTimeout": 60 },
            ] }),
        )
        .await
        .unwrap();
    assert_eq!(batch["Successful"][0]["Id"], "ok");
    assert_eq!(batch["Failed"][0]["Id"], "over");
    assert_eq!(batch["Failed"][0]["Code"], "InvalidParameterValue");
    assert_eq!(batch["Failed"][0]["SenderFault"], true);

    // A new receive starts a new 12 hours.
    env.clock.advance(61);
    let again = env.receive(&url, json!({ "VisibilityTimeout": 10 })).await;
    assert_eq!(again.len(), 1);
    change(&again[0]["ReceiptHandle"], 43_200).await.unwrap();
}

fn throttled() -> (String, String, u16) {
    (
        "com.amazonaws.sqs#RequestThrottled".into(),
        "RequestThrottled;Sender".into(),
        403,
    )
}

const LOW: FifoQuotas = FifoQuotas {
    per_queue: 3,
    high_throughput_per_queue: 5,
    per_message_group: 2,
};

#[tokio::test]
async fn fifo_calls_are_throttled_per_queue_and_action() {
    let env = Env::with_config(config(1000, Some(LOW)));
    let url = env
        .create(
            "t.fifo",
            json!({ "FifoQueue": "true", "ContentBasedDeduplication": "true" }),
        )
        .await;
    let send = |body: &str| {
        env.json(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": body, "MessageGroupId": "g" }),
        )
    };
    send("1").await.unwrap();
    send("2").await.unwrap();
    // A batch counts as one call.
    env.json(
        "SendMessageBatch",
        json!({ "QueueUrl": url, "Entries": [
            { "Id": "a", "MessageBody": "3", "MessageGroupId": "g" },
            { "Id": "b", "MessageBody": "4", "MessageGroupId": "g" },
        ] }),
    )
    .await
    .unwrap();
    assert_eq!(send("5").await.unwrap_err(), throttled());
    // Receives have their own quota; the throttled send stored nothing.
    let got = env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await;
    assert_eq!(got.len(), 4);
    // Standard queues are never throttled.
    let plain = env.create("plain", json!({})).await;
    send_n(&env, &plain, 5).await;
    // A second later the queue has its full quota again.
    env.clock.advance(1);
    send("5").await.unwrap();
    // The Query protocol reports the same code.
    let xml = env
        .query(&format!(
            "Action=SendMessage&QueueUrl=http%3A%2F%2F127.0.0.1%3A4566%2F{ACCOUNT}%2Ft.fifo&MessageBody=x&MessageGroupId=g"
        ))
        .await
        .unwrap();
    assert!(xml.contains("SendMessageResponse"));
    env.query(&format!(
        "Action=SendMessage&QueueUrl=http%3A%2F%2F127.0.0.1%3A4566%2F{ACCOUNT}%2Ft.fifo&MessageBody=y&MessageGroupId=g"
    ))
    .await
    .unwrap();
    let xml = env
        .query(&format!(
            "Action=SendMessage&QueueUrl=http%3A%2F%2F127.0.0.1%3A4566%2F{ACCOUNT}%2Ft.fifo&MessageBody=z&MessageGroupId=g"
        ))
        .await
        .unwrap_err();
    assert_eq!(xml_text(&xml, "Code").as_deref(), Some("RequestThrottled"));
}

#[tokio::test]
async fn high_throughput_fifo_throttles_per_message_group() {
    let env = Env::with_config(config(1000, Some(LOW)));
    let url = env
        .create(
            "ht.fifo",
            json!({
                "FifoQueue": "true",
                "ContentBasedDeduplication": "true",
                "DeduplicationScope": "messageGroup",
                "FifoThroughputLimit": "perMessageGroupId",
            }),
        )
        .await;
    let send = |body: String, group: &'static str| {
        env.json(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": body, "MessageGroupId": group }),
        )
    };
    send("a1".into(), "a").await.unwrap();
    send("a2".into(), "a").await.unwrap();
    assert_eq!(send("a3".into(), "a").await.unwrap_err(), throttled());
    // Another group has its own quota; the queue's (5 here) still caps them all.
    send("b1".into(), "b").await.unwrap();
    // A batch takes one call from each group it names: b has one left, c two.
    env.json(
        "SendMessageBatch",
        json!({ "QueueUrl": url, "Entries": [
            { "Id": "1", "MessageBody": "b2", "MessageGroupId": "b" },
            { "Id": "2", "MessageBody": "c1", "MessageGroupId": "c" },
            { "Id": "3", "MessageBody": "c2", "MessageGroupId": "c" },
        ] }),
    )
    .await
    .unwrap();
    send("d1".into(), "d").await.unwrap();
    // Five calls in this second: the queue's quota is spent even for a fresh group.
    assert_eq!(send("e1".into(), "e").await.unwrap_err(), throttled());
    env.clock.advance(1);
    send("a3".into(), "a").await.unwrap();
}
