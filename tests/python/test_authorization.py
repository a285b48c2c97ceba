"""Authorization decisions through boto3: identity policies, groups, managed policies,
boundaries, explicit denies, conditions, AWS's AccessDenied messages, and the encoded
authorization message that sts:DecodeAuthorizationMessage reads back."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return dict({"Effect": "Allow", "Action": action, "Resource": resource}, **extra)


def deny(action, resource="*", **extra):
    return dict({"Effect": "Deny", "Action": action, "Resource": resource}, **extra)


def user(iam, name):
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response


def test_no_policy_means_deny_with_aws_message(server, iam):
    bob = server.client("iam", user(iam, "bob"))
    r = error_of(lambda: bob.list_users())
    assert r["Error"]["Code"] == "AccessDenied"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert r["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/bob is not authorized to perform: iam:ListUsers "
        f"on resource: arn:aws:iam::{ACCOUNT_ID}:user/ because no identity-based policy allows the iam:ListUsers action"
    )


def test_group_and_managed_policies_grant(server, iam):
    creds = user(iam, "bob")
    bob = server.client("iam", creds)
    iam.create_group(GroupName="readers")
    arn = iam.create_policy(PolicyName="ListUsers", PolicyDocument=policy(allow("iam:ListUsers")))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="readers", PolicyArn=arn)
    error_of(lambda: bob.list_users())
    iam.add_user_to_group(GroupName="readers", UserName="bob")
    assert bob.list_users()["Users"]
    # A new default version that no longer allows it takes effect at once.
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy(allow("iam:GetUser")), SetAsDefault=True)
    error_of(lambda: bob.list_users())


def test_explicit_deny_wins(server, iam):
    bob = server.client("iam", user(iam, "bob"))
    iam.put_user_policy(UserName="bob", PolicyName="all", PolicyDocument=policy(allow("iam:*")))
    iam.put_user_policy(UserName="bob", PolicyName="no-delete", PolicyDocument=policy(deny("iam:Delete*")))
    bob.create_user(UserName="carol")
    r = error_of(lambda: bob.delete_user(UserName="carol"))
    assert r["Error"]["Message"].endswith("with an explicit deny in an identity-based policy")


def test_permissions_boundary_limits(server, iam):
    bob = server.client("iam", user(iam, "bob"))
    iam.put_user_policy(UserName="bob", PolicyName="all", PolicyDocument=policy(allow("iam:*")))
    arn = iam.create_policy(PolicyName="OnlyList", PolicyDocument=policy(allow("iam:List*")))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="bob", PermissionsBoundary=arn)
    assert bob.list_users()
    r = error_of(lambda: bob.create_user(UserName="x"))
    assert "because no permissions boundary allows the iam:CreateUser action" in r["Error"]["Message"]


def test_resource_patterns_and_policy_variables(server, iam):
    bob = server.client("iam", user(iam, "bob"))
    iam.create_user(UserName="alice")
    iam.put_user_policy(
        UserName="bob",
        PolicyName="self",
        PolicyDocument=policy(allow("iam:*AccessKey*", f"arn:aws:iam::{ACCOUNT_ID}:user/${{aws:username}}")),
    )
    assert bob.list_access_keys(UserName="bob")["AccessKeyMetadata"]
    error_of(lambda: bob.list_access_keys(UserName="alice"))


def test_conditions_on_source_ip(server, iam):
    bob = server.client("iam", user(iam, "bob"))
    iam.put_user_policy(
        UserName="bob",
        PolicyName="ip",
        PolicyDocument=policy(allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
    )
    error_of(lambda: bob.list_users())
    iam.put_user_policy(
        UserName="bob",
        PolicyName="ip",
        PolicyDocument=policy(allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})),
    )
    assert bob.list_users()


def test_encoded_authorization_message_decodes(server, iam, sts):
    bob = server.client("iam", user(iam, "bob"))
    iam.put_user_policy(UserName="bob", PolicyName="d", PolicyDocument=policy(deny("iam:ListUsers", Sid="NoListing")))
    r = error_of(lambda: bob.list_users())
    encoded = r["ResponseMetadata"]["HTTPHeaders"]["x-tessera-authorization-message"]
    decoded = json.loads(sts.decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is True
    assert decoded["context"]["action"] == "iam:ListUsers"
    assert decoded["context"]["principal"]["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/bob"
    assert "NoListing" in decoded["matchedStatements"]["items"][0]["statementId"]
    # Decoding needs its own permission, and a forged message is refused.
    r = error_of(lambda: server.client("sts", server_creds(iam, "eve")).decode_authorization_message(EncodedMessage=encoded))
    assert r["Error"]["Code"] == "AccessDenied"
    r = error_of(lambda: sts.decode_authorization_message(EncodedMessage=encoded[:-4] + "AAAA"))
    assert r["Error"]["Code"] == "InvalidAuthorizationMessageException"


def server_creds(iam, name):
    return user(iam, name)


def test_audit_log_records_decisions(server, iam):
    bob = server.client("iam", user(iam, "bob"))
    error_of(lambda: bob.list_users())
    server.stop()
    with open(f"{server.data_dir}/audit/audit.log") as f:
        records = [json.loads(line) for line in f]
    denied = [r for r in records if r["eventName"] == "ListUsers" and r["decision"] == "deny"]
    assert denied and denied[0]["userIdentity"]["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/bob"
    assert denied[0]["errorCode"] == "AccessDenied"
    allowed = [r for r in records if r["eventName"] == "CreateUser" and r["decision"] == "allow"]
    assert allowed
    text = open(f"{server.data_dir}/audit/audit.log").read()
    assert "wJalrXUtnFEMI" not in text  # never a secret


def test_principal_tags_in_conditions(server, iam):
    bob = server.client("iam", user(iam, "bob"))
    iam.put_user_policy(
        UserName="bob",
        PolicyName="team",
        PolicyDocument=policy(allow("iam:ListUsers", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}})),
    )
    error_of(lambda: bob.list_users())
    iam.tag_user(UserName="bob", Tags=[{"Key": "team", "Value": "blue"}])
    assert bob.list_users()["Users"]


def test_secrets_never_reach_logs_or_errors(server, iam, sts):
    """Secret keys and session tokens appear in no log line, audit record or error message."""
    temp = sts.get_session_token()["Credentials"]
    bob = user(iam, "bob")
    messages = []
    for creds in (
        dict(bob, aws_secret_access_key="wrong" + bob["aws_secret_access_key"][5:]),
        {"aws_access_key_id": temp["AccessKeyId"], "aws_secret_access_key": temp["SecretAccessKey"],
         "aws_session_token": temp["SessionToken"][:-10]},
        {"aws_access_key_id": temp["AccessKeyId"], "aws_secret_access_key": temp["SecretAccessKey"]},
    ):
        messages.append(str(error_of(lambda: server.client("sts", creds).get_caller_identity())))
    server.stop()
    with open(f"{server.data_dir}/audit/audit.log") as f:
        audit = f.read()
    everything = "\n".join(messages) + audit + server.log()
    for secret in (server.root["aws_secret_access_key"], bob["aws_secret_access_key"],
                   temp["SecretAccessKey"], temp["SessionToken"], temp["SessionToken"][:40]):
        assert secret not in everything
