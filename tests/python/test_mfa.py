"""MFA end to end: an IAM virtual MFA device enabled with two consecutive TOTP codes, then used on
GetSessionToken (whose credentials may then call IAM) and on AssumeRole into a role whose trust
policy requires MFA, through boto3 and through the AWS CLI's `mfa_serial` profile setting."""

import base64
import hashlib
import hmac
import json
import os
import struct
import subprocess
import sys
import time

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION

AWS = os.path.join(os.path.dirname(sys.executable), "aws")
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def totp(seed, step):
    mac = hmac.new(seed, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def now_step():
    return int(time.time()) // 30


def user_with_device(iam, name):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-phone")["VirtualMFADevice"]
    seed = base64.b32decode(device["Base32StringSeed"])
    step = now_step()
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp(seed, step - 1),
        AuthenticationCode2=totp(seed, step),
    )
    creds = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    return creds, device["SerialNumber"], seed, step


def test_enable_needs_consecutive_codes(server, iam):
    iam.create_user(UserName="bob")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="phone")["VirtualMFADevice"]
    assert device["SerialNumber"] == f"arn:aws:iam::{ACCOUNT_ID}:mfa/phone"
    seed = base64.b32decode(device["Base32StringSeed"])
    step = now_step()
    with pytest.raises(ClientError) as e:
        iam.enable_mfa_device(UserName="bob", SerialNumber=device["SerialNumber"],
                              AuthenticationCode1=totp(seed, step), AuthenticationCode2="000000")
    assert e.value.response["Error"]["Code"] == "InvalidAuthenticationCode"
    iam.enable_mfa_device(UserName="bob", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp(seed, step - 1), AuthenticationCode2=totp(seed, step))
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="bob")["MFADevices"]] == [device["SerialNumber"]]


def test_session_token_with_mfa_may_call_iam(server, iam):
    creds, serial, seed, step = user_with_device(iam, "bob")
    sts = server.client("sts", creds)
    plain = sts.get_session_token()["Credentials"]
    with pytest.raises(ClientError):
        server.client("iam", session_creds(plain)).list_users()
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=serial, TokenCode="123456" if totp(seed, step + 1) != "123456" else "654321")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    code = totp(seed, step + 1)
    with_mfa = sts.get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]
    assert server.client("iam", session_creds(with_mfa)).list_users()["Users"]
    # A code is accepted once.
    with pytest.raises(ClientError) as e:
        sts.get_session_token(SerialNumber=serial, TokenCode=code)
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def session_creds(c):
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"]}


def mfa_role(iam):
    trust = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }],
    }
    iam.create_role(RoleName="admin", AssumeRolePolicyDocument=json.dumps(trust))
    return f"arn:aws:iam::{ACCOUNT_ID}:role/admin"


def test_assume_role_requiring_mfa(server, iam):
    creds, serial, seed, step = user_with_device(iam, "carol")
    role_arn = mfa_role(iam)
    sts = server.client("sts", creds)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="no-mfa")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="with-mfa", SerialNumber=serial, TokenCode=totp(seed, step + 1))
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/admin/with-mfa")


def test_cli_profile_with_mfa_serial(server, iam, tmp_path):
    creds, serial, seed, step = user_with_device(iam, "dave")
    role_arn = mfa_role(iam)
    home = tmp_path / "home"
    home.mkdir()
    (home / "credentials").write_text(
        f"[dave]\naws_access_key_id = {creds['aws_access_key_id']}\naws_secret_access_key = {creds['aws_secret_access_key']}\n"
    )
    (home / "config").write_text(
        f"[profile admin]\nrole_arn = {role_arn}\nsource_profile = dave\nmfa_serial = {serial}\nrole_session_name = cli-mfa\n"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_PROFILE": "admin",
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_MAX_ATTEMPTS": "1",
    }
    # The CLI asks for the code on its prompt; without a terminal it reads standard input.
    proc = subprocess.run(
        [AWS, "--output", "json", "sts", "get-caller-identity"],
        input=totp(seed, step + 1) + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/admin/cli-mfa"
