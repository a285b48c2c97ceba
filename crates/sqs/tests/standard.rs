//! Standard queues through both protocols: the send/receive/delete cycle with exact digests,
//! visibility, delays, stale receipt handles, batches, attributes, errors, persistence.

mod common;

use common::{form_escape, xml_text, Env, ACCOUNT, BASE};
use serde_json::json;

#[tokio::test]
async fn json_round_trip_with_exact_digests() {
    let env = Env::new();
    let url = env.create("orders", json!({})).await;
    assert_eq!(url, format!("{BASE}/{ACCOUNT}/orders"));
    let sent = env
        .json(
            "SendMessage",
            json!({
                "QueueUrl": url,
                "MessageBody": "hello",
                "MessageAttributes": { "attr1": { "DataType": "String", "StringValue": "value1" } },
                "MessageSystemAttributes": { "AWSTraceHeader": { "DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793" } },
            }),
        )
        .await
        .unwrap();
    assert_eq!(sent["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592");
    // Vectors from tests/md5_vectors.py (the documented algorithm, computed independently).
    assert_eq!(
        sent["MD5OfMessageAttributes"],
        "3bc3f392bdd1097ba0b434f65d468d2e"
    );
    let trace_md5 = {
        let v = tessera_sqs::AttributeValue {
            data_type: "String".into(),
            string_value: Some("Root=1-5759e988-bd862e3fe1be46a994272793".into()),
            binary_value: None,
        };
        tessera_sqs::attributes_md5([("AWSTraceHeader", &v)]).unwrap()
    };
    assert_eq!(sent["MD5OfMessageSystemAttributes"], trace_md5.as_str());
    assert!(sent.get("SequenceNumber").is_none());

    let msgs = env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await;
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(m["Body"], "hello");
    assert_eq!(m["MessageId"], sent["MessageId"]);
    assert_eq!(m["MD5OfBody"], "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(
        m["MD5OfMessageAttributes"],
        "3bc3f392bdd1097ba0b434f65d468d2e"
    );
    assert_eq!(m["MessageAttributes"]["attr1"]["StringValue"], "value1");
    assert_eq!(m["Attributes"]["ApproximateReceiveCount"], "1");
    assert_eq!(m["Attributes"]["SenderId"], "AIDAEXAMPLEUSER");
    assert_eq!(m["Attributes"]["SentTimestamp"], "1700000000000");
    assert_eq!(
        m["Attributes"]["AWSTraceHeader"],
        "Root=1-5759e988-bd862e3fe1be46a994272793"
    );
    // In flight: nothing more to receive.
    assert!(env.receive(&url, json!({})).await.is_empty());
    assert_eq!(
        env.attribute(&url, "ApproximateNumberOfMessagesNotVisible")
            .await,
        "1"
    );
    env.json(
        "DeleteMessage",
        json!({ "QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"] }),
    )
    .await
    .unwrap();
    env.clock.advance(60);
    assert!(env.receive(&url, json!({})).await.is_empty());
    assert_eq!(
        env.attribute(&url, "ApproximateNumberOfMessages").await,
        "0"
    );
    assert_eq!(
        env.attribute(&url, "ApproximateNumberOfMessagesNotVisible")
            .await,
        "0"
    );
}

