"""AssumeRoleWithWebIdentity through boto3's own credential provider (AWS_ROLE_ARN +
AWS_WEB_IDENTITY_TOKEN_FILE), against a small OIDC issuer played by the test: it makes an RSA key,
publishes its JWKS to tessera (`--oidc-jwks`, as an air-gapped site does), and signs ID tokens."""

import base64
import json
import time

import boto3
import pytest
import rsa
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, TesseraServer

ISSUER = "https://issuer.tessera.test/ci"
PROVIDER = "issuer.tessera.test/ci"
CLIENT_ID = "sts.amazonaws.com"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/ci-runner"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


class Issuer:
    def __init__(self):
        self.public, self.private = rsa.newkeys(2048)

    def jwks(self):
        return {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
                          "n": b64url(int_bytes(self.public.n)), "e": b64url(int_bytes(self.public.e))}]}

    def token(self, sub="repo:tessera:ref:main", aud=CLIENT_ID, iss=ISSUER, exp_in=600, key=None):
        now = int(time.time())
        header = b64url(json.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}).encode())
        payload = b64url(json.dumps({"iss": iss, "sub": sub, "aud": aud, "iat": now, "exp": now + exp_in}).encode())
        signing_input = f"{header}.{payload}".encode()
        signature = rsa.sign(signing_input, key or self.private, "SHA-256")
        return f"{header}.{payload}.{b64url(signature)}"


@pytest.fixture(scope="module")
def issuer():
    return Issuer()


@pytest.fixture
def oidc_server(tmp_path, issuer):
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(issuer.jwks()))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    srv = TesseraServer(data_dir, tmp_path / "server.stderr.log", extra_env={"TESSERA_OIDC_JWKS": f"{ISSUER}={jwks}"})
    srv.start()
    iam = srv.client("iam")
    iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=[CLIENT_ID])
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{PROVIDER}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{PROVIDER}:aud": CLIENT_ID},
                    "StringLike": {f"{PROVIDER}:sub": "repo:tessera:*"},
                },
            }
        ],
    }
    iam.create_role(RoleName="ci-runner", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="ci-runner",
        PolicyName="list",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}),
    )
    yield srv
    srv.stop()


def unsigned_sts(server):
    from botocore import UNSIGNED
    from botocore.config import Config

    return boto3.session.Session(region_name=REGION).client(
        "sts", endpoint_url=server.endpoint, config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1})
    )


def test_boto3_web_identity_provider(oidc_server, issuer, tmp_path, monkeypatch):
    token_file = tmp_path / "token"
    token_file.write_text(issuer.token())
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE_ARN)
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "gha-run")
    monkeypatch.setenv("AWS_ENDPOINT_URL", oidc_server.endpoint)
    session = boto3.session.Session(region_name=REGION)
    ident = session.client("sts").get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/ci-runner/gha-run"
    assert [r["RoleName"] for r in session.client("iam").list_roles()["Roles"]] == ["ci-runner"]
    with pytest.raises(ClientError) as e:
        session.client("iam").list_users()
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_response_shape(oidc_server, issuer):
    out = unsigned_sts(oidc_server).assume_role_with_web_identity(
        RoleArn=ROLE_ARN, RoleSessionName="s1", WebIdentityToken=issuer.token()
    )
    assert out["SubjectFromWebIdentityToken"] == "repo:tessera:ref:main"
    assert out["Audience"] == CLIENT_ID
    assert out["Provider"] == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{PROVIDER}"
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/ci-runner/s1"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("wrong-sub", "AccessDenied"),
        ("wrong-aud", "InvalidIdentityToken"),
        ("wrong-issuer", "InvalidIdentityToken"),
        ("expired", "ExpiredTokenException"),
        ("forged", "InvalidIdentityToken"),
        ("garbage", "InvalidIdentityToken"),
    ],
)
def test_rejections(oidc_server, issuer, kind, expected):
    other = rsa.newkeys(1024)[1] if kind == "forged" else None
    token = {
        "wrong-sub": lambda: issuer.token(sub="repo:someone-else:ref:main"),
        "wrong-aud": lambda: issuer.token(aud="not-a-client"),
        "wrong-issuer": lambda: issuer.token(iss="https://evil.example"),
        "expired": lambda: issuer.token(exp_in=-3600),
        "forged": lambda: issuer.token(key=other),
        "garbage": lambda: "not.a.jwt",
    }[kind]()
    with pytest.raises(ClientError) as e:
        unsigned_sts(oidc_server).assume_role_with_web_identity(RoleArn=ROLE_ARN, RoleSessionName="s1", WebIdentityToken=token)
    assert e.value.response["Error"]["Code"] == expected


def test_keys_discovered_from_a_served_issuer(tmp_path, issuer):
    """An issuer served on localhost: tessera finds its keys through
    /.well-known/openid-configuration and jwks_uri, and caches them."""
    import http.server
    import threading

    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            base = f"http://127.0.0.1:{self.server.server_port}"
            if self.path == "/.well-known/openid-configuration":
                body = {"issuer": base, "jwks_uri": base + "/keys", "id_token_signing_alg_values_supported": ["RS256"]}
            elif self.path == "/keys":
                body = issuer.jwks()
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    iss = f"http://127.0.0.1:{httpd.server_port}"
    provider = f"127.0.0.1:{httpd.server_port}"
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    srv = TesseraServer(data_dir, tmp_path / "server.stderr.log")
    srv.start()
    try:
        iam = srv.client("iam")
        iam.create_open_id_connect_provider(Url=iss, ClientIDList=[CLIENT_ID])
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{provider}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{provider}:sub": "repo:tessera:ref:main"}},
        }]}
        iam.create_role(RoleName="ci-runner", AssumeRolePolicyDocument=json.dumps(trust))
        sts = unsigned_sts(srv)
        for session in ("first", "second"):
            out = sts.assume_role_with_web_identity(
                RoleArn=ROLE_ARN, RoleSessionName=session, WebIdentityToken=issuer.token(iss=iss)
            )
            assert out["Provider"] == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{provider}"
        # Discovered once, then served from the cache.
        assert hits == ["/.well-known/openid-configuration", "/keys"]
        with pytest.raises(ClientError) as e:
            sts.assume_role_with_web_identity(
                RoleArn=ROLE_ARN, RoleSessionName="third",
                WebIdentityToken=issuer.token(iss=iss, sub="repo:other:ref:main"),
            )
        assert e.value.response["Error"]["Code"] == "AccessDenied"
    finally:
        srv.stop()
        httpd.shutdown()
