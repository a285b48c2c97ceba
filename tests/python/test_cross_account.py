"""Cross-account AssumeRole, with a second account declared in a bootstrap file: both the
caller's identity policy and the role's trust policy (in the other account) must allow it."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, TesseraServer

OTHER = "210987654321"
OTHER_ROOT_KEY = "AKIAOTHERROOT0000001"
OTHER_ROOT_SECRET = "otherrootsecretotherrootsecretotherroot0"
BOOTSTRAP = f"""
[[account]]
id = "{OTHER}"
root_access_key_id = "{OTHER_ROOT_KEY}"
root_secret_access_key = "{OTHER_ROOT_SECRET}"

[[account.role]]
name = "shared-reader"
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT_ID}:root"}},"Action":"sts:AssumeRole"}}]}}'''
inline_policies = {{ read = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}}]}}''' }}
"""
ROLE_ARN = f"arn:aws:iam::{OTHER}:role/shared-reader"


@pytest.fixture
def two_accounts(tmp_path):
    config = tmp_path / "bootstrap.toml"
    config.write_text(BOOTSTRAP)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    srv = TesseraServer(data_dir, tmp_path / "server.stderr.log", extra_env={"TESSERA_CONFIG": str(config)})
    srv.start()
    yield srv
    srv.stop()


def make_user(server, name, statements):
    iam = server.client("iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def test_cross_account_needs_both_sides(two_accounts):
    allowed = make_user(two_accounts, "bob", [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE_ARN}])
    out = two_accounts.client("sts", allowed).assume_role(RoleArn=ROLE_ARN, RoleSessionName="xacct")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{OTHER}:assumed-role/shared-reader/xacct"
    session = {
        "aws_access_key_id": out["Credentials"]["AccessKeyId"],
        "aws_secret_access_key": out["Credentials"]["SecretAccessKey"],
        "aws_session_token": out["Credentials"]["SessionToken"],
    }
    ident = two_accounts.client("sts", session).get_caller_identity()
    assert ident["Account"] == OTHER
    # The session acts in the other account with the role's rights.
    assert two_accounts.client("iam", session).get_role(RoleName="shared-reader")["Role"]["Arn"] == ROLE_ARN
    # Without an identity policy in the caller's account, the trust policy alone is not enough.
    denied = make_user(two_accounts, "carol", [])
    with pytest.raises(ClientError) as e:
        two_accounts.client("sts", denied).assume_role(RoleArn=ROLE_ARN, RoleSessionName="xacct")
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_other_accounts_root_and_isolation(two_accounts):
    other_root = {"aws_access_key_id": OTHER_ROOT_KEY, "aws_secret_access_key": OTHER_ROOT_SECRET}
    assert two_accounts.client("sts", other_root).get_caller_identity()["Arn"] == f"arn:aws:iam::{OTHER}:root"
    two_accounts.client("iam").create_user(UserName="only-in-default")
    names = [u["UserName"] for u in two_accounts.client("iam", other_root).list_users()["Users"]]
    assert "only-in-default" not in names
    # A trust policy that does not name the caller's account refuses it.
    two_accounts.client("iam", other_root).create_role(
        RoleName="private",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "sts:AssumeRole"}]}),
    )
    bob = make_user(two_accounts, "bob", [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}])
    with pytest.raises(ClientError) as e:
        two_accounts.client("sts", bob).assume_role(RoleArn=f"arn:aws:iam::{OTHER}:role/private", RoleSessionName="x1")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
