"""SQS through boto3 (JSON 1.0, which current botocore speaks), with root, IAM-user and temporary
credentials: the queue API, message semantics (visibility, delay, FIFO, dead-letter queues, long
polling), the MD5s botocore verifies on every send and receive, and authorization by identity and
queue policies."""

import hashlib
import json
import threading
import time

import botocore.config
import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, code, creds_of

NO_VALIDATION = botocore.config.Config(retries={"total_max_attempts": 1}, parameter_validation=False)


@pytest.fixture
def sqs(server):
    return server.client("sqs")


def test_queue_lifecycle_and_attributes(server, sqs):
    url = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "40"})["QueueUrl"]
    assert url == f"{server.endpoint}/{ACCOUNT_ID}/orders"
    # Same name, same attributes: the existing queue; different attributes: QueueAlreadyExists.
    assert sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "40"})["QueueUrl"] == url
    with pytest.raises(ClientError) as e:
        sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "41"})
    assert code(e) == "QueueAlreadyExists"
    assert sqs.get_queue_url(QueueName="orders")["QueueUrl"] == url
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "40"
    assert attrs["QueueArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:orders"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert attrs["MessageRetentionPeriod"] == "345600"
    assert attrs["DelaySeconds"] == "0"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert int(attrs["CreatedTimestamp"]) > 1_600_000_000
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "5"})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"]
    assert attrs == {"DelaySeconds": "5"}
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "43201"})
    assert code(e) == "InvalidAttributeValue"
    assert url in sqs.list_queues(QueueNamePrefix="ord")["QueueUrls"]
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="zzz")
    sqs.tag_queue(QueueUrl=url, Tags={"team": "a"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as e:
        sqs.get_queue_url(QueueName="orders")
    assert code(e) == "AWS.SimpleQueueService.NonExistentQueue"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_send_receive_delete_with_attributes_and_md5s(sqs):
    url = sqs.create_queue(QueueName="work")["QueueUrl"]
    body = "héllo wörld ✓"
    # botocore checks MD5OfMessageBody and MD5OfMessageAttributes and raises if they differ.
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody=body,
        MessageAttributes={
            "color": {"DataType": "String", "StringValue": "blue"},
            "count": {"DataType": "Number", "StringValue": "42"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
            "kind": {"DataType": "String.custom", "StringValue": "x"},
        },
        MessageSystemAttributes={
            "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}
        },
    )
    assert sent["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest()
    assert len(sent["MD5OfMessageSystemAttributes"]) == 32
    got = sqs.receive_message(
        QueueUrl=url,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
        WaitTimeSeconds=1,
    )["Messages"]
    assert len(got) == 1
    msg = got[0]
    assert msg["Body"] == body and msg["MessageId"] == sent["MessageId"]
    assert msg["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01\xff"
    assert msg["MessageAttributes"]["count"] == {"DataType": "Number", "StringValue": "42"}
    assert msg["Attributes"]["ApproximateReceiveCount"] == "1"
    assert msg["Attributes"]["SenderId"] == ACCOUNT_ID
    assert msg["Attributes"]["AWSTraceHeader"].startswith("Root=1-")
    # Invisible while in flight.
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_visibility_timeout_and_stale_receipt_handles(sqs):
    url = sqs.create_queue(QueueName="vis")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    second = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60, AttributeNames=["All"])["Messages"][0]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    # The first receipt handle is stale: it must not bring the message back.
    with pytest.raises(ClientError):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url)["Messages"]
    assert again[0]["Body"] == "m"
    with pytest.raises(ClientError) as e:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert code(e) == "ReceiptHandleIsInvalid"


def test_batches_delays_and_batch_errors(sqs):
    url = sqs.create_queue(QueueName="batch")["QueueUrl"]
    out = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "now", "MessageBody": "one"},
            {"Id": "later", "MessageBody": "two", "DelaySeconds": 60},
        ],
    )
    assert {s["Id"] for s in out["Successful"]} == {"now", "later"}
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["one"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "a", "ReceiptHandle": got[0]["ReceiptHandle"]}, {"Id": "b", "ReceiptHandle": "bogus"}],
    )
    assert [s["Id"] for s in deleted["Successful"]] == ["a"]
    assert deleted["Failed"][0]["Id"] == "b" and deleted["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    client = sqs
    with pytest.raises(ClientError) as e:
        client.send_message_batch(QueueUrl=url, Entries=[{"Id": "x", "MessageBody": "1"}, {"Id": "x", "MessageBody": "2"}])
    assert code(e) == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    with pytest.raises(ClientError) as e:
        client.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "b"} for i in range(11)])
    assert code(e) == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"


