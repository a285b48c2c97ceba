"""S3 through boto3 (which signs with SigV4 and, by default, sends bodies as aws-chunked with a
CRC32 trailer) and plain HTTP: the seed's listings with temporary credentials, objects with
metadata, ranges, conditionals, checksums, copies, multipart uploads, presigned URLs, and bucket
policies deciding for other users and for anonymous callers."""

import base64
import hashlib
import io
import json
import urllib.error
import urllib.request
import zlib

import boto3.s3.transfer
import botocore.config
import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, code, creds_of

PATH_STYLE = botocore.config.Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"})


def s3_client(server, creds=None):
    creds = creds or server.root
    return boto3.session.Session(region_name=REGION).client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=creds["aws_access_key_id"],
        aws_secret_access_key=creds["aws_secret_access_key"],
        aws_session_token=creds.get("aws_session_token"),
        config=PATH_STYLE,
    )


@pytest.fixture
def s3(server):
    return s3_client(server)


def fetch(url, data=None, method=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_seed_listings_with_assumed_role_and_session_credentials(server, iam, s3):
    s3.create_bucket(Bucket="seed-bucket")
    for i in range(25):
        s3.put_object(Bucket="seed-bucket", Key=f"photos/{i:03d}.jpg", Body=b"x" * i)
    iam.create_role(
        RoleName="lister",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]}),
    )
    iam.put_role_policy(RoleName="lister", PolicyName="list", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:ListBucket"], "Resource": "*"}],
    }))
    iam.create_user(UserName="assumer")
    iam.put_user_policy(UserName="assumer", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="assumer")["AccessKey"]
    assumer = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    role = server.client("sts", assumer).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/lister", RoleSessionName="seed")
    session = server.client("sts").get_session_token()
    for creds in (creds_of(role["Credentials"]), creds_of(session["Credentials"])):
        client = s3_client(server, creds)
        assert [b["Name"] for b in client.list_buckets()["Buckets"]] == ["seed-bucket"]
        keys = []
        for page in client.get_paginator("list_objects").paginate(Bucket="seed-bucket", PaginationConfig={"PageSize": 10}):
            keys += [o["Key"] for o in page.get("Contents", [])]
        assert keys == [f"photos/{i:03d}.jpg" for i in range(25)]
        page = client.list_objects_v2(Bucket="seed-bucket", MaxKeys=5)
        assert page["KeyCount"] == 5 and page["IsTruncated"] is True
        assert [o["Key"] for o in page["Contents"]] == [f"photos/{i:03d}.jpg" for i in range(5)]
    # The role may list but not read.
    with pytest.raises(ClientError) as e:
        s3_client(server, creds_of(role["Credentials"])).get_object(Bucket="seed-bucket", Key="photos/001.jpg")
    assert code(e) == "AccessDenied"


def test_bucket_rules(s3):
    s3.create_bucket(Bucket="rules")
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="rules")
    assert code(e) == "BucketAlreadyOwnedByYou"
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="Bad_Name")
    assert code(e) == "InvalidBucketName"
    s3.head_bucket(Bucket="rules")
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="missing")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    s3.put_object(Bucket="rules", Key="k", Body=b"v")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket="rules")
    assert code(e) == "BucketNotEmpty"
    s3.delete_object(Bucket="rules", Key="k")
    s3.delete_bucket(Bucket="rules")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="rules", Key="k")
    assert code(e) == "NoSuchBucket"


def test_objects_metadata_ranges_conditionals_and_checksums(s3):
    s3.create_bucket(Bucket="objs")
    data = bytes(range(256)) * 40
    put = s3.put_object(
        Bucket="objs", Key="dir/file.bin", Body=data, ContentType="application/x-test",
        Metadata={"owner": "alice"}, ChecksumAlgorithm="SHA256",
    )
    etag = put["ETag"]
    assert etag == '"' + hashlib.md5(data).hexdigest() + '"'
    assert put["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    got = s3.get_object(Bucket="objs", Key="dir/file.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ContentType"] == "application/x-test" and got["Metadata"] == {"owner": "alice"}
    assert got["ChecksumSHA256"] == put["ChecksumSHA256"]
    part = s3.get_object(Bucket="objs", Key="dir/file.bin", Range="bytes=10-19")
    assert part["Body"].read() == data[10:20] and part["ContentRange"] == f"bytes 10-19/{len(data)}"
    tail = s3.get_object(Bucket="objs", Key="dir/file.bin", Range="bytes=-5")
    assert tail["Body"].read() == data[-5:]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="objs", Key="dir/file.bin", Range=f"bytes={len(data)}-")
    assert code(e) == "InvalidRange"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="objs", Key="dir/file.bin", IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="objs", Key="dir/file.bin", IfMatch='"0000"')
    assert code(e) == "PreconditionFailed"
    head = s3.head_object(Bucket="objs", Key="dir/file.bin")
    assert head["ContentLength"] == len(data) and head["ETag"] == etag
    # Conditional create.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="objs", Key="dir/file.bin", Body=b"again", IfNoneMatch="*")
    assert code(e) == "PreconditionFailed"
    # A wrong Content-MD5 is refused and leaves the object as it was.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="objs", Key="dir/file.bin", Body=b"other",
                      ContentMD5=base64.b64encode(hashlib.md5(b"not it").digest()).decode())
    assert code(e) == "BadDigest"
    assert s3.get_object(Bucket="objs", Key="dir/file.bin")["Body"].read() == data
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="objs", Key="nope")
    assert code(e) == "NoSuchKey"


