"""The delta-rs backend: Spark reads and writes the data files, delta-rs owns the Delta log.

Writes run ``mapInArrow`` (:func:`~shoplake.lake.deltars.files.write_files` on the executors),
collect the small per-file metadata rows, and commit them from this process
(:func:`~shoplake.lake.deltars.commit.commit`). A Python ``DataSource`` writer would give the same
shape, but its ``commit()`` runs in a separate Python worker started by the JVM, from which the
committed version, a typed conflict error or an exactly-once no-op cannot reach the caller.
"""
from __future__ import annotations

import json
import math
import re
import time
from collections import defaultdict
from datetime import datetime, timezone
from functools import partial

from deltalake import CommitProperties, DeltaTable, Schema
from deltalake.exceptions import DeltaError
from deltalake.transaction import AddAction
from pyarrow import fs as pafs
from pyspark.errors import PythonException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from shoplake.lake.api import Lake
from shoplake.lake.model import Commit, TableRef, WriteRequest
from shoplake.lake.deltars import partitions
from shoplake.lake.deltars.commit import Change, commit, txn_done
from shoplake.lake.deltars.files import FILES_SCHEMA, FileSpec, write_files
from shoplake.lake.deltars.merge import files_with, matching_keys, merged_rows
from shoplake.lake.deltars.read import read_files
from shoplake.lake.deltars.snapshot import DataFile, Snapshot, load
from shoplake.lake.errors import LakeError, SchemaMismatch, TableExists
from shoplake.lake.merge_source import DELETE_FLAG, condition, persisted
from shoplake.lake.schema import nullable


