"""Check that the machine matches the configuration before a job starts Spark.

A job that would fail deep inside the JVM (a standalone master nobody listens on, a lake root
that cannot be created) fails here instead, in seconds, with an
:class:`~shoplake.errors.EnvironmentProblem` whose one line names the config key and the
address or path. Only what can be checked from the driver is checked: local paths and
``spark://`` masters; HDFS, S3, YARN and Kubernetes are left to Spark.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

from shoplake.config import Settings
from shoplake.errors import EnvironmentProblem

MASTER_CONNECT_TIMEOUT_S = 5.0


class UnreachableMaster(EnvironmentProblem):
    """No address of a ``spark://`` master accepts a connection."""


class UnwritablePath(EnvironmentProblem):
    """A configured local folder does not exist and cannot be created, or cannot be written."""


def check_folders(settings: Settings) -> None:
    """Raise :class:`UnwritablePath` naming the first local folder of the config that cannot be written."""
    check_writable_folder("lake.root", local_path(settings.lake.root))
    check_writable_folder("mlflow.tracking_uri", tracking_store_folder(settings.mlflow.tracking_uri))
    check_writable_folder("mlflow.artifact_root", local_path(settings.mlflow.artifact_root))


def standalone_addresses(master: str) -> list[tuple[str, int]]:
    """The ``(host, port)`` pairs of a ``spark://host:port[,host:port]`` master; ``[]`` for any other."""
    if not master.startswith("spark://"):
        return []
    addresses = []
    for part in master[len("spark://"):].split(","):
        host, _, port = part.rpartition(":")
        addresses.append((host, int(port)))
    return addresses


def check_master_reachable(master: str, timeout_s: float = MASTER_CONNECT_TIMEOUT_S) -> None:
    """Raise :class:`UnreachableMaster` unless some address of a ``spark://`` master accepts a TCP connection."""
    failures = []
    for host, port in standalone_addresses(master):
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                return
        except OSError as exc:
            failures.append(f"{host}:{port} ({exc.strerror or str(exc) or type(exc).__name__})")
    if failures:
        raise UnreachableMaster(
            f"spark.master: cannot reach the Spark master {master}: {', '.join(failures)}; "
            "start the master or point spark.master (or --master) at a running one"
        )


def local_path(location: str) -> Path | None:
    """``location`` as a local path (a plain path or a ``file:`` URI); ``None`` for other filesystems."""
    if not location:
        return None
    if "://" not in location and not location.startswith("file:"):
        return Path(location).expanduser()
    parsed = urlparse(location)
    return Path(parsed.path) if parsed.scheme == "file" else None


def tracking_store_folder(tracking_uri: str) -> Path | None:
    """The local folder an MLflow tracking store writes to: a SQLite file's folder, or a file store."""
    if tracking_uri.startswith("sqlite:///"):
        database = tracking_uri[len("sqlite:///"):].split("?", 1)[0]
        return Path(database).expanduser().parent if database else None
    return local_path(tracking_uri)


def check_writable_folder(key: str, folder: Path | None) -> None:
    """Raise :class:`UnwritablePath` unless ``folder`` is a writable folder or could be created as one.

    Nothing is left behind: a missing folder is not created here, only the folder that would hold it
    is tested with a probe entry that is removed at once.
    """
    if folder is None:
        return
    folder = folder.absolute()
    existing = folder
    while not os.path.exists(existing):  # False, not an error, below a folder that cannot be listed
        if os.path.lexists(existing):
            raise UnwritablePath(f"{key}: {folder} cannot be created: {existing} is a dangling symbolic link")
        existing = existing.parent
    if not existing.is_dir():
        problem = "is" if existing == folder else f"cannot be created: {existing} is"
        raise UnwritablePath(f"{key}: {folder} {problem} a file, not a folder")
    probe = existing / f".shoplake-write-check-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        where = "is not writable" if existing == folder else f"cannot be created in {existing}"
        raise UnwritablePath(f"{key}: {folder} {where} ({exc.strerror or exc})") from None