#[tokio::test]
async fn query_protocol_cycle_and_the_seed_batch() {
    let env = Env::new();
    let xml = env
        .query("Action=CreateQueue&QueueName=seed&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=45&Version=2012-11-05")
        .await
        .unwrap();
    let url = xml_text(&xml, "QueueUrl").unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><CreateQueueResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><CreateQueueResult>"));
    let q = form_escape(&url);
    let xml = env
        .query(&format!(
            "Action=SendMessageBatch&QueueUrl={q}&SendMessageBatchRequestEntry.1.Id=test_msg_001\
             &SendMessageBatchRequestEntry.1.MessageBody=test%20message%20body%201\
             &SendMessageBatchRequestEntry.2.Id=test_msg_002\
             &SendMessageBatchRequestEntry.2.MessageBody=test%20message%20body%202\
             &SendMessageBatchRequestEntry.2.DelaySeconds=60&Version=2012-11-05"
        ))
        .await
        .unwrap();
    assert_eq!(xml.matches("<SendMessageBatchResultEntry>").count(), 2);
    assert!(!xml.contains("BatchResultErrorEntry"));
    assert_eq!(
        env.attribute(&url, "ApproximateNumberOfMessagesDelayed")
            .await,
        "1"
    );
    // Query form posted to the queue's path, without QueueUrl.
    let xml = env
        .query_at(
            "Action=ReceiveMessage&MaxNumberOfMessages=10&AttributeName.1=All&Version=2012-11-05",
            &format!("/{ACCOUNT}/seed"),
        )
        .await
        .unwrap();
    assert_eq!(xml.matches("<Message>").count(), 1);
    assert_eq!(xml_text(&xml, "Body").unwrap(), "test message body 1");
    assert_eq!(
        xml_text(&xml, "MD5OfBody").unwrap(),
        tessera_sqs::hex_md5(b"test message body 1")
    );
    assert!(
        xml.contains("<Attribute><Name>SenderId</Name><Value>AIDAEXAMPLEUSER</Value></Attribute>")
    );
    let handle = xml_text(&xml, "ReceiptHandle").unwrap();
    env.query(&format!(
        "Action=DeleteMessage&QueueUrl={q}&ReceiptHandle={}",
        form_escape(&handle)
    ))
    .await
    .unwrap();
    env.clock.advance(61);
    let xml = env
        .query(&format!(
            "Action=ReceiveMessage&QueueUrl={q}&MaxNumberOfMessages=10"
        ))
        .await
        .unwrap();
    assert_eq!(xml_text(&xml, "Body").unwrap(), "test message body 2");
    let xml = env
        .query(&format!(
            "Action=GetQueueAttributes&QueueUrl={q}&AttributeName.1=All"
        ))
        .await
        .unwrap();
    assert!(xml.contains("<Attribute><Name>VisibilityTimeout</Name><Value>45</Value></Attribute>"));
    assert!(xml.contains(&format!(
        "<Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:us-east-1:{ACCOUNT}:seed</Value></Attribute>"
    )));
}

#[tokio::test]
async fn errors_are_exact_per_protocol() {
    let env = Env::new();
    let (ty, header, status) = env
        .json("GetQueueUrl", json!({ "QueueName": "missing" }))
        .await
        .unwrap_err();
    assert_eq!(ty, "com.amazonaws.sqs#QueueDoesNotExist");
    assert_eq!(header, "AWS.SimpleQueueService.NonExistentQueue;Sender");
    assert_eq!(status, 400);
    let xml = env
        .query("Action=GetQueueUrl&QueueName=missing")
        .await
        .unwrap_err();
    assert!(xml.contains("<Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>"));
    assert!(xml.contains("<RequestId>req-1</RequestId>"));

    let url = env.create("e", json!({})).await;
    let table = [
        (
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "bad \u{1}" }),
            "InvalidMessageContents",
        ),
        (
            "ReceiveMessage",
            json!({ "QueueUrl": url, "MaxNumberOfMessages": 11 }),
            "InvalidParameterValue",
        ),
        (
            "DeleteMessage",
            json!({ "QueueUrl": url, "ReceiptHandle": "garbage" }),
            "ReceiptHandleIsInvalid",
        ),
        (
            "SetQueueAttributes",
            json!({ "QueueUrl": url, "Attributes": { "DelaySeconds": "901" } }),
            "InvalidAttributeValue",
        ),
        (
            "GetQueueAttributes",
            json!({ "QueueUrl": url, "AttributeNames": ["Bogus"] }),
            "InvalidAttributeName",
        ),
        (
            "CreateQueue",
            json!({ "QueueName": "e", "Attributes": { "VisibilityTimeout": "5" } }),
            "QueueAlreadyExists",
        ),
        (
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "x", "MessageDeduplicationId": "d" }),
            "InvalidParameterValue",
        ),
        (
            "SetQueueAttributes",
            json!({ "QueueUrl": url, "Attributes": { "MaximumMessageSize": "1024" } }),
            "",
        ),
        (
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": "y".repeat(1025) }),
            "InvalidParameterValue",
        ),
        (
            "DeleteMessageBatch",
            json!({ "QueueUrl": url, "Entries": [] }),
            "AWS.SimpleQueueService.EmptyBatchRequest",
        ),
        (
            "SendMessage",
            json!({ "QueueUrl": format!("{BASE}/{ACCOUNT}/nope"), "MessageBody": "x" }),
            "AWS.SimpleQueueService.NonExistentQueue",
        ),
    ];
    for (action, body, code) in table {
        let got = env.json(action, body.clone()).await;
        if code.is_empty() {
            assert!(got.is_ok(), "{action} {body}: {got:?}");
            continue;
        }
        let (_, header, _) = got.unwrap_err();
        assert_eq!(header, format!("{code};Sender"), "{action} {body}");
    }
}