class DeltaRsLake(Lake):
    """Executors write Parquet files (``mapInArrow``); the driver commits them with delta-rs, one transaction per call."""

    backend = "delta-rs"

    def _state(self, ref: TableRef) -> Snapshot | None:
        return load(ref.path)

    def _create(self, ref: TableRef, schema: StructType, partition_by: list[str]) -> int:
        _check_partition_types(ref, schema, partition_by)
        try:
            DeltaTable.create(
                ref.path, Schema.from_json(schema.json()), mode="error", partition_by=partition_by,
                commit_properties=CommitProperties(custom_metadata={"isBlindAppend": True, "shoplake.operation": "CREATE TABLE"}),
            )
        except DeltaError as exc:
            raise TableExists(f"{ref}: {exc}") from exc
        return 0

    def _history(self, ref: TableRef, limit: int | None) -> list[Commit]:
        return [
            Commit(
                version=c["version"],
                timestamp=datetime.fromtimestamp(c["timestamp"] / 1000, timezone.utc),
                operation=c.get("shoplake.operation") or c["operation"],
                parameters=c.get("shoplake.parameters") or c.get("operationParameters") or {},
            )
            for c in DeltaTable(ref.path).history(limit)
        ]

    def _read(self, ref: TableRef, version, timestamp, partitions: dict[str, list]) -> DataFrame:
        snapshot = load(ref.path, version, timestamp)
        return read_files(self.spark, snapshot, snapshot.files(partitions))

    def _write_data(self, ref: TableRef, state: Snapshot | None, request: WriteRequest) -> int:
        if txn_done(state, request.txn):
            return state.version
        schema = _target_schema(state, request)
        adds = self._write_files(ref, request.df, schema, request.partition_by)
        existing = state.all_files if state is not None else []
        if request.mode == "append":
            change = Change("WRITE", adds, parameters={"mode": "Append"}, blind_append=True)
        elif request.mode == "overwrite":
            change = Change("WRITE", adds, existing, parameters={"mode": "Overwrite"})
        else:
            replaced = [dict(p) for p in {tuple(a.partition_values.items()) for a in adds}]
            removes = [f for f in existing if f.partition in replaced]
            change = Change("WRITE", adds, removes, {"mode": "Overwrite", "partitions": replaced}, scope=replaced)
        return commit(ref.path, state, change, schema, request.partition_by, request.new_fields, request.txn)

    def _merge(self, ref: TableRef, state: Snapshot | None, request: WriteRequest, source: DataFrame, keys, order_by) -> int:
        if txn_done(state, request.txn):
            return state.version
        schema = _target_schema(state, request)
        if state is None:
            removes: list[DataFile] = []
            adds = self._write_files(ref, source.where(~F.col(DELETE_FLAG)).drop(DELETE_FLAG), schema, request.partition_by)
        else:
            target = read_files(self.spark, state, state.all_files, with_file=True)
            with persisted(matching_keys(target, source, keys)) as matches:  # at most the source's size
                removes = files_with(state, state.all_files, matches)
                rows = merged_rows(read_files(self.spark, state, removes), source, matches.select(*keys), keys, order_by, schema)
                adds = self._write_files(ref, rows, schema, request.partition_by)
        change = Change("MERGE", adds, removes, {"keys": keys, "order_by": order_by})
        return commit(ref.path, state, change, schema, request.partition_by, request.new_fields, request.txn)

    def _delete(self, ref: TableRef, state: Snapshot, condition_sql: str) -> int:
        target = read_files(self.spark, state, state.all_files, with_file=True)
        matches = condition(target, condition_sql, "delete condition", str(ref))
        removes = files_with(state, state.all_files, target.where(matches))
        if not removes:
            return state.version
        kept = read_files(self.spark, state, removes).where(~F.coalesce(matches, F.lit(False)))
        adds = self._write_files(ref, kept, state.schema, state.partition_columns)
        return commit(ref.path, state, Change("DELETE", adds, removes, {"condition": condition_sql}), state.schema, state.partition_columns)

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
        adds = self._write_files(ref, rows, state.schema, state.partition_columns, data_change=False)
        change = Change("OPTIMIZE", adds, small, {"files_removed": len(small), "files_added": len(adds)}, data_change=False)
        return commit(ref.path, state, change, state.schema, state.partition_columns)

    def _vacuum(self, ref: TableRef, hours: float, dry_run: bool, enforce: bool) -> list[str]:
        table = DeltaTable(ref.path)
        options = {"retention_hours": math.ceil(hours), "enforce_retention_duration": enforce, "full": True}
        try:
            # delta-rs also lists tombstoned files that an earlier vacuum already deleted: keep existing ones only.
            listed = [p.removeprefix(ref.path + "/") for p in table.vacuum(dry_run=True, **options)]
            filesystem, root = pafs.FileSystem.from_uri(ref.path)
            doomed = [p for p in listed if filesystem.get_file_info(f"{root}/{p}").type == pafs.FileType.File]
            if doomed and not dry_run:
                table.vacuum(dry_run=False, **options)
            return doomed
        except DeltaError as exc:
            if "retention" not in str(exc).lower():
                raise
            raise LakeError(
                f"{ref}: refusing to vacuum with {hours} hours of retention ({exc}); files that readers of older "
                "versions or writes in flight still need would be deleted. Pass enforce_retention=False to override."
            ) from exc

    def _write_files(self, ref: TableRef, df: DataFrame, schema: StructType, partition_by: list[str], data_change: bool = True) -> list[AddAction]:
        """Write ``df`` as data files under the table (on the executors); return their add actions."""
        _check_partition_types(ref, schema, partition_by)
        spec = FileSpec(ref.path, tuple(partition_by), tuple(f.name for f in schema if not f.nullable))
        ordered = df.sortWithinPartitions(*partition_by) if partition_by else df
        try:
            rows = ordered.mapInArrow(partial(write_files, spec), FILES_SCHEMA).collect()
        except PythonException as exc:
            found = re.search(r"SchemaMismatch: (.+)", str(exc))
            if found:
                raise SchemaMismatch(f"{ref}: {found.group(1)}") from exc
            raise
        now = int(time.time() * 1000)
        return [AddAction(r.path, r.size, json.loads(r.partition_values), now, data_change, r.stats) for r in rows]


def _target_schema(state: Snapshot | None, request: WriteRequest) -> StructType:
    """The table schema a write produces: the data's (nullable) for a new table, else the table's plus new columns."""
    if state is None:
        return nullable(request.df.schema)
    return StructType(state.schema.fields + request.new_fields)


def _check_partition_types(ref: TableRef, schema: StructType, partition_by: list[str]) -> None:
    wrong = [f"{c} ({schema[c].dataType.simpleString()})" for c in partition_by if not partitions.supported(schema[c].dataType)]
    if wrong:
        raise LakeError(f"{ref}: unsupported partition column type: {', '.join(wrong)} (use string, date, integer or boolean)")
