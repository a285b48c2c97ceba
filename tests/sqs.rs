//! SQS through aws-sdk-rust (JSON 1.0; the SDK verifies every MD5 it is given): the seed's flow
//! with temporary credentials, FIFO, long polling, and a crash test: `kill -9` while senders and
//! receivers run, then nothing acknowledged is lost and nothing deleted comes back.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sqs::types::{
    MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use common::{error_code, Creds, TestServer, ACCOUNT_ID};

fn creds_of(c: &aws_sdk_sts::types::Credentials) -> Creds {
    Creds {
        session_token: Some(c.session_token().to_owned()),
        ..Creds::new(c.access_key_id(), c.secret_access_key())
    }
}

#[tokio::test]
async fn seed_flow_with_temporary_credentials() {
    let server = TestServer::start();
    let session = server
        .sts()
        .get_session_token()
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let sqs = server.sqs_with(&creds_of(&session));
    let url = sqs
        .create_queue()
        .queue_name("testQueue")
        .attributes(QueueAttributeName::VisibilityTimeout, "40")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    assert_eq!(url, format!("{}/{ACCOUNT_ID}/testQueue", server.endpoint()));
    let out = sqs
        .send_message_batch()
        .queue_url(&url)
        .entries(
            SendMessageBatchRequestEntry::builder()
                .id("test_msg_001")
                .message_body("test message body 1")
                .message_attributes(
                    "n",
                    MessageAttributeValue::builder()
                        .data_type("Number")
                        .string_value("7")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .entries(
            SendMessageBatchRequestEntry::builder()
                .id("test_msg_002")
                .message_body("test message body 2")
                .delay_seconds(60)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.successful().len(), 2);
    assert!(out.failed().is_empty());
    let got = sqs
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let messages = got.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body(), Some("test message body 1"));
    let attrs = messages[0].attributes().unwrap();
    assert_eq!(
        attrs.get(&MessageSystemAttributeName::ApproximateReceiveCount),
        Some(&"1".to_owned())
    );
    // The session's SenderId is the parent user's id: here the root account.
    assert_eq!(
        attrs.get(&MessageSystemAttributeName::SenderId),
        Some(&ACCOUNT_ID.to_owned())
    );
    let deleted = sqs
        .delete_message()
        .queue_url(&url)
        .receipt_handle(messages[0].receipt_handle().unwrap())
        .send()
        .await;
    assert!(deleted.is_ok());
}

#[tokio::test]
async fn unknown_queue_and_bad_parameters_get_aws_errors() {
    let server = TestServer::start();
    let sqs = server.sqs_with(&server.root_creds());
    let err = sqs
        .get_queue_url()
        .queue_name("missing")
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_queue_does_not_exist());
    let err = sqs
        .create_queue()
        .queue_name("bad name!")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "InvalidParameterValue");
}

