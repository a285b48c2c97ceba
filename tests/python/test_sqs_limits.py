"""SQS quotas through boto3 (JSON 1.0): the in-flight quota (OverLimit on a short poll of a
standard queue, nothing for a long poll or a FIFO queue), the 12-hour cap of
ChangeMessageVisibility, and FIFO request throttling (RequestThrottled).

The quotas are AWS's by default; these tests lower them through the server's environment:
TESSERA_SQS_MAX_INFLIGHT (in-flight messages per queue) and TESSERA_SQS_FIFO_TPS (calls per
second per API action and FIFO queue)."""

import time

import pytest
from botocore.exceptions import ClientError

from conftest import TesseraServer, code


def start_server(tmp_path, env):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    srv = TesseraServer(data_dir, tmp_path / "server.stderr.log", extra_env=env)
    srv.start()
    return srv


@pytest.fixture
def limited(tmp_path):
    srv = start_server(tmp_path, {"TESSERA_SQS_MAX_INFLIGHT": "2", "TESSERA_SQS_FIFO_TPS": "1"})
    yield srv
    srv.stop()


def test_short_poll_over_the_in_flight_quota_fails_with_over_limit(limited):
    sqs = limited.client("sqs")
    url = sqs.create_queue(QueueName="busy")["QueueUrl"]
    for i in range(4):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 2
    with pytest.raises(ClientError) as e:
        sqs.receive_message(QueueUrl=url)
    assert code(e) == "OverLimit"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # A long poll is no error: it answers with nothing when its wait ends.
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    # Deleting one in-flight message makes room for one more.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 1


def test_fifo_queue_over_the_in_flight_quota_answers_with_nothing(limited):
    sqs = limited.client("sqs")
    url = sqs.create_queue(
        QueueName="busy.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    # One call per second on this FIFO queue: the batch sends all three groups at once.
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": g, "MessageBody": g, "MessageGroupId": g} for g in ("a", "b", "c")],
    )
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["a", "b"]
    time.sleep(1.1)  # the receive quota of 1/s, not the in-flight quota, must not be what answers
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)


def test_fifo_calls_over_the_request_quota_are_throttled(limited):
    sqs = limited.client("sqs")
    url = sqs.create_queue(
        QueueName="rate.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="first", MessageGroupId="g")
    # The second send within the same second exceeds 1 call per second.
    with pytest.raises(ClientError) as e:
        sqs.send_message(QueueUrl=url, MessageBody="second", MessageGroupId="g")
    assert code(e) == "RequestThrottled"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # Receives are counted apart from sends; the throttled send stored nothing.
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["first"]
    # Standard queues are never throttled.
    plain = sqs.create_queue(QueueName="plain")["QueueUrl"]
    for i in range(5):
        sqs.send_message(QueueUrl=plain, MessageBody=f"p{i}")


def test_change_visibility_cannot_pass_twelve_hours_after_the_receive(server):
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="long")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="slow work")
    m = sqs.receive_message(QueueUrl=url, VisibilityTimeout=43200)["Messages"][0]
    time.sleep(0.01)  # any time after the receive makes 43,200 more seconds too many
    with pytest.raises(ClientError) as e:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=43200)
    assert code(e) == "InvalidParameterValue"
    assert e.value.response["Error"]["Message"] == (
        "Value 43200 for parameter VisibilityTimeout is invalid. "
        "Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]"
    )
    batch = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "over", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 43200},
            {"Id": "fine", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 600},
        ],
    )
    assert [s["Id"] for s in batch["Successful"]] == ["fine"]
    assert [(f["Id"], f["Code"]) for f in batch["Failed"]] == [("over", "InvalidParameterValue")]