#[tokio::test]
async fn visibility_and_stale_receipt_handles() {
    let env = Env::new();
    let url = env
        .create("vis", json!({ "VisibilityTimeout": "30" }))
        .await;
    env.json(
        "SendMessage",
        json!({ "QueueUrl": url, "MessageBody": "m" }),
    )
    .await
    .unwrap();
    let first = env.receive(&url, json!({})).await;
    let old_handle = first[0]["ReceiptHandle"].as_str().unwrap().to_owned();
    env.clock.advance(29);
    assert!(env.receive(&url, json!({})).await.is_empty());
    env.clock.advance(2);
    let second = env.receive(&url, json!({})).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0]["Attributes"]["ApproximateReceiveCount"], "2");
    assert_eq!(
        second[0]["Attributes"]["ApproximateFirstReceiveTimestamp"],
        "1700000000000"
    );
    let new_handle = second[0]["ReceiptHandle"].as_str().unwrap().to_owned();
    assert_ne!(old_handle, new_handle);

    // A stale handle can neither change visibility nor delete.
    let (_, header, _) = env
        .json(
            "ChangeMessageVisibility",
            json!({ "QueueUrl": url, "ReceiptHandle": old_handle, "VisibilityTimeout": 0 }),
        )
        .await
        .unwrap_err();
    assert_eq!(header, "ReceiptHandleIsInvalid;Sender");
    env.json(
        "DeleteMessage",
        json!({ "QueueUrl": url, "ReceiptHandle": old_handle }),
    )
    .await
    .unwrap();
    assert_eq!(
        env.attribute(&url, "ApproximateNumberOfMessagesNotVisible")
            .await,
        "1"
    );

    // The current handle makes it visible at once.
    env.json(
        "ChangeMessageVisibility",
        json!({ "QueueUrl": url, "ReceiptHandle": new_handle, "VisibilityTimeout": 0 }),
    )
    .await
    .unwrap();
    let (_, header, _) = env
        .json(
            "ChangeMessageVisibility",
            json!({ "QueueUrl": url, "ReceiptHandle": new_handle, "VisibilityTimeout": 10 }),
        )
        .await
        .unwrap_err();
    assert_eq!(header, "AWS.SimpleQueueService.MessageNotInflight;Sender");
    let third = env.receive(&url, json!({ "VisibilityTimeout": 5 })).await;
    assert_eq!(third[0]["Attributes"]["ApproximateReceiveCount"], "3");
    env.clock.advance(6);
    assert_eq!(env.receive(&url, json!({})).await.len(), 1);
}

#[tokio::test]
async fn delays_queue_and_message() {
    let env = Env::new();
    let url = env.create("delay", json!({ "DelaySeconds": "20" })).await;
    env.json(
        "SendMessage",
        json!({ "QueueUrl": url, "MessageBody": "q" }),
    )
    .await
    .unwrap();
    env.json(
        "SendMessage",
        json!({ "QueueUrl": url, "MessageBody": "m", "DelaySeconds": 5 }),
    )
    .await
    .unwrap();
    assert!(env.receive(&url, json!({})).await.is_empty());
    assert_eq!(
        env.attribute(&url, "ApproximateNumberOfMessagesDelayed")
            .await,
        "2"
    );
    env.clock.advance(5);
    let got = env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["Body"], "m");
    env.clock.advance(15);
    let got = env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await;
    assert_eq!(got[0]["Body"], "q");
}