#[tokio::test]
async fn fifo_groups_deliver_in_order() {
    let server = TestServer::start();
    let sqs = server.sqs_with(&server.root_creds());
    let url = sqs
        .create_queue()
        .queue_name("orders.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for i in 0..20 {
        sqs.send_message()
            .queue_url(&url)
            .message_body(format!("m{i:02}"))
            .message_group_id(if i % 2 == 0 { "even" } else { "odd" })
            .send()
            .await
            .unwrap();
    }
    let mut seen: Vec<String> = Vec::new();
    while seen.len() < 20 {
        let got = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for m in got.messages() {
            seen.push(m.body().unwrap().to_owned());
            sqs.delete_message()
                .queue_url(&url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    let even: Vec<&String> = seen
        .iter()
        .filter(|b| b[1..].parse::<u32>().unwrap() % 2 == 0)
        .collect();
    let mut sorted = even.clone();
    sorted.sort();
    assert_eq!(even, sorted, "each group is delivered in send order");
}

#[tokio::test]
async fn long_poll_wakes_on_send() {
    let server = TestServer::start();
    let sqs = server.sqs_with(&server.root_creds());
    let url = sqs
        .create_queue()
        .queue_name("poll")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let receiver = {
        let sqs = sqs.clone();
        let url = url.clone();
        tokio::spawn(async move {
            sqs.receive_message()
                .queue_url(&url)
                .wait_time_seconds(20)
                .send()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    sqs.send_message()
        .queue_url(&url)
        .message_body("wake")
        .send()
        .await
        .unwrap();
    let got = receiver.await.unwrap();
    assert_eq!(got.messages()[0].body(), Some("wake"));
}

/// Senders and a receiver run while the server is killed with SIGKILL several times. Every
/// acknowledged send must still be there unless a delete for it was sent (a kill may swallow the
/// delete's answer); an acknowledged delete never comes back; nothing is invented.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_loses_no_acknowledged_message() {
    let mut server = TestServer::start();
    let root = server.root_creds();
    let url = server
        .sqs_with(&root)
        .create_queue()
        .queue_name("durable")
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let deleted: Arc<Mutex<HashSet<String>>> = Arc::default();
    // Deletes sent whose answer the kill may have swallowed: such a message may be gone.
    let attempted: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut next = 0u32;
    for _round in 0..4 {
        let sqs = server.sqs_with(&root);
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let (sqs, url, acked) = (sqs.clone(), url.clone(), acked.clone());
            let start = next;
            next += 1000;
            tasks.push(tokio::spawn(async move {
                for i in start..start + 1000 {
                    let body = format!("msg-{i}");
                    match sqs
                        .send_message()
                        .queue_url(&url)
                        .message_body(&body)
                        .send()
                        .await
                    {
                        Ok(_) => {
                            acked.lock().unwrap().insert(body);
                        }
                        Err(_) => break,
                    }
                }
            }));
        }
        {
            let (sqs, url, deleted, attempted) =
                (sqs.clone(), url.clone(), deleted.clone(), attempted.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let Ok(got) = sqs
                        .receive_message()
                        .queue_url(&url)
                        .max_number_of_messages(10)
                        .send()
                        .await
                    else {
                        break;
                    };
                    for m in got.messages() {
                        attempted
                            .lock()
                            .unwrap()
                            .insert(m.body().unwrap().to_owned());
                        let ok = sqs
                            .delete_message()
                            .queue_url(&url)
                            .receipt_handle(m.receipt_handle().unwrap())
                            .send()
                            .await
                            .is_ok();
                        if ok {
                            deleted.lock().unwrap().insert(m.body().unwrap().to_owned());
                        }
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        server.kill9();
        for t in tasks {
            let _ = t.await;
        }
        server.restart();
    }
    // Drain what is left; deleted messages must not come back.
    let sqs = server.sqs_with(&root);
    let mut remaining = HashSet::new();
    let mut empty = 0;
    while empty < 3 {
        let got = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(2)
            .send()
            .await
            .unwrap();
        if got.messages().is_empty() {
            empty += 1;
        }
        for m in got.messages() {
            let body = m.body().unwrap().to_owned();
            assert!(
                !deleted.lock().unwrap().contains(&body),
                "{body} was deleted and came back"
            );
            remaining.insert(body);
            sqs.delete_message()
                .queue_url(&url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    let acked = acked.lock().unwrap();
    let deleted = deleted.lock().unwrap();
    let attempted = attempted.lock().unwrap();
    assert!(
        acked.len() > 100,
        "the load ran ({} sends acknowledged)",
        acked.len()
    );
    assert!(!deleted.is_empty(), "the receiver ran");
    for body in acked.iter() {
        assert!(
            deleted.contains(body) || attempted.contains(body) || remaining.contains(body),
            "acknowledged {body} was lost"
        );
    }
    for body in remaining.iter().chain(deleted.iter()) {
        let n: u32 = body[4..].parse().unwrap();
        assert!(n < next, "{body} was never sent");
    }
}
