"""The delta-rs backend: Spark reads and writes the data files; the Delta log is read with delta-rs.

Writes run ``mapInArrow`` (:func:`~shoplake.lake.deltars.files.write_files` on the executors),
collect the small per-file metadata rows, and commit them from this process
(:func:`~shoplake.lake.deltars.commit.commit`, which writes Delta's commit file itself, so that
the log names each operation as Delta does); delta-rs resolves snapshots, writes checkpoints and
vacuums. A Python ``DataSource`` writer would give the same shape, but its ``commit()`` runs in
a separate Python worker started by the JVM, from which the committed version, a typed conflict
error or an exactly-once no-op cannot reach the caller.
"""
from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from datetime import datetime, timezone
from functools import cached_property, partial

from deltalake.exceptions import DeltaError
from pyarrow import fs as pafs
from pyspark.errors import PythonException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from shoplake.lake.api import Lake
from shoplake.lake.deltars import operations, partitions
from shoplake.lake.deltars.commit import NewFile, commit, create, txn_done
from shoplake.lake.deltars.files import FILES_SCHEMA, FileSpec, write_files
from shoplake.lake.deltars.location import TableLocation
from shoplake.lake.deltars.log import maintain
from shoplake.lake.deltars.merge import ORIGIN, files_with, matching_keys, merged_rows
from shoplake.lake.deltars.read import read_files
from shoplake.lake.deltars.snapshot import DataFile, Snapshot, load
from shoplake.lake.deltars.stats import StatsColumns
from shoplake.lake.errors import LakeError, SchemaMismatch, TableExists
from shoplake.lake.merge_source import DELETE_FLAG, condition, persisted
from shoplake.lake.model import Commit, TableRef, WriteRequest
from shoplake.lake.object_store import Storage
from shoplake.lake.schema import nullable


