"""The Delta log as this backend writes it: one JSON file per version, checkpoints, log cleanup.

A commit file is put atomically and only if its version is free, so two writers can never both
commit a version and a reader never sees half a commit: on a local filesystem it is written aside,
then hard-linked into place (the way Delta's local log store does it); on S3 it is a conditional
PUT (``If-None-Match: *``), which the server refuses once the object exists (see
:mod:`shoplake.lake.object_store`). Actions are those of the Delta protocol; the
``commitInfo`` names the operation as Delta does (``WRITE``, ``MERGE``, ``DELETE``, ``OPTIMIZE``)
with its parameters and metrics.

After a commit whose version is a multiple of ``delta.checkpointInterval`` (10 by default), a
checkpoint (``<version>.checkpoint.parquet`` and ``_last_checkpoint``) is written with delta-rs,
and, unless ``delta.enableExpiredLogCleanup`` is false, commit files older than
``delta.logRetentionDuration`` (30 days by default) and before that checkpoint are deleted.
"""
from __future__ import annotations

import json
import time
import uuid
from urllib.parse import quote

from deltalake.exceptions import DeltaError

from shoplake.lake.deltars.location import TableLocation
from shoplake.log import get_logger

log = get_logger(__name__)

ENGINE = "shoplake-delta-rs-backend"
CHECKPOINT_INTERVAL = "delta.checkpointInterval"
LOG_CLEANUP = "delta.enableExpiredLogCleanup"
DEFAULT_CHECKPOINT_INTERVAL = 10


class VersionTaken(Exception):
    """Another writer committed the version first."""


def now_ms() -> int:
    return int(time.time() * 1000)


def log_path(path: str) -> str:
    """A table-relative file path as the log stores it (URI-encoded, like Delta's writers)."""
    return quote(path, safe="/=")


def commit_info(operation: str, parameters: dict, metrics: dict, read_version: int | None, blind_append: bool, data_change: bool) -> dict:
    """Delta's ``commitInfo`` action: parameters and metrics as strings (JSON text for lists and maps), as Delta writes them."""
    info = {
        "timestamp": now_ms(),
        "operation": operation,
        "operationParameters": {k: v if isinstance(v, str) or v is None else json.dumps(v) for k, v in parameters.items()},
        "isolationLevel": "WriteSerializable" if data_change else "SnapshotIsolation",
        "isBlindAppend": blind_append,
        "operationMetrics": {k: str(v) for k, v in metrics.items()},
        "engineInfo": ENGINE,
        "txnId": str(uuid.uuid4()),
    }
    if read_version is not None:
        info["readVersion"] = read_version
    return {"commitInfo": info}


def write_commit(where: TableLocation, version: int, actions: list[dict]) -> None:
    """Put ``actions`` as version ``version`` of the table's log; raise :class:`VersionTaken` when it exists."""
    commit = "".join(json.dumps(a, separators=(",", ":")) + "\n" for a in actions).encode()
    if not where.put_if_absent(f"_delta_log/{version:020d}.json", commit):
        raise VersionTaken(f"{where}: version {version} was committed by another writer")


def maintain(where: TableLocation, version: int, properties: dict[str, str | None]) -> None:
    """Checkpoint at ``version`` when the table's interval says so, then clean up expired commit files.

    The commit is already durable: a failure here is logged, never raised (the next checkpoint covers it).
    """
    interval = int(properties.get(CHECKPOINT_INTERVAL) or DEFAULT_CHECKPOINT_INTERVAL)
    if version == 0 or version % interval:
        return
    try:
        table = where.delta_table(version)
        table.create_checkpoint()
        if (properties.get(LOG_CLEANUP) or "true").lower() != "false":
            table.cleanup_metadata()
    except (DeltaError, OSError) as exc:
        log.warning("%s: checkpoint at version %d failed (%s); the table is unaffected", where, version, exc)
