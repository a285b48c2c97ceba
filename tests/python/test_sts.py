"""STS through boto3: every credential-issuing action, the credentials working against IAM and
STS, AWS's limits on temporary credentials, expiry and revocation."""

import json
import time

import botocore.config
import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, TesseraServer, code, creds_of

ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/reader"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
TRUST_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}
    ],
}
# Client-side validation would refuse the short durations the expiry tests use.
NO_VALIDATION = botocore.config.Config(retries={"total_max_attempts": 1}, parameter_validation=False)


def make_user(iam, name, policy=None):
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def make_role(iam, name="reader", trust=TRUST_ACCOUNT, policy=None, **kwargs):
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), **kwargs)
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))


def assume_policy(resource=ROLE_ARN, actions=("sts:AssumeRole",)):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}]}


TRUST_WITH_SOURCE_IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
         "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}
    ],
}


def test_assume_role_credentials_act_as_the_role(server, iam):
    bob = make_user(iam, "bob", assume_policy())
    make_role(iam, policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]})
    out = server.client("sts", bob).assume_role(RoleArn=ROLE_ARN, RoleSessionName="s1")
    user = out["AssumedRoleUser"]
    assert user["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/reader/s1"
    assert user["AssumedRoleId"].startswith("AROA") and user["AssumedRoleId"].endswith(":s1")
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and len(c["AccessKeyId"]) == 20
    assert len(c["SessionToken"]) < 1000
    role = creds_of(c)
    ident = server.client("sts", role).get_caller_identity()
    assert ident["Arn"] == user["Arn"] and ident["UserId"] == user["AssumedRoleId"]
    assert server.client("iam", role).get_user(UserName="bob")["User"]["UserName"] == "bob"
    with pytest.raises(ClientError) as e:
        server.client("iam", role).list_users()
    assert code(e) == "AccessDenied"
    assert "assumed-role/reader/s1 is not authorized to perform: iam:ListUsers" in str(e.value)


def test_assume_role_needs_an_identity_policy_when_trust_names_the_account(server, iam):
    bob = make_user(iam, "bob")
    make_role(iam)
    with pytest.raises(ClientError) as e:
        server.client("sts", bob).assume_role(RoleArn=ROLE_ARN, RoleSessionName="s1")
    assert code(e) == "AccessDenied"
    assert "sts:AssumeRole on resource: " + ROLE_ARN in str(e.value)


def test_trust_policy_naming_the_user_is_enough(server, iam):
    bob = make_user(iam, "bob")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/bob"}, "Action": "sts:AssumeRole"}],
    }
    make_role(iam, trust=trust)
    assert server.client("sts", bob).assume_role(RoleArn=ROLE_ARN, RoleSessionName="s1")["Credentials"]


def test_trust_conditions_on_external_id(server, iam):
    bob = make_user(iam, "bob", assume_policy())
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ACCOUNT_ID},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "secret-123"}},
            }
        ],
    }
    make_role(iam, trust=trust)
    sts = server.client("sts", bob)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="s1")
    assert code(e) == "AccessDenied"
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="s1", ExternalId="wrong-1")
    assert sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="s1", ExternalId="secret-123")["Credentials"]


def test_session_policy_only_narrows(server, iam):
    bob = make_user(iam, "bob", assume_policy())
    make_role(iam, policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
    deny_get = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Action": "iam:GetUser", "Resource": "*"},
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
        ],
    }
    out = server.client("sts", bob).assume_role(RoleArn=ROLE_ARN, RoleSessionName="s0", Policy=json.dumps(deny_get))
    assert "PackedPolicySize" in out
    session_iam = server.client("iam", creds_of(out["Credentials"]))
    with pytest.raises(ClientError) as e:
        session_iam.get_user(UserName="bob")
    assert "explicit deny in a session policy" in str(e.value)
    # An allow-everything session policy cannot add what the role lacks.
    out = server.client("sts", bob).assume_role(RoleArn=ROLE_ARN, RoleSessionName="s0", Policy=json.dumps(ALLOW_ALL))
    with pytest.raises(ClientError) as e:
        server.client("iam", creds_of(out["Credentials"])).list_users()
    assert code(e) == "AccessDenied"


def test_duration_limits(server, iam):
    bob = make_user(iam, "bob", assume_policy())
    make_role(iam, MaxSessionDuration=7200)
    sts = server.client("sts", bob)
    assert sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="s0", DurationSeconds=7200)["Credentials"]
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="s0", DurationSeconds=7201)
    assert code(e) == "ValidationError"
    assert "MaxSessionDuration" in str(e.value)
    with pytest.raises(ClientError) as e:
        boto_session_sts(server, bob).assume_role(RoleArn=ROLE_ARN, RoleSessionName="s0", DurationSeconds=899)
    assert code(e) == "ValidationError"


