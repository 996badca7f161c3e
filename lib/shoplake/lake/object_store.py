"""The lake's files as the clients other than Spark reach them: the local filesystem or S3.

Spark reaches an ``s3a://`` lake through hadoop-aws, configured with ``spark.hadoop.fs.s3a.*``.
The delta-rs backend's other clients (pyarrow on the executors, delta-rs and boto3 on the driver)
and the ingest jobs' lock take the SAME settings from the session's Hadoop configuration
(:meth:`S3Settings.from_hadoop`), so an object-storage lake is configured once:

- endpoint: ``fs.s3a.endpoint`` (``http(s)://`` by ``fs.s3a.connection.ssl.enabled`` when it has no
  scheme), else ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``, else AWS's;
- region: ``fs.s3a.endpoint.region``, else ``AWS_REGION`` / ``AWS_DEFAULT_REGION``;
- addressing: ``fs.s3a.path.style.access`` (``host/bucket/key``);
- credentials: ``fs.s3a.access.key``, ``fs.s3a.secret.key``, ``fs.s3a.session.token`` when set there;
  otherwise each client finds its own through the AWS default chain (the ``AWS_*`` environment
  variables, a profile, an instance or pod role), so no secret travels with a task that Spark's
  own configuration does not already carry.

A per-bucket ``fs.s3a.bucket.<bucket>.<key>`` overrides ``fs.s3a.<key>``, as in Hadoop. Spark's
``s3a://`` scheme is ``s3://`` to pyarrow, delta-rs and boto3 (:func:`s3_uri`).

A Delta commit is put only if its version is free (:meth:`Storage.put_if_absent`): locally a file
hard-linked into place, on S3 a conditional PUT (``If-None-Match: *``) that the server refuses
with 412 when the object exists, atomically.
"""
from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from pyarrow import fs as pafs

from shoplake.lake.errors import LakeError
from shoplake.lake.local_files import create_whole

_S3_URI = re.compile(r"^(?:s3a|s3)://([^/]+)/?(.*)$")
# Concurrent conditional writes of one key: S3 may answer 409 to all but one while they are in flight.
_IN_FLIGHT_RETRIES = 5


def is_s3(uri: str) -> bool:
    """True when ``uri`` names an object in S3 (``s3a://`` or ``s3://``)."""
    return _S3_URI.match(uri) is not None


def split_s3(uri: str) -> tuple[str, str]:
    """The bucket and key (no leading or trailing slash) of an ``s3a://`` or ``s3://`` URI."""
    found = _S3_URI.match(uri)
    if found is None:
        raise LakeError(f"{uri} is not an s3a:// or s3:// URI")
    return found.group(1), found.group(2).strip("/")


def s3_uri(uri: str) -> str:
    """``s3a://bucket/key`` (Spark's scheme) as ``s3://bucket/key`` (pyarrow's, delta-rs's and boto3's)."""
    bucket, key = split_s3(uri)
    return f"s3://{bucket}/{key}" if key else f"s3://{bucket}"


@dataclass(frozen=True)
class S3Settings:
    """How to reach one bucket: endpoint URL (with scheme; None: AWS's), region, addressing, credentials.

    Credentials are None unless configured in Hadoop: each client then finds its own.
    """

    endpoint: str | None = None
    region: str | None = None
    path_style: bool = False
    access_key: str | None = None
    secret_key: str | None = None
    session_token: str | None = None

    @classmethod
    def from_hadoop(cls, get: Callable[[str], str | None], bucket: str, environ: Mapping[str, str] = os.environ) -> S3Settings:
        """The settings of ``bucket`` from Hadoop's s3a keys (``get`` looks a key up), else the AWS environment variables."""

        def setting(key: str) -> str | None:
            value = get(f"fs.s3a.bucket.{bucket}.{key}") or get(f"fs.s3a.{key}")
            return value.strip() if value and value.strip() else None

        endpoint = setting("endpoint") or environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL") or None
        if endpoint and "://" not in endpoint:
            endpoint = f"{'http' if (setting('connection.ssl.enabled') or 'true').lower() == 'false' else 'https'}://{endpoint}"
        region = setting("endpoint.region") or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None
        path_style = (setting("path.style.access") or "false").lower() == "true"
        return cls(endpoint.rstrip("/") if endpoint else None, region, path_style,
                   setting("access.key"), setting("secret.key"), setting("session.token"))

    def __repr__(self) -> str:  # never show the secrets
        return f"S3Settings(endpoint={self.endpoint!r}, region={self.region!r}, path_style={self.path_style})"

    def pyarrow_filesystem(self) -> pafs.S3FileSystem:
        """pyarrow's S3 filesystem with these settings (path-style addressing whenever an endpoint is set)."""
        scheme, _, host = (self.endpoint or "").partition("://")
        return pafs.S3FileSystem(access_key=self.access_key, secret_key=self.secret_key, session_token=self.session_token,
                                 region=self.region, scheme=scheme or None, endpoint_override=host or None)

    def delta_options(self, bucket: str) -> dict[str, str]:
        """delta-rs's ``storage_options`` for ``bucket`` with these settings."""
        options = {"AWS_VIRTUAL_HOSTED_STYLE_REQUEST": "false" if self.path_style else "true"}
        if self.endpoint:
            scheme, _, host = self.endpoint.partition("://")
            # delta-rs takes a virtual-hosted endpoint as the bucket's own URL
            options["AWS_ENDPOINT_URL"] = self.endpoint if self.path_style else f"{scheme}://{bucket}.{host}"
            if scheme == "http":
                options["AWS_ALLOW_HTTP"] = "true"
        optional = {"AWS_REGION": self.region, "AWS_ACCESS_KEY_ID": self.access_key,
                    "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_SESSION_TOKEN": self.session_token}
        return {**options, **{k: v for k, v in optional.items() if v}}