#[tokio::test]
async fn batches_fail_per_entry_and_delete_in_one_call() {
    let env = Env::new();
    let url = env.create("batch", json!({})).await;
    let v = env
        .json(
            "SendMessageBatch",
            json!({ "QueueUrl": url, "Entries": [
                { "Id": "a", "MessageBody": "one" },
                { "Id": "b", "MessageBody": "bad \u{1}" },
                { "Id": "c", "MessageBody": "three", "MessageAttributes": { "n": { "DataType": "Number", "StringValue": "42" } } },
            ]}),
        )
        .await
        .unwrap();
    assert_eq!(v["Successful"].as_array().unwrap().len(), 2);
    assert_eq!(v["Failed"][0]["Id"], "b");
    assert_eq!(v["Failed"][0]["Code"], "InvalidMessageContents");
    assert_eq!(v["Failed"][0]["SenderFault"], true);
    let msgs = env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await;
    assert_eq!(msgs.len(), 2);
    let entries: Vec<_> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| json!({ "Id": format!("e{i}"), "ReceiptHandle": m["ReceiptHandle"] }))
        .chain([json!({ "Id": "bad", "ReceiptHandle": "nope" })])
        .collect();
    let v = env
        .json(
            "DeleteMessageBatch",
            json!({ "QueueUrl": url, "Entries": entries }),
        )
        .await
        .unwrap();
    assert_eq!(v["Successful"].as_array().unwrap().len(), 2);
    assert_eq!(v["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
    env.clock.advance(31);
    assert!(env.receive(&url, json!({})).await.is_empty());
}

#[tokio::test]
async fn message_attribute_selection_and_binary() {
    let env = Env::new();
    let url = env.create("attrs", json!({})).await;
    env.json(
        "SendMessage",
        json!({ "QueueUrl": url, "MessageBody": "b", "MessageAttributes": {
            "bin": { "DataType": "Binary", "BinaryValue": "AAEC" },
            "keep.one": { "DataType": "String", "StringValue": "x" },
        }}),
    )
    .await
    .unwrap();
    let got = env
        .json(
            "ReceiveMessage",
            json!({ "QueueUrl": url, "MessageAttributeNames": ["keep.*"] }),
        )
        .await
        .unwrap();
    let m = &got["Messages"][0];
    assert!(m["MessageAttributes"].get("bin").is_none());
    assert_eq!(m["MessageAttributes"]["keep.one"]["StringValue"], "x");
    let only = tessera_sqs::AttributeValue {
        data_type: "String".into(),
        string_value: Some("x".into()),
        binary_value: None,
    };
    assert_eq!(
        m["MD5OfMessageAttributes"],
        tessera_sqs::attributes_md5([("keep.one", &only)])
            .unwrap()
            .as_str()
    );
    assert!(m.get("Attributes").is_none());
}

#[tokio::test]
async fn messages_and_sequence_survive_reopen() {
    let mut env = Env::new();
    let url = env.create("durable", json!({})).await;
    for i in 0..3 {
        env.json(
            "SendMessage",
            json!({ "QueueUrl": url, "MessageBody": format!("m{i}") }),
        )
        .await
        .unwrap();
    }
    env.reopen();
    let got = env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await;
    let mut bodies: Vec<_> = got.iter().map(|m| m["Body"].as_str().unwrap()).collect();
    bodies.sort_unstable();
    assert_eq!(bodies, ["m0", "m1", "m2"]);
    // Handles issued before a restart still work after it.
    let handle = got[0]["ReceiptHandle"].clone();
    env.reopen();
    env.json(
        "DeleteMessage",
        json!({ "QueueUrl": url, "ReceiptHandle": handle }),
    )
    .await
    .unwrap();
    assert_eq!(
        env.attribute(&url, "ApproximateNumberOfMessagesNotVisible")
            .await,
        "2"
    );
}

#[tokio::test]
async fn purge_delete_and_recreate() {
    let env = Env::new();
    let url = env.create("p", json!({})).await;
    env.json(
        "SendMessage",
        json!({ "QueueUrl": url, "MessageBody": "x" }),
    )
    .await
    .unwrap();
    env.json("PurgeQueue", json!({ "QueueUrl": url }))
        .await
        .unwrap();
    assert!(env.receive(&url, json!({})).await.is_empty());
    let (_, header, status) = env
        .json("PurgeQueue", json!({ "QueueUrl": url }))
        .await
        .unwrap_err();
    assert_eq!(
        (header.as_str(), status),
        ("AWS.SimpleQueueService.PurgeQueueInProgress;Sender", 403)
    );
    env.clock.advance(61);
    env.json(
        "SendMessage",
        json!({ "QueueUrl": url, "MessageBody": "y" }),
    )
    .await
    .unwrap();
    env.json("DeleteQueue", json!({ "QueueUrl": url }))
        .await
        .unwrap();
    let (_, header, _) = env
        .json("CreateQueue", json!({ "QueueName": "p" }))
        .await
        .unwrap_err();
    assert_eq!(header, "AWS.SimpleQueueService.QueueDeletedRecently;Sender");
    env.clock.advance(61);
    env.sqs.maintain_once().await.unwrap();
    let url = env.create("p", json!({})).await;
    assert!(env.receive(&url, json!({})).await.is_empty());
    assert_eq!(
        env.attribute(&url, "ApproximateNumberOfMessages").await,
        "0"
    );
}

#[tokio::test]
async fn retention_is_enforced() {
    let env = Env::new();
    let url = env
        .create("ret", json!({ "MessageRetentionPeriod": "60" }))
        .await;
    env.json(
        "SendMessage",
        json!({ "QueueUrl": url, "MessageBody": "old" }),
    )
    .await
    .unwrap();
    env.clock.advance(61);
    env.json(
        "SendMessage",
        json!({ "QueueUrl": url, "MessageBody": "new" }),
    )
    .await
    .unwrap();
    env.sqs.maintain_once().await.unwrap();
    assert_eq!(
        env.attribute(&url, "ApproximateNumberOfMessages").await,
        "1"
    );
    let got = env
        .receive(&url, json!({ "MaxNumberOfMessages": 10 }))
        .await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["Body"], "new");
}