def boto_session_sts(server, creds):
    import boto3

    return boto3.session.Session(region_name="us-east-1").client(
        "sts",
        endpoint_url=server.endpoint,
        aws_access_key_id=creds["aws_access_key_id"],
        aws_secret_access_key=creds["aws_secret_access_key"],
        aws_session_token=creds.get("aws_session_token"),
        config=NO_VALIDATION,
    )


def test_role_chaining_is_capped_at_one_hour(server, iam):
    bob = make_user(iam, "bob", assume_policy(f"arn:aws:iam::{ACCOUNT_ID}:role/*", ("sts:AssumeRole", "sts:SetSourceIdentity")))
    make_role(iam, "first", trust=TRUST_WITH_SOURCE_IDENTITY, MaxSessionDuration=43200,
              policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    make_role(iam, "second", MaxSessionDuration=43200)
    first = server.client("sts", bob).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/first", RoleSessionName="sa", SourceIdentity="alice"
    )
    chained = server.client("sts", creds_of(first["Credentials"]))
    with pytest.raises(ClientError) as e:
        chained.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/second", RoleSessionName="sb", DurationSeconds=3601)
    assert "1 hour session limit" in str(e.value)
    second = chained.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/second", RoleSessionName="sb")
    assert second["SourceIdentity"] == "alice"


def test_root_cannot_assume_roles(server, iam, sts):
    make_role(iam)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="s0")
    assert code(e) == "AccessDenied"


def test_missing_role_is_access_denied(server, iam):
    bob = make_user(iam, "bob", assume_policy("*"))
    with pytest.raises(ClientError) as e:
        server.client("sts", bob).assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/nope", RoleSessionName="s0")
    assert code(e) == "AccessDenied"


def test_get_session_token_limits(server, iam, sts):
    bob = make_user(iam, "bob", ALLOW_ALL)
    make_role(iam)
    out = server.client("sts", bob).get_session_token(DurationSeconds=900)
    session = creds_of(out["Credentials"])
    ident = server.client("sts", session).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/bob"
    # No IAM without MFA, only AssumeRole and GetCallerIdentity on STS.
    with pytest.raises(ClientError) as e:
        server.client("iam", session).list_users()
    assert code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        server.client("sts", session).get_session_token()
    assert code(e) == "AccessDenied"
    assert server.client("sts", session).assume_role(RoleArn=ROLE_ARN, RoleSessionName="s0")["Credentials"]
    # Root's sessions last an hour at most.
    root_session = sts.get_session_token(DurationSeconds=7200)["Credentials"]
    lifetime = root_session["Expiration"].timestamp() - time.time()
    assert 3000 < lifetime <= 3600


def test_federation_token(server, iam):
    bob = make_user(iam, "bob", ALLOW_ALL)
    sts = server.client("sts", bob)
    read_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}
    out = sts.get_federation_token(Name="fed-user", Policy=json.dumps(read_only))
    assert out["FederatedUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/fed-user"
    assert out["FederatedUser"]["FederatedUserId"] == f"{ACCOUNT_ID}:fed-user"
    fed = creds_of(out["Credentials"])
    assert server.client("sts", fed).get_caller_identity()["Arn"] == out["FederatedUser"]["Arn"]
    # Federated sessions cannot call IAM at all, nor STS beyond GetCallerIdentity.
    with pytest.raises(ClientError) as e:
        server.client("iam", fed).get_user(UserName="bob")
    assert code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        server.client("sts", fed).get_federation_token(Name="again")
    assert code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        boto_session_sts(server, bob).get_federation_token(Name="x")
    assert code(e) == "ValidationError"


def test_token_tampering_and_missing_token(server, iam):
    out = server.client("sts").get_session_token()["Credentials"]
    good = creds_of(out)
    assert server.client("sts", good).get_caller_identity()
    for bad_token in [out["SessionToken"][:-8], out["SessionToken"][:40] + "A" + out["SessionToken"][41:], "garbage", ""]:
        bad = dict(good, aws_session_token=bad_token or None)
        with pytest.raises(ClientError) as e:
            server.client("sts", bad).get_caller_identity()
        assert code(e) == "InvalidClientTokenId", bad_token[:20]
    # The token of one session with the key of another.
    other = server.client("sts").get_session_token()["Credentials"]
    mixed = dict(good, aws_session_token=other["SessionToken"])
    with pytest.raises(ClientError) as e:
        server.client("sts", mixed).get_caller_identity()
    assert code(e) == "InvalidClientTokenId"


def test_deleting_the_user_ends_its_sessions(server, iam):
    bob = make_user(iam, "bob", ALLOW_ALL)
    session = creds_of(server.client("sts", bob).get_session_token()["Credentials"])
    assert server.client("sts", session).get_caller_identity()
    iam.delete_user_policy(UserName="bob", PolicyName="p")
    for k in iam.list_access_keys(UserName="bob")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName="bob", AccessKeyId=k["AccessKeyId"])
    iam.delete_user(UserName="bob")
    with pytest.raises(ClientError) as e:
        server.client("sts", session).get_caller_identity()
    assert code(e) == "InvalidClientTokenId"