def test_default_crc32_trailer_upload(s3):
    """boto3's default: aws-chunked body, STREAMING-UNSIGNED-PAYLOAD-TRAILER, CRC32 trailer."""
    s3.create_bucket(Bucket="crc")
    body = io.BytesIO(b"streamed " * 1000)
    out = s3.put_object(Bucket="crc", Key="k", Body=body)
    expected = base64.b64encode(zlib.crc32(b"streamed " * 1000).to_bytes(4, "big")).decode()
    assert out["ChecksumCRC32"] == expected
    assert s3.get_object(Bucket="crc", Key="k")["Body"].read() == b"streamed " * 1000


def test_listing_with_delimiter_and_continuation(s3):
    s3.create_bucket(Bucket="tree")
    keys = ["a/1", "a/2", "b/1", "c", "d/e/f", "ü/x"]
    for k in keys:
        s3.put_object(Bucket="tree", Key=k, Body=b"")
    top = s3.list_objects_v2(Bucket="tree", Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/", "d/", "ü/"]
    assert [o["Key"] for o in top["Contents"]] == ["c"]
    seen, token = [], None
    while True:
        kwargs = {"Bucket": "tree", "MaxKeys": 2}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_objects_v2(**kwargs)
        seen += [o["Key"] for o in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == sorted(keys, key=lambda k: k.encode())
    after = s3.list_objects_v2(Bucket="tree", StartAfter="b/1")
    assert [o["Key"] for o in after["Contents"]] == ["c", "d/e/f", "ü/x"]


def test_copy_delete_objects_and_tagging(s3):
    s3.create_bucket(Bucket="src")
    s3.create_bucket(Bucket="dst")
    s3.put_object(Bucket="src", Key="orig", Body=b"payload", Metadata={"a": "1"})
    s3.copy_object(Bucket="dst", Key="copy", CopySource={"Bucket": "src", "Key": "orig"})
    got = s3.get_object(Bucket="dst", Key="copy")
    assert got["Body"].read() == b"payload" and got["Metadata"] == {"a": "1"}
    s3.copy_object(Bucket="dst", Key="copy2", CopySource="src/orig", MetadataDirective="REPLACE", Metadata={"b": "2"})
    assert s3.head_object(Bucket="dst", Key="copy2")["Metadata"] == {"b": "2"}
    s3.put_object_tagging(Bucket="dst", Key="copy", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert s3.get_object_tagging(Bucket="dst", Key="copy")["TagSet"] == [{"Key": "k", "Value": "v"}]
    out = s3.delete_objects(Bucket="dst", Delete={"Objects": [{"Key": "copy"}, {"Key": "copy2"}, {"Key": "absent"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["absent", "copy", "copy2"]
    assert "Contents" not in s3.list_objects_v2(Bucket="dst")


def test_multipart_upload_through_the_transfer_manager(s3, tmp_path):
    s3.create_bucket(Bucket="big")
    data = (b"0123456789abcdef" * 65536) * 11  # 11 MiB
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    config = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    s3.upload_file(str(path), "big", "big.bin", Config=config)
    head = s3.head_object(Bucket="big", Key="big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"')
    out = tmp_path / "back.bin"
    s3.download_file("big", "big.bin", str(out), Config=config)
    assert out.read_bytes() == data
    upload = s3.create_multipart_upload(Bucket="big", Key="small-parts")
    s3.upload_part(Bucket="big", Key="small-parts", UploadId=upload["UploadId"], PartNumber=1, Body=b"a")
    p2 = s3.upload_part(Bucket="big", Key="small-parts", UploadId=upload["UploadId"], PartNumber=2, Body=b"b")
    parts = s3.list_parts(Bucket="big", Key="small-parts", UploadId=upload["UploadId"])["Parts"]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(
            Bucket="big", Key="small-parts", UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]},
        )
    assert code(e) == "EntityTooSmall"
    s3.abort_multipart_upload(Bucket="big", Key="small-parts", UploadId=upload["UploadId"])
    assert p2["ETag"] == '"' + hashlib.md5(b"b").hexdigest() + '"'


def test_presigned_urls(server, s3):
    s3.create_bucket(Bucket="pre")
    # boto3 presigns S3 with its SigV2 dialect by default; the content type is part of what it signs.
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": "pre", "Key": "up", "ContentType": "text/plain"}, ExpiresIn=300)
    status, _ = fetch(put_url, data=b"via presigned put", method="PUT", headers={"Content-Type": "text/plain"})
    assert status == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "up"}, ExpiresIn=300)
    assert fetch(get_url) == (200, b"via presigned put")
    tampered = get_url.replace("Key=up", "Key=other") if "Key=up" in get_url else get_url.replace("/up?", "/other?")
    status, body = fetch(tampered)
    assert status == 403 and b"SignatureDoesNotMatch" in body
    session = server.client("sts").get_session_token()["Credentials"]
    temp_url = s3_client(server, creds_of(session)).generate_presigned_url(
        "get_object", Params={"Bucket": "pre", "Key": "up"}, ExpiresIn=300)
    assert "x-amz-security-token=" in temp_url
    assert fetch(temp_url) == (200, b"via presigned put")
    v4_url = boto3.session.Session(region_name=REGION).client(
        "s3", endpoint_url=server.endpoint, aws_access_key_id=session["AccessKeyId"],
        aws_secret_access_key=session["SecretAccessKey"], aws_session_token=session["SessionToken"],
        config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    ).generate_presigned_url("get_object", Params={"Bucket": "pre", "Key": "up"}, ExpiresIn=300)
    assert "X-Amz-Signature" in v4_url and "X-Amz-Security-Token" in v4_url
    assert fetch(v4_url) == (200, b"via presigned put")


def test_bucket_policy_for_anonymous_and_other_users(server, iam, s3):
    s3.create_bucket(Bucket="public")
    s3.put_object(Bucket="public", Key="index.html", Body=b"<h1>hi</h1>")
    s3.put_object(Bucket="public", Key="private/secret", Body=b"no")
    url = f"{server.endpoint}/public/index.html"
    status, body = fetch(url)
    assert status == 403 and b"AccessDenied" in body
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public/*"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public/private/*"},
        ],
    }
    s3.put_bucket_policy(Bucket="public", Policy=json.dumps(policy))
    assert json.loads(s3.get_bucket_policy(Bucket="public")["Policy"]) == policy
    assert fetch(url) == (200, b"<h1>hi</h1>")
    status, _ = fetch(f"{server.endpoint}/public/private/secret")
    assert status == 403
    # An IAM user with no policy of its own reads through the bucket policy too.
    iam.create_user(UserName="carol")
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    carol = s3_client(server, {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]})
    assert carol.get_object(Bucket="public", Key="index.html")["Body"].read() == b"<h1>hi</h1>"
    with pytest.raises(ClientError) as e:
        carol.put_object(Bucket="public", Key="x", Body=b"no")
    assert code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket="public", Policy="{broken")
    assert code(e) == "MalformedPolicy"


def test_expired_and_bad_tokens_get_s3_errors(server):
    session = server.client("sts").get_session_token()["Credentials"]
    bad = creds_of(session)
    bad["aws_session_token"] = bad["aws_session_token"][:-8] + "AAAAAAAA"
    with pytest.raises(ClientError) as e:
        s3_client(server, bad).list_buckets()
    assert code(e) == "InvalidToken"
    unknown = {"aws_access_key_id": "AKIAUNKNOWNUNKNOWN00", "aws_secret_access_key": "x" * 40}
    with pytest.raises(ClientError) as e:
        s3_client(server, unknown).list_buckets()
    assert code(e) == "InvalidAccessKeyId"


def test_virtual_host_addressing(server, s3):
    """`bucket.s3.localhost` names the bucket in the Host header; the request is sent to the
    server's address directly, so no DNS is involved."""
    import http.client

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    s3.create_bucket(Bucket="vhost")
    s3.put_object(Bucket="vhost", Key="dir/hello.txt", Body=b"virtually")
    port = server.endpoint.rsplit(":", 1)[1]
    url = f"http://vhost.s3.localhost:{port}/dir/hello.txt"
    request = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    S3SigV4Auth(Credentials(server.root["aws_access_key_id"], server.root["aws_secret_access_key"]),
                "s3", REGION).add_auth(request)
    prepared = request.prepare()
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    headers = dict(prepared.headers)
    headers["Host"] = f"vhost.s3.localhost:{port}"
    conn.request("GET", "/dir/hello.txt", headers=headers)
    response = conn.getresponse()
    assert (response.status, response.read()) == (200, b"virtually")