#[tokio::test]
async fn list_queues_pages_and_tags_and_permissions() {
    let env = Env::new();
    for n in ["app-a", "app-b", "app-c", "other"] {
        env.create(n, json!({})).await;
    }
    let v = env
        .json(
            "ListQueues",
            json!({ "QueueNamePrefix": "app", "MaxResults": 2 }),
        )
        .await
        .unwrap();
    assert_eq!(v["QueueUrls"].as_array().unwrap().len(), 2);
    let token = v["NextToken"].as_str().unwrap().to_owned();
    let v = env
        .json(
            "ListQueues",
            json!({ "QueueNamePrefix": "app", "MaxResults": 2, "NextToken": token }),
        )
        .await
        .unwrap();
    assert_eq!(v["QueueUrls"][0], format!("{BASE}/{ACCOUNT}/app-c"));
    assert!(v.get("NextToken").is_none());

    let url = format!("{BASE}/{ACCOUNT}/other");
    env.json(
        "TagQueue",
        json!({ "QueueUrl": url, "Tags": { "team": "a", "env": "t" } }),
    )
    .await
    .unwrap();
    env.json("UntagQueue", json!({ "QueueUrl": url, "TagKeys": ["env"] }))
        .await
        .unwrap();
    let v = env
        .json("ListQueueTags", json!({ "QueueUrl": url }))
        .await
        .unwrap();
    assert_eq!(v["Tags"], json!({ "team": "a" }));
    let xml = env
        .query(&format!(
            "Action=ListQueueTags&QueueUrl={}",
            form_escape(&url)
        ))
        .await
        .unwrap();
    assert!(xml.contains("<Tag><Key>team</Key><Value>a</Value></Tag>"));

    env.json(
        "AddPermission",
        json!({ "QueueUrl": url, "Label": "share", "AWSAccountIds": ["210987654321"], "Actions": ["SendMessage"] }),
    )
    .await
    .unwrap();
    let name = tessera_sqs::QueueName::from_url(&url).unwrap();
    let policy = env.sqs.queue_policy(&name).await.unwrap().unwrap();
    let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(doc["Statement"][0]["Sid"], "share");
    assert_eq!(doc["Statement"][0]["Action"], "SQS:SendMessage");
    assert_eq!(
        doc["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::210987654321:root"
    );
    let (_, header, _) = env
        .json(
            "AddPermission",
            json!({ "QueueUrl": url, "Label": "share", "AWSAccountIds": ["210987654321"], "Actions": ["SendMessage"] }),
        )
        .await
        .unwrap_err();
    assert_eq!(header, "InvalidParameterValue;Sender");
    env.json(
        "RemovePermission",
        json!({ "QueueUrl": url, "Label": "share" }),
    )
    .await
    .unwrap();
    assert_eq!(env.sqs.queue_policy(&name).await.unwrap(), None);
    let (_, header, _) = env
        .json(
            "SetQueueAttributes",
            json!({ "QueueUrl": url, "Attributes": { "Policy": "{not json" } }),
        )
        .await
        .unwrap_err();
    assert_eq!(header, "InvalidAttributeValue;Sender");
}
