"""Driver side of a write: commit the files an operation added and removed as ONE Delta transaction.

The commit file is written by :mod:`~shoplake.lake.deltars.log` (protocol and ``metaData`` for a
table's first version or a schema change, ``txn`` for exactly-once writes, then ``remove`` and
``add`` actions, behind a ``commitInfo`` that names the operation as Delta does). A commit lands on
exactly the version after the snapshot checked here, or fails. When another writer got there
first, the new commits are checked for conflicts under WriteSerializable isolation (Delta's
default) and the commit is tried again on the newer snapshot; a conflict raises
:class:`ConcurrentWriteConflict`.
"""
from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field

from pyspark.sql.types import StructType

from shoplake.lake.deltars.location import TableLocation
from shoplake.lake.deltars.log import VersionTaken, commit_info, log_path, maintain, now_ms, write_commit
from shoplake.lake.deltars.snapshot import DataFile, Snapshot, load
from shoplake.lake.errors import ConcurrentWriteConflict, SchemaMismatch, TableExists
from shoplake.lake.model import Txn
from shoplake.log import get_logger

log = get_logger(__name__)

MAX_ATTEMPTS = 25
# Commits that change no rows: they never make another operation's reads stale.
_NO_DATA_CHANGE = {"OPTIMIZE", "VACUUM START", "VACUUM END", "ADD COLUMN", "SET TBLPROPERTIES", "ADD CONSTRAINT",
                   "DROP CONSTRAINT", "ADD FEATURE", "SET COLUMN METADATA"}


@dataclass(frozen=True)
class NewFile:
    """A data file written for a commit: table-relative path, size, partition values as log strings, stats JSON.

    ``tally`` counts its rows by origin where the writer was asked to (a merge's copied, updated
    and inserted rows).
    """

    path: str
    size: int
    partition: dict[str, str | None]
    stats: str
    tally: dict[str, int] = field(default_factory=dict)
    modified: int = field(default_factory=now_ms)

    @property
    def records(self) -> int:
        return json.loads(self.stats)["numRecords"]


@dataclass(frozen=True)
class Change:
    """The files one operation adds and removes, its Delta name, parameters and metrics, and what it read."""

    operation: str
    adds: list[NewFile]
    removes: list[DataFile] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    blind_append: bool = False  # adds rows without reading the table: never conflicts
    data_change: bool = True  # False for OPTIMIZE: the same rows in new files
    scope: list[dict] | None = None  # partitions read or replaced; None means the whole table


def txn_done(snapshot: Snapshot | None, txn: Txn | None) -> bool:
    """True when ``txn`` (or a later version of its application) is already committed in ``snapshot``."""
    if snapshot is None or txn is None:
        return False
    done = snapshot.txn_version(txn.app_id)
    if done is not None and done >= txn.version:
        log.info("%s: %s version %d already committed; nothing to do", snapshot.uri, txn.app_id, txn.version)
        return True
    return False


def create(where: TableLocation, schema: StructType, partition_by: list[str], properties: dict[str, str]) -> int:
    """Create an empty table (``CREATE TABLE``) at ``where``; raise :class:`TableExists` when another writer made one first."""
    parameters = {"isManaged": "false", "description": None, "partitionBy": json.dumps(partition_by), "properties": json.dumps(properties)}
    try:
        return _try_commit(where, None, Change("CREATE TABLE", [], parameters=parameters, blind_append=True), schema, partition_by, properties, None)
    except VersionTaken as exc:
        raise TableExists(str(exc)) from exc


def commit(
    where: TableLocation,
    read: Snapshot | None,
    change: Change,
    schema: StructType,
    partition_by: list[str],
    properties: dict[str, str] | None = None,
    txn: Txn | None = None,
) -> int:
    """Commit ``change`` to the table at ``where``, planned against snapshot ``read`` (None: no table yet).

    ``schema`` is the table's schema after the commit (a new table's, or an existing one's plus new
    columns); ``partition_by`` and ``properties`` are used when the commit creates the table.
    Returns the version committed, or the current version when ``txn`` was already committed (a no-op).
    """
    base = read
    for attempt in range(MAX_ATTEMPTS):
        if txn_done(base, txn):
            return base.version
        if base is not None:
            reason = _conflict(change, read, base)
            if reason:
                raise ConcurrentWriteConflict(f"{where}: {change.operation} conflicts with a concurrent commit: {reason}")
        try:
            return _try_commit(where, base, change, schema, partition_by, properties or {}, txn)
        except VersionTaken:
            latest = load(where)
            if base is None:
                _check_same_table(where, latest, schema, partition_by)
            log.info("%s: version %d was taken by another writer; retrying on %d", where, (base.version if base else -1) + 1, latest.version)
            base = latest
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    raise ConcurrentWriteConflict(f"{where}: {change.operation} gave up after {MAX_ATTEMPTS} attempts against concurrent writers")


