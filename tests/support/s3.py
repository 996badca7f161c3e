"""A local S3 API for the tests: moto's server in a subprocess on 127.0.0.1, one fresh bucket per test.

moto checks a conditional PUT (``If-None-Match: *``) and stores the object in two steps, which S3
does atomically; this server hands moto one request at a time, so that racing conditional PUTs
behave as they do on S3 (exactly one succeeds). Fixtures:

* ``s3_server``: the running server (session), with a boto3 client;
* ``spark_s3``: the test session's Spark with s3a pointed at that server (session; the previous
  Hadoop settings are restored at the end);
* ``s3_bucket``: a new empty bucket for one test (Hadoop caches a FileSystem per bucket, so a fresh
  name also means a fresh s3a client).

Run as a script, this module is the server: it prints its port, then serves until terminated.
"""
from __future__ import annotations

import logging
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass

import pytest

# s3a:// for Spark: the Hadoop release of pyspark's own jars (the Makefile resolves it before the tests)
HADOOP_AWS = "org.apache.hadoop:hadoop-aws:3.4.1"
ACCESS_KEY = "shoplake-test"
SECRET_KEY = "shoplake-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    """The endpoint of a running server and dummy credentials that it accepts."""

    endpoint: str

    def client(self, service: str = "s3"):
        """A boto3 client of ``service`` (``s3``, ``dynamodb``...) on this server."""
        import boto3

        return boto3.session.Session().client(service, endpoint_url=self.endpoint, region_name=REGION,
                                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def new_bucket(self) -> str:
        """Create a bucket with a new name; return its name."""
        name = f"shoplake-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def hadoop_settings(self) -> dict[str, str]:
        """Hadoop's s3a settings (``fs.s3a.*``) that reach this server."""
        return {
            "fs.s3a.endpoint": self.endpoint,
            "fs.s3a.endpoint.region": REGION,
            "fs.s3a.path.style.access": "true",
            "fs.s3a.connection.ssl.enabled": "false",
            "fs.s3a.access.key": ACCESS_KEY,
            "fs.s3a.secret.key": SECRET_KEY,
            "fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
            # a local server: fail fast instead of retrying for minutes
            "fs.s3a.attempts.maximum": "2",
            "fs.s3a.retry.limit": "2",
            "fs.s3a.connection.establish.timeout": "5000",
        }


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 (and DynamoDB) API on 127.0.0.1, in a subprocess, for the whole test run."""
    process = subprocess.Popen([sys.executable, __file__], stdout=subprocess.PIPE, text=True)
    try:
        port = process.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError(f"the S3 test server did not start (exit code {process.poll()})")
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def spark_s3(spark, s3_server):
    """The test session's Spark, its s3a settings pointed at ``s3_server``."""
    conf = spark._jsc.hadoopConfiguration()
    settings = s3_server.hadoop_settings()
    previous = {key: conf.get(key) for key in settings}
    for key, value in settings.items():
        conf.set(key, value)
    yield spark
    for key, value in previous.items():
        if value is None:
            conf.unset(key)
        else:
            conf.set(key, value)


@pytest.fixture
def s3_bucket(s3_server) -> str:
    """A new empty bucket."""
    return s3_server.new_bucket()


def _serve() -> None:
    """Serve moto's API on a free port of 127.0.0.1, one request at a time; print the port first."""
    from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    moto = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def app(environ, start_response):
        with one_at_a_time:
            response = moto(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                getattr(response, "close", lambda: None)()

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    print(server.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    _serve()
