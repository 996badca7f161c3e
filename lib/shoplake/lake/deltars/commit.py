"""Driver side of a write: commit the files an operation added and removed as ONE Delta transaction.

delta-rs writes the log: ``create_table_with_add_actions`` for a table's first version, then
``DeltaTable.create_write_transaction`` with ``AddAction``/``RemoveAction`` entries (mode
"append": removes are explicit, which is how overwrite, merge, delete and optimize replace files).
``CommitProperties(app_transactions=[Transaction(app_id, version)])`` records exactly-once writes.

delta-rs is asked not to retry (``max_commit_retries=0``), so a commit lands on exactly the version
after the snapshot checked here, or fails. When another writer got there first, the new commits are
checked for conflicts under WriteSerializable isolation (Delta's default) and the commit is tried
again on the newer snapshot; a conflict raises :class:`ConcurrentWriteConflict`.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from deltalake import CommitProperties, DeltaTable, Schema, Transaction
from deltalake.exceptions import DeltaError
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions
from pyspark.sql.types import StructField, StructType

from shoplake.lake.deltars.snapshot import DataFile, Snapshot, load
from shoplake.lake.errors import ConcurrentWriteConflict, LakeError, SchemaMismatch
from shoplake.lake.model import Txn
from shoplake.log import get_logger

log = get_logger(__name__)

MAX_ATTEMPTS = 25
# Commits that change no rows: they never make another operation's reads stale.
_NO_DATA_CHANGE = {"OPTIMIZE", "VACUUM START", "VACUUM END", "ADD COLUMN", "SET TBLPROPERTIES", "ADD CONSTRAINT",
                   "DROP CONSTRAINT", "ADD FEATURE", "SET COLUMN METADATA"}


@dataclass(frozen=True)
class Change:
    """The files one operation adds and removes, and what it read (for conflict checks)."""

    operation: str
    adds: list[AddAction]
    removes: list[DataFile] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
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


def commit(
    uri: str,
    read: Snapshot | None,
    change: Change,
    schema: StructType,
    partition_by: list[str],
    new_fields: list[StructField] = (),
    txn: Txn | None = None,
) -> int:
    """Commit ``change`` to the table at ``uri``, planned against snapshot ``read`` (None: no table yet).

    ``schema``/``partition_by`` create the table when it does not exist; ``new_fields`` are added
    to an existing table's schema first. Returns the version committed, or the current version when
    ``txn`` was already committed (a no-op).
    """
    base = read
    if new_fields and base is not None:
        DeltaTable(uri).alter.add_columns(list(Schema.from_json(StructType(list(new_fields)).json()).fields))
        base = load(uri)
    for attempt in range(MAX_ATTEMPTS):
        if txn_done(base, txn):
            return base.version
        if base is not None:
            reason = _conflict(change, read, base)
            if reason:
                raise ConcurrentWriteConflict(f"{uri}: {change.operation} conflicts with a concurrent commit: {reason}")
        try:
            return _try_commit(uri, base, change, schema, partition_by, txn)
        except DeltaError as exc:  # CommitFailedError included
            latest = load(uri)
            if latest is None or (base is not None and latest.version == base.version):
                raise LakeError(f"{uri}: {change.operation} commit failed: {exc}") from exc
            if base is None:
                _check_same_table(uri, latest, schema, partition_by)
            log.info("%s: version %d was taken by another writer; retrying on %d", uri, (base.version if base else -1) + 1, latest.version)
            base = latest
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    raise ConcurrentWriteConflict(f"{uri}: {change.operation} gave up after {MAX_ATTEMPTS} attempts against concurrent writers")


def _try_commit(uri: str, base: Snapshot | None, change: Change, schema: StructType, partition_by: list[str], txn: Txn | None) -> int:
    properties = CommitProperties(
        custom_metadata={
            "isBlindAppend": change.blind_append,
            "shoplake.operation": change.operation,
            "shoplake.parameters": change.parameters,
        },
        max_commit_retries=0,
        app_transactions=[Transaction(txn.app_id, txn.version)] if txn else None,
    )
    if base is None:
        create_table_with_add_actions(
            uri, Schema.from_json(schema.json()), change.adds, mode="error", partition_by=partition_by, commit_properties=properties
        )
        return 0
    now = int(time.time() * 1000)
    removes = [RemoveAction(f.path, change.data_change, now, f.size, f.partition) for f in change.removes]
    base.table.create_write_transaction(
        [*change.adds, *removes], "append", base.table.schema(), partition_by=base.partition_columns, commit_properties=properties
    )
    return base.version + 1


def _check_same_table(uri: str, latest: Snapshot, schema: StructType, partition_by: list[str]) -> None:
    """A table created concurrently must be the table this write would have created."""
    if latest.schema.simpleString() != schema.simpleString() or latest.partition_columns != partition_by:
        raise SchemaMismatch(
            f"{uri}: another writer created the table concurrently with schema {latest.schema.simpleString()} "
            f"partitioned by {latest.partition_columns}; this write has {schema.simpleString()} partitioned by {partition_by}"
        )


def _conflict(change: Change, read: Snapshot | None, latest: Snapshot) -> str | None:
    """Why ``change``, planned on ``read``, cannot be committed after ``latest``; None when it can."""
    read_version = read.version if read is not None else -1
    if change.blind_append or latest.version == read_version:
        return None
    active = {f.path: f for f in latest.all_files}
    gone = [f.path for f in change.removes if f.path not in active]
    if gone:
        return f"{len(gone)} file(s) it rewrites were removed since version {read_version} (e.g. {gone[0]})"
    if not change.data_change:
        return None
    writers = [
        c["version"] for c in latest.commits_since(read_version)
        if not c.get("isBlindAppend") and (c.get("shoplake.operation") or c.get("operation")) not in _NO_DATA_CHANGE
    ]
    if not writers:
        return None
    before = {f.path for f in read.all_files} if read is not None else set()
    added = [f for path, f in active.items() if path not in before and (change.scope is None or f.partition in change.scope)]
    if added:
        return f"version(s) {sorted(writers)} changed rows it read ({len(added)} new file(s) in its scope)"
    return None