def _try_commit(where: TableLocation, base: Snapshot | None, change: Change, schema: StructType, partition_by: list[str],
                properties: dict[str, str], txn: Txn | None) -> int:
    version = 0 if base is None else base.version + 1
    info = commit_info(change.operation, change.parameters, change.metrics, None if base is None else base.version,
                       change.blind_append, change.data_change)
    actions = [info]
    if base is not None:
        base.check_writable(removes_files=bool(change.removes) and change.data_change)
    if base is None:
        actions += [{"protocol": _protocol(schema)}, {"metaData": _metadata(schema, partition_by, properties)}]
    elif schema.simpleString() != base.schema.simpleString():
        if _protocol(schema) != _protocol(base.schema) and not base.table.protocol().writer_features:
            raise SchemaMismatch(f"{where}: adding timestamp_ntz columns needs a table created with one")
        metadata = base.table.metadata()
        actions.append({"metaData": _metadata(schema, base.partition_columns, dict(metadata.configuration), metadata.id, metadata.created_time)})
    if txn:
        actions.append({"txn": {"appId": txn.app_id, "version": txn.version, "lastUpdated": now_ms()}})
    deleted = now_ms()
    actions += [
        {"remove": {"path": f.logged, "deletionTimestamp": deleted, "dataChange": change.data_change,
                    "extendedFileMetadata": True, "partitionValues": f.partition, "size": f.size}}
        for f in change.removes
    ]
    actions += [
        {"add": {"path": log_path(f.path), "partitionValues": f.partition, "size": f.size, "modificationTime": f.modified,
                 "dataChange": change.data_change, "stats": f.stats}}
        for f in change.adds
    ]
    write_commit(where, version, actions)
    maintain(where, version, properties if base is None else dict(base.table.metadata().configuration))
    return version


def _protocol(schema: StructType) -> dict:
    """The lowest protocol that reads ``schema`` (``timestampNtz`` needs table features)."""
    if '"timestamp_ntz"' in schema.json():
        return {"minReaderVersion": 3, "minWriterVersion": 7, "readerFeatures": ["timestampNtz"], "writerFeatures": ["timestampNtz"]}
    return {"minReaderVersion": 1, "minWriterVersion": 2}


def _metadata(schema: StructType, partition_by: list[str], properties: dict[str, str], table_id: str | None = None,
              created: int | None = None) -> dict:
    return {
        "id": table_id or str(uuid.uuid4()),
        "format": {"provider": "parquet", "options": {}},
        "schemaString": schema.json(),
        "partitionColumns": partition_by,
        "configuration": properties,
        "createdTime": created or now_ms(),
    }


def _check_same_table(where: TableLocation, latest: Snapshot, schema: StructType, partition_by: list[str]) -> None:
    """A table created concurrently must be the table this write would have created."""
    if latest.schema.simpleString() != schema.simpleString() or latest.partition_columns != partition_by:
        raise SchemaMismatch(
            f"{where}: another writer created the table concurrently with schema {latest.schema.simpleString()} "
            f"partitioned by {latest.partition_columns}; this write has {schema.simpleString()} partitioned by {partition_by}"
        )


def _conflict(change: Change, read: Snapshot | None, latest: Snapshot) -> str | None:
    """Why ``change``, planned on ``read``, cannot be committed after ``latest``; None when it can."""
    read_version = read.version if read is not None else -1
    if change.blind_append or latest.version == read_version:
        return None
    if read is not None and latest.schema.simpleString() != read.schema.simpleString():
        return f"the table's schema changed since version {read_version}"
    active = {f.path: f for f in latest.all_files}
    gone = [f.path for f in change.removes if f.path not in active]
    if gone:
        return f"{len(gone)} file(s) it rewrites were removed since version {read_version} (e.g. {gone[0]})"
    if not change.data_change:
        return None
    writers = [
        c["version"] for c in latest.commits_since(read_version)
        if not c.get("isBlindAppend") and c.get("operation") not in _NO_DATA_CHANGE
    ]
    if not writers:
        return None
    before = {f.path for f in read.all_files} if read is not None else set()
    added = [f for path, f in active.items() if path not in before and (change.scope is None or f.partition in change.scope)]
    if added:
        return f"version(s) {sorted(writers)} changed rows it read ({len(added)} new file(s) in its scope)"
    return None
