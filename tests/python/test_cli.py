"""The README tour through the real AWS CLI (v1, from the venv): create a user and a key, list
users, and ask STS who the new key belongs to.

Each `aws` run gets a clean HOME and config files that do not exist, so the machine's own AWS
configuration can never leak into the test.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import ACCOUNT_ID, REGION

AWS = os.path.join(os.path.dirname(sys.executable), "aws")


@pytest.fixture
def aws(server, tmp_path):
    home = tmp_path / "home"
    home.mkdir()

    def run(*args, creds=None, check=True):
        creds = creds or server.root
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "AWS_CONFIG_FILE": str(home / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
            "AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": REGION,
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        proc = subprocess.run(
            [AWS, "--endpoint-url", server.endpoint, "--output", "json", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"aws {' '.join(args)} exited {proc.returncode}\n"
                f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
            )
        return proc

    assert os.access(AWS, os.X_OK), f"the AWS CLI is not in the venv: {AWS}"
    return run


def test_readme_tour(aws):
    user = json.loads(aws("iam", "create-user", "--user-name", "alice").stdout)["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/alice"

    key = json.loads(aws("iam", "create-access-key", "--user-name", "alice").stdout)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA")

    users = json.loads(aws("iam", "list-users").stdout)["Users"]
    assert [u["UserName"] for u in users] == ["alice"]

    creds = {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
    me = json.loads(aws("sts", "get-caller-identity", creds=creds).stdout)
    assert me["Arn"] == user["Arn"]
    assert me["Account"] == ACCOUNT_ID


def test_root_caller_identity(aws):
    me = json.loads(aws("sts", "get-caller-identity").stdout)
    assert me == {
        "UserId": ACCOUNT_ID,
        "Account": ACCOUNT_ID,
        "Arn": f"arn:aws:iam::{ACCOUNT_ID}:root",
    }


def test_cli_reports_aws_errors(aws):
    proc = aws("iam", "get-user", "--user-name", "nobody", check=False)
    assert proc.returncode != 0
    assert "NoSuchEntity" in proc.stderr, proc.stderr

    bad = {"aws_access_key_id": "AKIAZZZZZZZZZZZZZZZZ", "aws_secret_access_key": "x"}
    proc = aws("sts", "get-caller-identity", creds=bad, check=False)
    assert proc.returncode != 0
    assert "InvalidClientTokenId" in proc.stderr, proc.stderr


def test_cli_pagination_collects_all_pages(aws):
    for i in range(5):
        aws("iam", "create-user", "--user-name", f"u{i}")
    # --page-size makes the CLI fetch several pages (MaxItems=2) and merge them.
    users = json.loads(aws("iam", "list-users", "--page-size", "2").stdout)["Users"]
    assert sorted(u["UserName"] for u in users) == [f"u{i}" for i in range(5)]


def test_cli_sqs_round_trip(aws):
    url = json.loads(aws("sqs", "create-queue", "--queue-name", "cli-queue").stdout)["QueueUrl"]
    assert url.endswith(f"/{ACCOUNT_ID}/cli-queue")
    sent = json.loads(aws("sqs", "send-message", "--queue-url", url, "--message-body", "from the cli").stdout)
    got = json.loads(aws("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "1").stdout)
    msg = got["Messages"][0]
    assert msg["Body"] == "from the cli" and msg["MessageId"] == sent["MessageId"]
    aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", msg["ReceiptHandle"])
    urls = json.loads(aws("sqs", "list-queues").stdout)["QueueUrls"]
    assert urls == [url]


def test_cli_s3_cp_ls_sync(aws, tmp_path):
    aws("s3", "mb", "s3://cli-bucket")
    src = tmp_path / "src"
    (src / "nested").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "nested" / "b.bin").write_bytes(os.urandom(9 * 1024 * 1024))  # multipart in the CLI
    aws("s3", "cp", str(src / "a.txt"), "s3://cli-bucket/a.txt")
    listing = aws("s3", "ls", "s3://cli-bucket/").stdout
    assert "a.txt" in listing
    aws("s3", "sync", str(src), "s3://cli-bucket/synced")
    dst = tmp_path / "dst"
    aws("s3", "sync", "s3://cli-bucket/synced", str(dst))
    assert (dst / "a.txt").read_text() == "alpha"
    assert (dst / "nested" / "b.bin").read_bytes() == (src / "nested" / "b.bin").read_bytes()
    objects = json.loads(aws("s3api", "list-objects-v2", "--bucket", "cli-bucket", "--prefix", "synced/").stdout)
    assert sorted(o["Key"] for o in objects["Contents"]) == ["synced/a.txt", "synced/nested/b.bin"]
    recursive = aws("s3", "ls", "--recursive", "s3://cli-bucket/").stdout
    assert "synced/nested/b.bin" in recursive and "a.txt" in recursive


def test_cli_s3_cp_of_a_100_mib_file(aws, tmp_path):
    aws("s3", "mb", "s3://big-bucket")
    big = tmp_path / "big.bin"
    chunk = os.urandom(1024 * 1024)
    with open(big, "wb") as f:
        for i in range(100):
            f.write(chunk[i:] + chunk[:i])
    aws("s3", "cp", str(big), "s3://big-bucket/big.bin")
    head = json.loads(aws("s3api", "head-object", "--bucket", "big-bucket", "--key", "big.bin").stdout)
    assert head["ContentLength"] == 100 * 1024 * 1024
    back = tmp_path / "back.bin"
    aws("s3", "cp", "s3://big-bucket/big.bin", str(back))
    assert back.read_bytes() == big.read_bytes()
