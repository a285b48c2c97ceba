"""IAM through boto3: users, keys, groups, roles, policies, pagination and typed errors."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID

ALLOW_STS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}],
}
TRUST_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def http_status(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_user_and_key_lifecycle(server, iam):
    user = iam.create_user(UserName="alice", Path="/dev/")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/dev/alice"
    assert user["UserId"].startswith("AIDA")
    assert user["Path"] == "/dev/"

    key = iam.create_access_key(UserName="alice")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA")
    assert key["Status"] == "Active"
    assert key["UserName"] == "alice"

    creds = {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
    me = server.client("sts", creds).get_caller_identity()
    assert me["Arn"] == user["Arn"]
    assert me["UserId"] == user["UserId"]
    assert me["Account"] == ACCOUNT_ID

    listed = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]

    iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as err:
        server.client("sts", creds).get_caller_identity()
    assert error_code(err) == "InvalidClientTokenId"

    iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="alice")
    with pytest.raises(ClientError) as err:
        iam.get_user(UserName="alice")
    assert error_code(err) == "NoSuchEntity"
    assert http_status(err) == 404


def test_typed_errors(iam):
    iam.create_user(UserName="bob")
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException) as err:
        iam.create_user(UserName="bob")
    assert http_status(err) == 409
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="nobody")
    iam.create_access_key(UserName="bob")
    with pytest.raises(iam.exceptions.DeleteConflictException):
        iam.delete_user(UserName="bob")
    iam.create_access_key(UserName="bob")
    with pytest.raises(iam.exceptions.LimitExceededException):
        iam.create_access_key(UserName="bob")


def test_list_users_paginator(iam):
    names = sorted(f"user-{i:02d}" for i in range(11))
    for name in names:
        iam.create_user(UserName=name)
    pages = list(iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 4}))
    assert len(pages) == 3
    assert all(len(p["Users"]) <= 4 for p in pages)
    assert pages[0]["IsTruncated"] is True and "Marker" in pages[0]
    assert pages[-1]["IsTruncated"] is False
    seen = sorted(u["UserName"] for p in pages for u in p["Users"])
    assert seen == names


def test_groups(iam):
    group = iam.create_group(GroupName="admins")["Group"]
    assert group["GroupId"].startswith("AGPA")
    iam.create_user(UserName="ann")
    iam.add_user_to_group(GroupName="admins", UserName="ann")
    got = iam.get_group(GroupName="admins")
    assert [u["UserName"] for u in got["Users"]] == ["ann"]
    groups = iam.list_groups_for_user(UserName="ann")["Groups"]
    assert [g["GroupName"] for g in groups] == ["admins"]
    with pytest.raises(ClientError) as err:
        iam.delete_group(GroupName="admins")
    assert error_code(err) == "DeleteConflict"
    iam.remove_user_from_group(GroupName="admins", UserName="ann")
    iam.delete_group(GroupName="admins")


def test_roles_and_trust_policy_come_back_decoded(iam):
    role = iam.create_role(
        RoleName="deployer",
        AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT),
        MaxSessionDuration=7200,
        Description="pipeline",
        Tags=[{"Key": "env", "Value": "test"}],
    )["Role"]
    assert role["RoleId"].startswith("AROA")
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/deployer"
    got = iam.get_role(RoleName="deployer")["Role"]
    # botocore URL-decodes and JSON-parses policy documents: a dict means the server encoded it
    # the way AWS does.
    assert got["AssumeRolePolicyDocument"] == TRUST_ACCOUNT
    assert got["MaxSessionDuration"] == 7200
    assert got["Tags"] == [{"Key": "env", "Value": "test"}]

    with pytest.raises(ClientError) as err:
        iam.create_role(RoleName="too-long", AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT),
                        MaxSessionDuration=43201)
    assert http_status(err) == 400

    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.create_role(RoleName="broken", AssumeRolePolicyDocument="{nope")


def test_managed_policies(iam):
    policy = iam.create_policy(PolicyName="sts-only", PolicyDocument=json.dumps(ALLOW_STS))["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT_ID}:policy/sts-only"
    assert policy["PolicyId"].startswith("ANPA")
    assert policy["DefaultVersionId"] == "v1"

    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == ALLOW_STS
    assert version["IsDefaultVersion"] is True

    v2_doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}],
    }
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(v2_doc),
                                   SetAsDefault=True)["PolicyVersion"]
    assert v2["VersionId"] == "v2"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"] == v2_doc

    iam.create_user(UserName="u")
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    attached = iam.list_attached_user_policies(UserName="u")["AttachedPolicies"]
    assert attached == [{"PolicyName": "sts-only", "PolicyArn": arn}]
    with pytest.raises(iam.exceptions.DeleteConflictException):
        iam.delete_policy(PolicyArn=arn)
    iam.detach_user_policy(UserName="u", PolicyArn=arn)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_policy(PolicyArn=arn)


def test_inline_policies_come_back_decoded(iam):
    iam.create_user(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="p", PolicyDocument=json.dumps(ALLOW_STS))
    got = iam.get_user_policy(UserName="u", PolicyName="p")
    assert got["PolicyDocument"] == ALLOW_STS
    assert iam.list_user_policies(UserName="u")["PolicyNames"] == ["p"]
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.put_user_policy(UserName="u", PolicyName="q", PolicyDocument="not json")
    iam.delete_user_policy(UserName="u", PolicyName="p")
    assert iam.list_user_policies(UserName="u")["PolicyNames"] == []


def test_policy_document_with_special_characters_round_trips(iam):
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Odd",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::bucket/a b+c%d&e=f/ü/*",
            }
        ],
    }
    iam.create_user(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="odd", PolicyDocument=json.dumps(doc))
    assert iam.get_user_policy(UserName="u", PolicyName="odd")["PolicyDocument"] == doc


def test_iam_user_is_denied_iam(server, iam):
    iam.create_user(UserName="intern")
    key = iam.create_access_key(UserName="intern")["AccessKey"]
    user_iam = server.client("iam", {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    })
    with pytest.raises(ClientError) as err:
        user_iam.list_users()
    assert error_code(err) == "AccessDenied"
    assert http_status(err) == 403


def test_root_get_user_without_name(iam):
    user = iam.get_user()["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
