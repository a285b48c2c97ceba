"""boto3's presigned GetCallerIdentity URL, fetched with plain urllib: no SDK on the way back.

botocore signs a presigned Query-protocol URL for the operation's own method (POST) unless
`HttpMethod` says otherwise, so a URL meant for a plain GET is generated with HttpMethod="GET"; the
default one is sent as an empty POST, as tools that hand such URLs around do."""

import urllib.error
import urllib.request

from conftest import ACCOUNT_ID


def fetch(url, method="GET"):
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_presigned_get_caller_identity_as_root(server, sts):
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=300, HttpMethod="GET")
    assert "X-Amz-Signature=" in url
    status, body = fetch(url)
    assert status == 200, body
    assert f"<Arn>arn:aws:iam::{ACCOUNT_ID}:root</Arn>" in body


def test_presigned_get_caller_identity_as_user(server, iam):
    iam.create_user(UserName="presigner")
    key = iam.create_access_key(UserName="presigner")["AccessKey"]
    sts = server.client("sts", {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    })
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=300, HttpMethod="GET")
    status, body = fetch(url)
    assert status == 200, body
    assert f"<Arn>arn:aws:iam::{ACCOUNT_ID}:user/presigner</Arn>" in body


def test_default_presigned_url_is_for_post(server, sts):
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=300)
    status, body = fetch(url, method="POST")
    assert status == 200, body
    assert f"<Arn>arn:aws:iam::{ACCOUNT_ID}:root</Arn>" in body
    # The method is part of what was signed.
    status, body = fetch(url, method="GET")
    assert status == 403, body
    assert "<Code>SignatureDoesNotMatch</Code>" in body


def test_presigned_url_with_tampered_signature(server, sts):
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=300, HttpMethod="GET")
    last = url[-1]
    tampered = url[:-1] + ("1" if last == "0" else "0")
    status, body = fetch(tampered)
    assert status == 403, body
    assert "<Code>SignatureDoesNotMatch</Code>" in body