_client_lock = threading.Lock()


@lru_cache(maxsize=16)
def _client(settings: S3Settings):
    """A boto3 S3 client for ``settings`` (call under ``_client_lock``: clients are thread-safe, their creation is not)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    return session.client("s3", endpoint_url=settings.endpoint, region_name=settings.region,
                          aws_access_key_id=settings.access_key, aws_secret_access_key=settings.secret_key,
                          aws_session_token=settings.session_token,
                          config=Config(s3={"addressing_style": "path" if settings.path_style else "auto"}))


def _s3_put_if_absent(settings: S3Settings, uri: str, data: bytes) -> bool:
    """S3's conditional PUT: 412 (PreconditionFailed) means the object exists; any other failure raises :class:`OSError`."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = split_s3(uri)
    with _client_lock:
        client = _client(settings)
    for attempt in range(_IN_FLIGHT_RETRIES):
        try:
            client.put_object(Bucket=bucket, Key=key, Body=data, IfNoneMatch="*")
            return True
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "PreconditionFailed":
                return False
            if code != "ConditionalRequestConflict":
                raise OSError(f"{uri}: cannot put the object ({settings!r}): {exc}") from exc
        except BotoCoreError as exc:
            raise OSError(f"{uri}: cannot put the object ({settings!r}): {exc}") from exc
        time.sleep(0.05 * (attempt + 1))
    raise LakeError(f"{uri}: other writers' conditional puts of this object kept conflicting with this one; try again")


@dataclass(frozen=True)
class Storage:
    """How pyarrow, delta-rs and boto3 reach the files under one lake root: locally, or on S3 with ``s3``.

    Plain data (picklable), so executors get it with their task.
    """

    s3: S3Settings | None = None

    @classmethod
    def of(cls, spark, uri: str) -> Storage:
        """The storage of ``uri``: S3 with the settings of the session's Hadoop configuration for its bucket, else local."""
        if not is_s3(uri):
            return cls()
        conf = spark._jsparkSession.sessionState().newHadoopConf()
        return cls(S3Settings.from_hadoop(conf.get, split_s3(uri)[0]))

    def filesystem(self, uri: str) -> tuple[pafs.FileSystem, str]:
        """pyarrow's filesystem for ``uri`` and the path of ``uri`` on it."""
        if is_s3(uri):
            bucket, key = split_s3(uri)
            return self._s3(uri).pyarrow_filesystem(), f"{bucket}/{key}".rstrip("/")
        return pafs.FileSystem.from_uri(uri)

    def delta_location(self, uri: str) -> tuple[str, dict[str, str] | None]:
        """The URI and ``storage_options`` to open the Delta table at ``uri`` with delta-rs."""
        if is_s3(uri):
            return s3_uri(uri), self._s3(uri).delta_options(split_s3(uri)[0])
        return uri, None

    def put_if_absent(self, uri: str, data: bytes) -> bool:
        """Create the file ``uri`` holding ``data``, whole and only if it does not exist; True when this call created it."""
        if is_s3(uri):
            return _s3_put_if_absent(self._s3(uri), uri, data)
        filesystem, path = pafs.FileSystem.from_uri(uri)
        if not isinstance(filesystem, pafs.LocalFileSystem):
            raise LakeError(f"{uri}: files are created only-if-absent on local file systems and S3; "
                            "for other stores use lake.backend: delta-spark")
        return create_whole(path, data)

    def _s3(self, uri: str) -> S3Settings:
        """This storage's S3 settings; the environment's for a storage made for a local root."""
        return self.s3 or S3Settings.from_hadoop(lambda _: None, split_s3(uri)[0])
