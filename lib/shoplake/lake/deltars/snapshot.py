"""One table version as delta-rs resolves it from the Delta log: schema, partitioning, active files.

Only the log's metadata is used here (file list, partition values, app transactions, commit
infos); data files are read by Spark (see :mod:`shoplake.lake.deltars.read`).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from urllib.parse import unquote

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError
from pyarrow import fs as pafs
from pyspark.sql.types import StructType

from shoplake.lake.deltars import partitions
from shoplake.lake.deltars.location import TableLocation
from shoplake.lake.errors import LakeError, NotADeltaTable, VersionNotFound

# Files this backend writes; a directory holding only these (a write that died before the first
# commit of a new table) is treated as "no table yet" rather than as a foreign dataset.
_OWN_FILE = re.compile(r"^part-\d{5}-[0-9a-f-]{36}\.c000\.snappy\.parquet$")
# Reader features whose data this backend reads correctly (column mapping, deletion vectors: not).
_READABLE_FEATURES = {"timestampNtz"}
# Writer features its commits maintain. Others (deletion vectors, change data feed, CHECK constraints,
# generated or identity columns, row tracking, ...) need a writer that keeps them: delta-spark.
_WRITABLE_FEATURES = {"timestampNtz", "appendOnly", "invariants"}
_LEGACY_WRITER_VERSION = 2  # up to this minWriterVersion, the features are appendOnly and invariants


@dataclass(frozen=True)
class DataFile:
    """An active data file: path relative to the table root (decoded), size, partition values as log strings.

    ``logged`` is the path exactly as the log spells it (what a ``remove`` action must repeat) and
    ``records`` its row count when the log's statistics hold one.
    """

    path: str
    size: int
    partition: dict[str, str | None]
    logged: str
    records: int | None


class Snapshot:
    """A loaded version of a Delta table."""

    def __init__(self, where: TableLocation, table: DeltaTable):
        unsupported = set(table.protocol().reader_features or ()) - _READABLE_FEATURES
        if unsupported:
            raise LakeError(f"{where}: the delta-rs backend cannot read tables using {sorted(unsupported)}")
        self.where = where
        self.uri = where.uri
        self.table = table
        self.version: int = table.version()
        self.partition_columns: list[str] = list(table.metadata().partition_columns)
        self.schema: StructType = StructType.fromJson(json.loads(table.schema().to_json()))
        self.properties: dict[str, str] = dict(table.metadata().configuration)

    def check_writable(self, removes_files: bool) -> None:
        """Refuse a commit that would not maintain the table's features (or rewrite an append-only table)."""
        protocol = self.table.protocol()
        if protocol.writer_features is not None:
            unsupported = sorted(set(protocol.writer_features) - _WRITABLE_FEATURES)
        elif protocol.min_writer_version > _LEGACY_WRITER_VERSION:
            unsupported = [f"minWriterVersion {protocol.min_writer_version}"]
        else:
            unsupported = []
        if unsupported:
            raise LakeError(f"{self.where}: the delta-rs backend cannot write tables using {', '.join(unsupported)}; "
                            "write this table with lake.backend: delta-spark")
        if removes_files and (self.properties.get("delta.appendOnly") or "").lower() == "true":
            raise LakeError(f"{self.where}: the table is append-only (delta.appendOnly=true): rows cannot be changed or removed")

    @cached_property
    def all_files(self) -> list[DataFile]:
        """Every active file of this version, from the log's add actions."""
        actions = pa.table(self.table.get_add_actions(flatten=True))
        columns = {c: actions.column(f"partition.{c}").to_pylist() for c in self.partition_columns}
        records = actions.column("num_records").to_pylist() if "num_records" in actions.column_names else [None] * actions.num_rows
        return [
            DataFile(unquote(path), size, {c: partitions.to_string(columns[c][i]) or None for c in self.partition_columns}, path, records[i])
            for i, (path, size) in enumerate(zip(actions.column("path").to_pylist(), actions.column("size_bytes").to_pylist()))
        ]

    def files(self, wanted: dict[str, list] | None = None) -> list[DataFile]:
        """Active files, only those whose partition values are in ``wanted`` (column -> values) when given."""
        if not wanted:
            return self.all_files
        allowed = {c: {partitions.to_string(v) or None for v in values} for c, values in wanted.items()}
        return [f for f in self.all_files if all(f.partition[c] in allowed[c] for c in allowed)]

    def location(self, file: DataFile) -> str:
        """The file's absolute path or URI."""
        return f"{self.uri}/{file.path}"

    def txn_version(self, app_id: str) -> int | None:
        """The last version committed by application ``app_id``, or None."""
        return self.table.transaction_version(app_id)

    def commits_since(self, version: int) -> list[dict]:
        """The ``commitInfo`` of each version after ``version`` up to this one ({} where it is unreadable).

        Read from the commit files themselves: delta-rs's ``history()`` numbers entries from the
        version an object loaded, which is wrong when commits land meanwhile.
        """
        filesystem, root = self.where.filesystem()
        return [
            {"version": v, **_commit_info(filesystem, f"{root}/_delta_log/{v:020d}.json")}
            for v in range(version + 1, self.version + 1)
        ]


def load(where: TableLocation, version: int | None = None, timestamp: datetime | str | None = None) -> Snapshot | None:
    """The table at ``where`` (latest, or at ``version`` / ``timestamp``); None when there is no table yet."""
    try:
        latest = Snapshot(where, where.delta_table())
    except TableNotFoundError:
        if _holds_foreign_files(where):
            raise NotADeltaTable(f"{where} holds files but no Delta transaction log (_delta_log)") from None
        return None
    if timestamp is not None:
        version = _version_at(latest, timestamp)
    if version is None or version == latest.version:
        return latest
    if not 0 <= version <= latest.version:
        raise VersionNotFound(f"{where}: no version {version} (versions 0..{latest.version})")
    try:
        return Snapshot(where, where.delta_table(version))
    except DeltaError as exc:
        raise VersionNotFound(f"{where}: version {version} cannot be loaded (its log was cleaned up?): {exc}") from exc


def _version_at(latest: Snapshot, timestamp: datetime | str) -> int:
    """The latest version committed at or before ``timestamp`` (naive means UTC)."""
    moment = datetime.fromisoformat(timestamp) if isinstance(timestamp, str) else timestamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    commits = [c for c in latest.commits_since(-1) if "timestamp" in c]
    before = [c["version"] for c in commits if c["timestamp"] <= moment.timestamp() * 1000]
    if not before:
        first = datetime.fromtimestamp(min(c["timestamp"] for c in commits) / 1000, timezone.utc)
        raise VersionNotFound(f"{latest.uri}: no version at {moment.isoformat()}; the first commit is at {first.isoformat()}")
    return max(before)


def _commit_info(filesystem: pafs.FileSystem, path: str) -> dict:
    try:
        with filesystem.open_input_stream(path) as stream:
            actions = [json.loads(line) for line in stream.read().decode().splitlines() if line.strip()]
    except (FileNotFoundError, OSError):
        return {}
    return next((a["commitInfo"] for a in actions if "commitInfo" in a), {})


def _holds_foreign_files(where: TableLocation) -> bool:
    filesystem, path = where.filesystem()
    entries = filesystem.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
    return any(e.type == pafs.FileType.File and not _OWN_FILE.match(e.base_name) for e in entries)