def test_invalid_message_contents_and_size(server):
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="limits", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="bad \x01 char")
    assert code(e) == "InvalidMessageContents"
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert code(e) == "InvalidParameterValue"
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)


def test_fifo_order_deduplication_and_group_exclusivity(sqs):
    url = sqs.create_queue(
        QueueName="jobs.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    seqs = []
    for body in ["a1", "a2", "a3"]:
        out = sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="A")
        seqs.append(int(out["SequenceNumber"]))
    assert seqs == sorted(seqs)
    dup = sqs.send_message(QueueUrl=url, MessageBody="a1", MessageGroupId="A")
    sqs.send_message(QueueUrl=url, MessageBody="b1", MessageGroupId="B")
    assert int(dup["SequenceNumber"]) == seqs[0]
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in first] == ["a1", "a2"]
    assert first[0]["Attributes"]["MessageGroupId"] == "A"
    # Group A has messages in flight: only group B is available now.
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in second] == ["b1"]
    for m in first:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    third = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in third] == ["a3"]
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="no group")
    assert code(e) == "MissingParameter"


def test_dead_letter_queue_after_max_receives(sqs):
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = sqs.create_queue(
        QueueName="src",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})},
    )["QueueUrl"]
    sqs.send_message(QueueUrl=src, MessageBody="poison")
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)["Messages"][0]["Body"] == "poison"
    assert "Messages" not in sqs.receive_message(QueueUrl=src)
    moved = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
    assert moved[0]["Body"] == "poison"
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]


def test_long_poll_returns_when_a_message_arrives(server, sqs):
    url = sqs.create_queue(QueueName="poll")["QueueUrl"]
    sender = server.client("sqs")
    result = {}

    def receive():
        result["out"] = server.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=20)

    t = threading.Thread(target=receive)
    t.start()
    time.sleep(0.5)
    sender.send_message(QueueUrl=url, MessageBody="wake")
    t.join(timeout=30)
    assert not t.is_alive()
    assert result["out"]["Messages"][0]["Body"] == "wake"


def test_purge_queue(sqs):
    url = sqs.create_queue(QueueName="purge")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(5)])
    sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    with pytest.raises(ClientError) as e:
        sqs.purge_queue(QueueUrl=url)
    assert code(e) == "AWS.SimpleQueueService.PurgeQueueInProgress"


def make_user(iam, name, statements):
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def test_identity_policies_and_temporary_credentials(server, iam, sqs):
    url = sqs.create_queue(QueueName="guarded")["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:guarded"
    sender = make_user(iam, "sender", [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn},
        {"Effect": "Allow", "Action": "sts:GetFederationToken", "Resource": "*"},
    ])
    nobody = make_user(iam, "nobody", [])
    server.client("sqs", sender).send_message(QueueUrl=url, MessageBody="ok")
    with pytest.raises(ClientError) as e:
        server.client("sqs", sender).receive_message(QueueUrl=url)
    assert code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        server.client("sqs", nobody).send_message(QueueUrl=url, MessageBody="no")
    assert code(e) == "AccessDenied"
    # Temporary credentials act with the user's rights, narrowed by a session policy.
    fed = server.client("sts", sender).get_federation_token(
        Name="fed",
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}),
    )["Credentials"]
    server.client("sqs", creds_of(fed)).send_message(QueueUrl=url, MessageBody="from a federated user")
    with pytest.raises(ClientError) as e:
        server.client("sqs", creds_of(fed)).delete_queue(QueueUrl=url)
    assert code(e) == "AccessDenied"
    session = server.client("sts", sender).get_session_token()["Credentials"]
    server.client("sqs", creds_of(session)).send_message(QueueUrl=url, MessageBody="from a session")
    # A key without its token is useless.
    bare = {"aws_access_key_id": session["AccessKeyId"], "aws_secret_access_key": session["SecretAccessKey"]}
    with pytest.raises(ClientError) as e:
        server.client("sqs", bare).send_message(QueueUrl=url, MessageBody="no token")
    assert code(e) == "InvalidClientTokenId"


def test_queue_policy_grants_another_user(server, iam, sqs):
    url = sqs.create_queue(QueueName="shared")["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:shared"
    reader = make_user(iam, "reader", [])
    with pytest.raises(ClientError):
        server.client("sqs", reader).send_message(QueueUrl=url, MessageBody="before")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/reader"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
        }],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    server.client("sqs", reader).send_message(QueueUrl=url, MessageBody="after")
    assert json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]) == policy
    with pytest.raises(ClientError) as e:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": "{not json"})
    assert code(e) == "InvalidAttributeValue"
