"""The AWS CLI's own credential providers against tessera's STS: a profile with `role_arn` and
`source_profile` (and `external_id`) runs its commands as the assumed role, exactly as it would
against AWS. The CLI finds tessera through `AWS_ENDPOINT_URL`, which also reaches the STS client
that the CLI's assume-role provider creates."""

import json
import os
import subprocess
import sys

from conftest import ACCOUNT_ID, REGION

AWS = os.path.join(os.path.dirname(sys.executable), "aws")

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/ci"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "ext-4242"}},
        }
    ],
}
ROLE_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}


def run_cli(server, home, profile, *args):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_PROFILE": profile,
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return subprocess.run([AWS, "--output", "json", *args], env=env, capture_output=True, text=True, timeout=120)


def test_role_profile_with_source_profile_and_external_id(server, iam, tmp_path):
    iam.create_user(UserName="ci")
    key = iam.create_access_key(UserName="ci")["AccessKey"]
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName="deployer", PolicyName="list", PolicyDocument=json.dumps(ROLE_POLICY))
    home = tmp_path / "home"
    home.mkdir()
    (home / "credentials").write_text(
        f"[ci]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n"
    )
    (home / "config").write_text(
        f"[profile deployer]\nrole_arn = arn:aws:iam::{ACCOUNT_ID}:role/deployer\nsource_profile = ci\n"
        "external_id = ext-4242\nrole_session_name = cli-run\n\n"
        f"[profile wrong-external-id]\nrole_arn = arn:aws:iam::{ACCOUNT_ID}:role/deployer\nsource_profile = ci\n"
        "external_id = not-it\n"
    )
    who = run_cli(server, home, "deployer", "sts", "get-caller-identity")
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/deployer/cli-run"
    users = run_cli(server, home, "deployer", "iam", "list-users")
    assert users.returncode == 0, users.stderr
    assert [u["UserName"] for u in json.loads(users.stdout)["Users"]] == ["ci"]
    # The role may list users but nothing else.
    denied = run_cli(server, home, "deployer", "iam", "create-user", "--user-name", "mallory")
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr
    # The source profile itself has no rights; a wrong external id is refused by the trust policy.
    assert "AccessDenied" in run_cli(server, home, "ci", "iam", "list-users").stderr
    wrong = run_cli(server, home, "wrong-external-id", "sts", "get-caller-identity")
    assert wrong.returncode != 0 and "AccessDenied" in wrong.stderr
