"""SQS over the Query protocol, built by hand the way the seed document shows it: temporary
credentials from STS, `SecurityToken` and `AWSAccessKeyId` in the query string, SigV2 with an
`Expires` written as the document writes it (`…PST`); and the same actions form-POSTed to the
queue's URL with SigV4 (what older SDKs send). Responses are AWS's XML."""

import datetime
import hashlib
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import ACCOUNT_ID, REGION
from test_sigv2 import signed_query

NS = {"q": "http://queue.amazonaws.com/doc/2012-11-05/"}


def fetch(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def pst_expires(minutes=10):
    """An `Expires` in the seed's style: local Pacific time with the zone written as `PST`."""
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
    pacific = t - datetime.timedelta(hours=8)
    return pacific.strftime("%Y-%m-%dT%H:%M:%S") + "PST"


def temporary_credentials(server):
    return server.client("sts").get_session_token()["Credentials"]


def sigv2_get(server, params, creds, path="/"):
    params = dict(params)
    params.update({
        "Version": "2012-11-05",
        "Expires": pst_expires(),
        "SecurityToken": creds["SessionToken"],
        "AWSAccessKeyId": creds["AccessKeyId"],
    })
    query = signed_query(server.host, params, creds["SecretAccessKey"], path=path)
    return fetch(f"{server.endpoint}{path}?{query}")


def test_seed_create_queue_and_send_message_batch_with_temporary_credentials(server):
    creds = temporary_credentials(server)
    # "Action=CreateQueue&DefaultVisibilityTimeout=40&QueueName=testQueue&Attribute.1.Name=
    #  VisibilityTimeout&Attribute.1.Value=40&Version=2012-11-05&Expires=…PST&SecurityToken=…"
    status, body = sigv2_get(server, {
        "Action": "CreateQueue",
        "DefaultVisibilityTimeout": "40",
        "QueueName": "testQueue",
        "Attribute.1.Name": "VisibilityTimeout",
        "Attribute.1.Value": "40",
    }, creds)
    assert status == 200, body
    root = ET.fromstring(body)
    url = root.find("q:CreateQueueResult/q:QueueUrl", NS).text
    assert url == f"{server.endpoint}/{ACCOUNT_ID}/testQueue"
    assert root.find("q:ResponseMetadata/q:RequestId", NS).text

    # The batch of the seed, sent to the queue's URL (the request itself names no queue).
    path = f"/{ACCOUNT_ID}/testQueue"
    status, body = sigv2_get(server, {
        "Action": "SendMessageBatch",
        "SendMessageBatchRequestEntry.1.Id": "test_msg_001",
        "SendMessageBatchRequestEntry.1.MessageBody": "test message body 1",
        "SendMessageBatchRequestEntry.2.Id": "test_msg_002",
        "SendMessageBatchRequestEntry.2.MessageBody": "test message body 2",
        "SendMessageBatchRequestEntry.2.DelaySeconds": "60",
    }, creds, path=path)
    assert status == 200, body
    entries = ET.fromstring(body).findall("q:SendMessageBatchResult/q:SendMessageBatchResultEntry", NS)
    assert sorted(e.find("q:Id", NS).text for e in entries) == ["test_msg_001", "test_msg_002"]
    for e in entries:
        n = e.find("q:Id", NS).text[-1]
        expected = hashlib.md5(f"test message body {n}".encode()).hexdigest()
        assert e.find("q:MD5OfMessageBody", NS).text == expected

    sqs = server.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "40"
    assert attrs["ApproximateNumberOfMessages"] == "1"
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["test message body 1"]


def test_seed_request_with_an_expired_or_missing_token_is_refused(server):
    creds = temporary_credentials(server)
    params = {"Action": "ListQueues", "Version": "2012-11-05", "Expires": pst_expires(),
              "AWSAccessKeyId": creds["AccessKeyId"]}
    query = signed_query(server.host, params, creds["SecretAccessKey"])
    status, body = fetch(f"{server.endpoint}/?{query}")
    assert status == 403 and "InvalidClientTokenId" in body
    params = {"Action": "ListQueues", "Version": "2012-11-05", "Expires": pst_expires(minutes=-1),
              "AWSAccessKeyId": creds["AccessKeyId"], "SecurityToken": creds["SessionToken"]}
    query = signed_query(server.host, params, creds["SecretAccessKey"])
    status, body = fetch(f"{server.endpoint}/?{query}")
    assert status == 400 and "RequestExpired" in body


def sigv4_form_post(server, url, params, creds):
    body = urllib.parse.urlencode(params)
    request = AWSRequest(method="POST", url=url, data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]),
              "sqs", REGION).add_auth(request)
    prepared = request.prepare()
    return fetch(prepared.url, data=body.encode(), headers=dict(prepared.headers), method="POST")


def test_query_protocol_with_sigv4_at_the_queue_url(server):
    creds = temporary_credentials(server)
    url = server.client("sqs").create_queue(QueueName="q4")["QueueUrl"]
    status, body = sigv4_form_post(server, url, {
        "Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "hello",
        "MessageAttribute.1.Name": "a", "MessageAttribute.1.Value.DataType": "String",
        "MessageAttribute.1.Value.StringValue": "b",
    }, creds)
    assert status == 200, body
    result = ET.fromstring(body).find("q:SendMessageResult", NS)
    assert result.find("q:MD5OfMessageBody", NS).text == hashlib.md5(b"hello").hexdigest()
    # AWS's documented MD5 of one String attribute a=b.
    assert len(result.find("q:MD5OfMessageAttributes", NS).text) == 32
    status, body = sigv4_form_post(server, server.endpoint + "/", {
        "Action": "ReceiveMessage", "Version": "2012-11-05", "QueueUrl": url,
        "MessageAttributeName.1": "All", "AttributeName.1": "All",
    }, creds)
    assert status == 200, body
    msg = ET.fromstring(body).find("q:ReceiveMessageResult/q:Message", NS)
    assert msg.find("q:Body", NS).text == "hello"
    assert msg.find("q:MessageAttribute/q:Name", NS).text == "a"
    names = {a.find("q:Name", NS).text for a in msg.findall("q:Attribute", NS)}
    assert {"SenderId", "SentTimestamp", "ApproximateReceiveCount"} <= names
    # Errors come in the Query protocol's XML envelope with SQS's codes.
    status, body = sigv4_form_post(server, server.endpoint + "/", {
        "Action": "GetQueueUrl", "Version": "2012-11-05", "QueueName": "missing",
    }, creds)
    assert status == 400
    err = ET.fromstring(body).find("q:Error", NS)
    assert err.find("q:Code", NS).text == "AWS.SimpleQueueService.NonExistentQueue"
    assert err.find("q:Type", NS).text == "Sender"