class DeltaRsLake(Lake):
    """Executors write Parquet files (``mapInArrow``); the driver commits them to the Delta log, one transaction per call."""

    backend = "delta-rs"

    @cached_property
    def storage(self) -> Storage:
        """How delta-rs, pyarrow and boto3 reach the lake root (S3 settings from the session's Hadoop configuration)."""
        return Storage.of(self.spark, self.root)

    def _where(self, ref: TableRef) -> TableLocation:
        return TableLocation(ref.path, self.storage)

    def _state(self, ref: TableRef) -> Snapshot | None:
        return load(self._where(ref))

    def _create(self, ref: TableRef, schema: StructType, partition_by: list[str]) -> int:
        _check_partition_types(ref, schema, partition_by)
        try:
            return create(self._where(ref), schema, partition_by, self._creation_properties(schema, partition_by))
        except TableExists as exc:
            raise TableExists(f"{ref}: {exc}") from exc

    def _history(self, ref: TableRef, limit: int | None) -> list[Commit]:
        return [
            Commit(
                version=c["version"],
                timestamp=datetime.fromtimestamp(c["timestamp"] / 1000, timezone.utc),
                operation=c.get("shoplake.operation") or c["operation"],  # the custom key: logs of earlier releases
                parameters=c.get("operationParameters") or {},
            )
            for c in self._where(ref).delta_table().history(limit)
        ]

    def _read(self, ref: TableRef, version, timestamp, partitions: dict[str, list]) -> DataFrame:
        snapshot = load(self._where(ref), version, timestamp)
        return read_files(self.spark, snapshot, snapshot.files(partitions))

    def _write_data(self, ref: TableRef, state: Snapshot | None, request: WriteRequest) -> int:
        if txn_done(state, request.txn):
            return state.version
        schema, properties = self._target(state, request)
        adds = self._write_files(ref, request.df, schema, request.partition_by, properties)
        existing = state.all_files if state is not None else []
        if request.mode == "append":
            change = operations.write(adds, [], "Append", request.partition_by)
        elif request.mode == "overwrite":
            change = operations.write(adds, existing, "Overwrite", request.partition_by)
        else:
            replaced = [dict(p) for p in {tuple(a.partition.items()) for a in adds}]
            change = operations.write(adds, [f for f in existing if f.partition in replaced], "Overwrite", request.partition_by, dynamic=True)
        return commit(self._where(ref), state, change, schema, request.partition_by, properties, request.txn)

    def _merge(self, ref: TableRef, state: Snapshot | None, request: WriteRequest, source: DataFrame, keys, order_by) -> int:
        if txn_done(state, request.txn):
            return state.version
        schema, properties = self._target(state, request)
        if state is None:
            adds = self._write_files(ref, source.where(~F.col(DELETE_FLAG)).drop(DELETE_FLAG), schema, request.partition_by, properties)
            change = operations.write(adds, [], "Append", request.partition_by)
        else:
            target = read_files(self.spark, state, state.all_files, with_file=True)
            with persisted(matching_keys(target, source, keys)) as matches:  # at most the source's size
                removes = files_with(state, state.all_files, matches)
                rows = merged_rows(read_files(self.spark, state, removes), source, matches.select(*keys), keys, order_by, schema)
                adds = self._write_files(ref, rows, schema, request.partition_by, properties, tally=ORIGIN)
            change = operations.merge(adds, removes, keys, order_by)
        return commit(self._where(ref), state, change, schema, request.partition_by, properties, request.txn)

    def _delete(self, ref: TableRef, state: Snapshot, condition_sql: str) -> int:
        target = read_files(self.spark, state, state.all_files, with_file=True)
        matches = condition(target, condition_sql, "delete condition", str(ref))
        removes = files_with(state, state.all_files, target.where(matches))
        if not removes:
            return state.version
        kept = read_files(self.spark, state, removes).where(~F.coalesce(matches, F.lit(False)))
        adds = self._write_files(ref, kept, state.schema, state.partition_columns, state.properties)
        return commit(self._where(ref), state, operations.delete(adds, removes, condition_sql), state.schema, state.partition_columns)

    def _optimize(self, ref: TableRef, state: Snapshot, target_bytes: int) -> int:
        groups: dict[tuple, list[DataFile]] = defaultdict(list)
        for file in state.all_files:
            if file.size < target_bytes:
                groups[tuple(file.partition.items())].append(file)
        compacted = [group for group in groups.values() if len(group) > 1]
        small = [f for group in compacted for f in group]
        if not small:
            return state.version
        rows = read_files(self.spark, state, small)
        if state.partition_columns:  # one task, so one file, per compacted partition
            rows = rows.repartition(len(compacted), *state.partition_columns)
        else:
            rows = rows.repartition(math.ceil(sum(f.size for f in small) / target_bytes))
        adds = self._write_files(ref, rows, state.schema, state.partition_columns, state.properties)
        change = operations.optimize(adds, small, target_bytes)
        return commit(self._where(ref), state, change, state.schema, state.partition_columns)

    def _vacuum(self, ref: TableRef, hours: float, dry_run: bool, enforce: bool) -> list[str]:
        """delta-rs's full vacuum: files no version within retention references, orphans of failed writes included.

        It commits ``VACUUM START`` and ``VACUUM END`` as Delta does.
        """
        where = self._where(ref)
        table = where.delta_table()
        options = {"retention_hours": math.ceil(hours), "enforce_retention_duration": enforce, "full": True}
        prefixes = tuple({f"{where.uri}/", f"{where.storage.delta_location(where.uri)[0]}/"})
        try:
            # delta-rs also lists tombstoned files that an earlier vacuum already deleted: keep existing ones only.
            listed = [_relative(p, prefixes) for p in table.vacuum(dry_run=True, **options)]
            filesystem, root = where.filesystem()
            doomed = [p for p in listed if filesystem.get_file_info(f"{root}/{p}").type == pafs.FileType.File]
            if doomed and not dry_run:
                before = table.version()
                table.vacuum(dry_run=False, **options)
                after = load(where)
                for version in range(before + 1, after.version + 1):  # vacuum's own commits count towards checkpoints
                    maintain(where, version, after.properties)
            return doomed
        except DeltaError as exc:
            if "retention" not in str(exc).lower():
                raise
            raise LakeError(
                f"{ref}: refusing to vacuum with {hours} hours of retention ({exc}); files that readers of older "
                "versions or writes in flight still need would be deleted. Pass enforce_retention=False to override."
            ) from exc

    def _target(self, state: Snapshot | None, request: WriteRequest) -> tuple[StructType, dict[str, str]]:
        """The table schema and properties after a write: the data's (nullable) for a new table, else the table's plus new columns."""
        if state is None:
            schema = nullable(request.df.schema)
            return schema, self._creation_properties(schema, request.partition_by)
        return StructType(state.schema.fields + request.new_fields), state.properties

    def _write_files(self, ref: TableRef, df: DataFrame, schema: StructType, partition_by: list[str], properties: dict[str, str],
                     tally: str | None = None) -> list[NewFile]:
        """Write ``df`` as data files under the table (on the executors); return them, not yet committed."""
        _check_partition_types(ref, schema, partition_by)
        spec = FileSpec(ref.path, tuple(partition_by), tuple(f.name for f in schema if not f.nullable),
                        StatsColumns.from_properties(properties), tally, storage=self.storage)
        ordered = df.sortWithinPartitions(*partition_by) if partition_by else df
        try:
            rows = ordered.mapInArrow(partial(write_files, spec), FILES_SCHEMA).collect()
        except PythonException as exc:
            found = re.search(r"SchemaMismatch: (.+)", str(exc))
            if found:
                raise SchemaMismatch(f"{ref}: {found.group(1)}") from exc
            raise
        return [NewFile(r.path, r.size, json.loads(r.partition_values), r.stats, json.loads(r.tally)) for r in rows]


def _relative(path: str, prefixes: tuple[str, ...]) -> str:
    """A path delta-rs reported (table-relative, or under one of the table's URIs) relative to the table."""
    return next((path[len(p):] for p in prefixes if path.startswith(p)), path)


def _check_partition_types(ref: TableRef, schema: StructType, partition_by: list[str]) -> None:
    wrong = [f"{c} ({schema[c].dataType.simpleString()})" for c in partition_by if not partitions.supported(schema[c].dataType)]
    if wrong:
        raise LakeError(f"{ref}: unsupported partition column type: {', '.join(wrong)} (use string, date, integer or boolean)")