def test_deny_added_to_the_role_applies_to_live_sessions(server, iam):
    bob = make_user(iam, "bob", assume_policy())
    make_role(iam, policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
    role = creds_of(server.client("sts", bob).assume_role(RoleArn=ROLE_ARN, RoleSessionName="s0")["Credentials"])
    role_iam = server.client("iam", role)
    assert role_iam.get_user(UserName="bob")
    # AWS's "revoke older sessions": deny sessions issued before now.
    revoke = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2999-01-01T00:00:00Z"}},
            }
        ],
    }
    iam.put_role_policy(RoleName="reader", PolicyName="revoke", PolicyDocument=json.dumps(revoke))
    with pytest.raises(ClientError) as e:
        role_iam.get_user(UserName="bob")
    assert "explicit deny" in str(e.value)


def test_credentials_survive_a_restart(server, iam):
    session = creds_of(server.client("sts").get_session_token()["Credentials"])
    server.stop()
    server.start()
    assert server.client("sts", session).get_caller_identity()["Account"] == ACCOUNT_ID


@pytest.fixture
def short_server(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    srv = TesseraServer(data_dir, tmp_path / "server.stderr.log", extra_env={"TESSERA_STS_MIN_DURATION_SECONDS": "1"})
    srv.start()
    yield srv
    srv.stop()


def test_expired_credentials_are_refused(short_server):
    sts = boto_session_sts(short_server, short_server.root)
    iam = short_server.client("iam")
    bob = make_user(iam, "bob", ALLOW_ALL)
    out = boto_session_sts(short_server, bob).get_session_token(DurationSeconds=2)["Credentials"]
    session = creds_of(out)
    assert short_server.client("sts", session).get_caller_identity()
    time.sleep(3)
    with pytest.raises(ClientError) as e:
        short_server.client("sts", session).get_caller_identity()
    assert code(e) == "ExpiredToken"
    assert sts.get_caller_identity()


def test_get_access_key_info(server, iam, sts):
    bob = make_user(iam, "bob")
    assert sts.get_access_key_info(AccessKeyId=bob["aws_access_key_id"])["Account"] == ACCOUNT_ID
    temp = sts.get_session_token()["Credentials"]["AccessKeyId"]
    assert sts.get_access_key_info(AccessKeyId=temp)["Account"] == ACCOUNT_ID
    with pytest.raises(ClientError) as e:
        server.client("sts", bob).get_access_key_info(AccessKeyId=temp)
    assert code(e) == "AccessDenied"


def test_session_tags_and_transitive_tags(server, iam):
    bob = make_user(iam, "bob", assume_policy(f"arn:aws:iam::{ACCOUNT_ID}:role/*", ("sts:AssumeRole",)))
    tag_trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                       "Action": ["sts:AssumeRole", "sts:TagSession"]}],
    }
    team_only = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
    ]}
    make_role(iam, "first", trust=tag_trust, policy=team_only)
    make_role(iam, "second", trust=tag_trust, policy=team_only)
    sts = server.client("sts", bob)
    untagged = creds_of(sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/first", RoleSessionName="u1")["Credentials"])
    with pytest.raises(ClientError):
        server.client("iam", untagged).get_user(UserName="bob")
    # Passing tags needs sts:TagSession on the caller's side too.
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/first", RoleSessionName="t0",
                        Tags=[{"Key": "team", "Value": "blue"}])
    assert "sts:TagSession" in str(e.value)
    iam.put_user_policy(UserName="bob", PolicyName="p", PolicyDocument=json.dumps(
        assume_policy(f"arn:aws:iam::{ACCOUNT_ID}:role/*", ("sts:AssumeRole", "sts:TagSession"))))
    tagged = creds_of(sts.assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/first", RoleSessionName="t1",
        Tags=[{"Key": "team", "Value": "blue"}], TransitiveTagKeys=["team"],
    )["Credentials"])
    assert server.client("iam", tagged).get_user(UserName="bob")
    # The transitive tag follows the chain into the second role.
    chained = creds_of(server.client("sts", tagged).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/second", RoleSessionName="t2")["Credentials"])
    assert server.client("iam", chained).get_user(UserName="bob")
