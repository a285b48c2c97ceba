"""Fixtures for the Python black-box tests: a real `tessera` process per test, and boto3 clients.

The binary comes from $TESSERA_BIN (scripts/test.sh sets it). Nothing from the machine's AWS
configuration may leak in: the AWS_* variables are cleared and the config files pointed at paths
that do not exist before any boto3 session is created.
"""

import os
import queue
import signal
import subprocess
import threading
import time
import urllib.request

import boto3
import botocore.config
import pytest

ACCOUNT_ID = "123456789012"
ROOT_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
ROOT_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
LISTENING_PREFIX = "tessera listening on "
STARTUP_TIMEOUT = 60.0

for _name in list(os.environ):
    if _name.startswith("AWS_"):
        del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = "/nonexistent/tessera-tests/config"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/tessera-tests/credentials"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

# One attempt: a test must see the server's first answer, not a retried one.
CLIENT_CONFIG = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})


def code(excinfo):
    """The AWS error code of a `pytest.raises(ClientError)` result."""
    return excinfo.value.response["Error"]["Code"]


def creds_of(credentials):
    """STS `Credentials` as the keyword arguments of a boto3 client."""
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def tessera_bin():
    path = os.environ.get("TESSERA_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"TESSERA_BIN must name the built tessera binary (got {path!r})")
    return path


class TesseraServer:
    """One `tessera serve` on an ephemeral port with its own data directory."""

    def __init__(self, data_dir, log_path, extra_env=None):
        self.extra_env = dict(extra_env or {})
        self.data_dir = str(data_dir)
        self.log_path = str(log_path)
        self.proc = None
        self.endpoint = None
        self.root = {
            "aws_access_key_id": ROOT_ACCESS_KEY_ID,
            "aws_secret_access_key": ROOT_SECRET_ACCESS_KEY,
        }

    @property
    def host(self):
        return self.endpoint[len("http://"):]

    def start(self):
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "RUST_LOG", "RUST_BACKTRACE")}
        env.update(
            TESSERA_ROOT_ACCESS_KEY_ID=ROOT_ACCESS_KEY_ID,
            TESSERA_ROOT_SECRET_ACCESS_KEY=ROOT_SECRET_ACCESS_KEY,
            TESSERA_ACCOUNT_ID=ACCOUNT_ID,
        )
        env.update(self.extra_env)
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [tessera_bin(), "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
            )
        finally:
            log.close()
        lines = queue.Queue()

        def read_stdout():
            first = self.proc.stdout.readline()
            lines.put(first)
            for _ in self.proc.stdout:
                pass

        threading.Thread(target=read_stdout, daemon=True).start()
        try:
            line = lines.get(timeout=STARTUP_TIMEOUT).decode("utf-8", "replace").strip()
        except queue.Empty:
            self.proc.kill()
            raise AssertionError(f"no listening line within {STARTUP_TIMEOUT}s\n{self.log()}")
        if not line.startswith(LISTENING_PREFIX):
            self.proc.kill()
            raise AssertionError(f"unexpected first stdout line {line!r}\n{self.log()}")
        self.endpoint = line[len(LISTENING_PREFIX):]
        self._wait_healthy()

    def _wait_healthy(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(self.endpoint + "/_tessera/health", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited ({self.proc.returncode})\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"health check never answered 200\n{self.log()}")
            time.sleep(0.02)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "--- server stderr ---\n" + f.read()[-20000:]
        except OSError:
            return "(no server log)"

    def client(self, service, creds=None):
        creds = creds or self.root
        return boto3.session.Session(region_name=REGION).client(
            service,
            endpoint_url=self.endpoint,
            aws_access_key_id=creds["aws_access_key_id"],
            aws_secret_access_key=creds["aws_secret_access_key"],
            aws_session_token=creds.get("aws_session_token"),
            config=CLIENT_CONFIG,
        )


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "report_" + report.when, report)


@pytest.fixture
def server(request, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    srv = TesseraServer(data_dir, tmp_path / "server.stderr.log")
    srv.start()
    yield srv
    srv.stop()
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        print(srv.log())


@pytest.fixture
def iam(server):
    return server.client("iam")


@pytest.fixture
def sts(server):
    return server.client("sts")
