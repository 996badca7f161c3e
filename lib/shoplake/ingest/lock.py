"""One ingest of a source at a time: a lock file in the job's checkpoint folder.

The lock file holds the owner's host, process id and start time. It is created only if absent, in
one atomic step (a hard link locally, a conditional PUT on S3, HDFS's exclusive create), so of
two ingests starting at once exactly one gets it. It is removed when the ingest ends; a lock
left by a process that died (same host, process gone) is stale and taken over.
A lock held by another host cannot be checked from here: the message says which file to delete
once that process is known to be gone.
"""
from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from py4j.protocol import Py4JJavaError

from shoplake.errors import exception_line
from shoplake.ingest.errors import CheckpointUnwritable, IngestAlreadyRunning
from shoplake.ingest.hadoop_folder import HadoopFolder
from shoplake.log import get_logger

log = get_logger(__name__)
LOCK = "ingest.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(folder: HadoopFolder) -> dict | None:
    """The lock's content; None when there is no lock. An unreadable lock (a crash mid-write) counts as ownerless."""
    try:
        return json.loads(folder.read_bytes(LOCK))
    except Exception:  # noqa: BLE001 - gone since, or half-written by a process that died
        return {} if folder.exists(LOCK) else None


def _stale(owner: dict) -> bool:
    return owner.get("host") == socket.gethostname() and not _alive(int(owner.get("pid", -1)))


def _create(folder: HadoopFolder, name: str, data: bytes) -> bool:
    """Create the lock file; the first write of a job under ``lake.root``, so name that key when it fails."""
    try:
        return folder.create_exclusive(LOCK, data)
    except (OSError, Py4JJavaError) as exc:
        raise CheckpointUnwritable(f"{name}: cannot write its checkpoint folder {folder.uri} (lake.root): "
                                   f"{exception_line(exc)}") from exc


@contextmanager
def ingest_lock(folder: HadoopFolder, name: str) -> Iterator[None]:
    """Hold the lock of ingest ``name`` (its checkpoint ``folder``) for the block; raise :class:`IngestAlreadyRunning`."""
    me = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    data = json.dumps(me).encode()
    for _ in range(3):
        if _create(folder, name, data):
            break
        owner = _owner(folder)
        if owner is None:
            continue  # released in between: try again
        if owner and not _stale(owner):
            raise IngestAlreadyRunning(
                f"{name}: another ingest of this source is running (process {owner.get('pid')} on "
                f"{owner.get('host')}, since {owner.get('started')}); if it is gone, delete {folder.uri}/{LOCK}")
        log.warning("%s: taking over the lock of a process that is gone (%s)", name, owner or "unreadable lock")
        if _owner(folder) == owner:  # not taken over by another run meanwhile
            folder.delete(LOCK)
    else:
        raise IngestAlreadyRunning(f"{name}: could not take the lock {folder.uri}/{LOCK}; another ingest keeps taking it")
    try:
        yield
    finally:
        if _owner(folder) == me:
            folder.delete(LOCK)
