"""A raw SigV2 query request, built by hand with hmac/hashlib and sent with urllib, the way AWS's
documentation shows it (Action, AWSAccessKeyId, SignatureVersion=2, SignatureMethod, Timestamp,
Version, Signature; SecurityToken only for temporary credentials, so absent here)."""

import base64
import datetime
import hashlib
import hmac
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import ACCOUNT_ID, ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY


def quote(value):
    return urllib.parse.quote(value, safe="-_.~")


def signed_query(host, params, secret, method="GET", path="/", algorithm="HmacSHA256"):
    params = dict(params)
    params["SignatureVersion"] = "2"
    params["SignatureMethod"] = algorithm
    canonical = "&".join(
        f"{quote(k)}={quote(v)}" for k, v in sorted(params.items(), key=lambda kv: kv[0].encode())
    )
    string_to_sign = f"{method}\n{host.lower()}\n{path}\n{canonical}"
    digest = hashlib.sha256 if algorithm == "HmacSHA256" else hashlib.sha1
    signature = base64.b64encode(
        hmac.new(secret.encode(), string_to_sign.encode(), digest).digest()
    ).decode()
    return f"{canonical}&Signature={quote(signature)}"


def timestamp(delta_seconds=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def base_params(access_key=ROOT_ACCESS_KEY_ID, **extra):
    params = {
        "Action": "GetCallerIdentity",
        "Version": "2011-06-15",
        "AWSAccessKeyId": access_key,
        "Timestamp": timestamp(),
    }
    params.update(extra)
    return params


@pytest.mark.parametrize("algorithm", ["HmacSHA256", "HmacSHA1"])
def test_sigv2_get_caller_identity(server, algorithm):
    query = signed_query(server.host, base_params(), ROOT_SECRET_ACCESS_KEY, algorithm=algorithm)
    assert "SecurityToken" not in query
    status, body = fetch(f"{server.endpoint}/?{query}")
    assert status == 200, body
    assert f"<Arn>arn:aws:iam::{ACCOUNT_ID}:root</Arn>" in body


def test_sigv2_wrong_secret(server):
    query = signed_query(server.host, base_params(), "wrong-secret")
    status, body = fetch(f"{server.endpoint}/?{query}")
    assert status == 403, body
    assert "<Code>SignatureDoesNotMatch</Code>" in body


def test_sigv2_tampered_parameter(server):
    query = signed_query(server.host, base_params(), ROOT_SECRET_ACCESS_KEY)
    tampered = query.replace("Version=2011-06-15", "Version=2011-06-16")
    status, body = fetch(f"{server.endpoint}/?{tampered}")
    assert status == 403, body
    assert "<Code>SignatureDoesNotMatch</Code>" in body


def test_sigv2_unknown_key(server):
    query = signed_query(server.host, base_params(access_key="AKIAZZZZZZZZZZZZZZZZ"), "x")
    status, body = fetch(f"{server.endpoint}/?{query}")
    assert status == 403, body
    assert "<Code>InvalidClientTokenId</Code>" in body


def test_sigv2_stale_timestamp(server):
    params = base_params(Timestamp=timestamp(-20 * 60))
    query = signed_query(server.host, params, ROOT_SECRET_ACCESS_KEY)
    status, body = fetch(f"{server.endpoint}/?{query}")
    assert "<Code>RequestExpired</Code>" in body, body
    assert status == 400


def test_sigv2_with_a_new_users_key(server, iam):
    iam.create_user(UserName="v2user")
    key = iam.create_access_key(UserName="v2user")["AccessKey"]
    query = signed_query(
        server.host, base_params(access_key=key["AccessKeyId"]), key["SecretAccessKey"]
    )
    status, body = fetch(f"{server.endpoint}/?{query}")
    assert status == 200, body
    assert f"<Arn>arn:aws:iam::{ACCOUNT_ID}:user/v2user</Arn>" in body


def test_sigv2_with_temporary_credentials_and_security_token(server, iam, sts):
    """The seed's SigV2 sample: temporary credentials, `SecurityToken` in the query, a Timestamp
    with a UTC offset."""
    temp = sts.get_session_token()["Credentials"]
    offset = datetime.timezone(datetime.timedelta(hours=-7))
    local = datetime.datetime.now(offset).strftime("%Y-%m-%dT%H:%M:%S-07:00")
    params = base_params(temp["AccessKeyId"], Timestamp=local, SecurityToken=temp["SessionToken"])
    status, body = fetch(f"{server.endpoint}/?{signed_query(server.host, params, temp['SecretAccessKey'])}")
    assert status == 200, body
    assert f"<Arn>arn:aws:iam::{ACCOUNT_ID}:root</Arn>" in body
    # The key without its token is useless; a token from another session is refused.
    params = base_params(temp["AccessKeyId"])
    status, body = fetch(f"{server.endpoint}/?{signed_query(server.host, params, temp['SecretAccessKey'])}")
    assert status == 403 and "InvalidClientTokenId" in body
    other = sts.get_session_token()["Credentials"]["SessionToken"]
    params = base_params(temp["AccessKeyId"], SecurityToken=other)
    status, body = fetch(f"{server.endpoint}/?{signed_query(server.host, params, temp['SecretAccessKey'])}")
    assert status == 403 and "InvalidClientTokenId" in body
