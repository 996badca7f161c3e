"""Executor side of a write: turn Arrow batches into Parquet data files, one per partition and task.

:func:`write_files` runs inside Spark tasks (``DataFrame.mapInArrow``). It writes files under the
table directory (Hive-style partition directories, partition columns not stored in the files, as
Delta does) and yields one row per file: its table-relative path, size, partition values and Delta
statistics (:mod:`~shoplake.lake.deltars.stats`). Nothing is visible to readers until the driver
commits these files.
"""
from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyarrow import fs as pafs
from pyspark import TaskContext

from shoplake.lake.deltars import partitions
from shoplake.lake.deltars.stats import FileStats, StatsColumns
from shoplake.lake.errors import SchemaMismatch
from shoplake.lake.object_store import Storage

# One row per written file, as Spark (DDL) and Arrow see it.
FILES_SCHEMA = "path string, size long, partition_values string, stats string, tally string"
_FILES_ARROW = pa.schema([(name, pa.int64() if name == "size" else pa.string()) for name in ("path", "size", "partition_values", "stats", "tally")])


@dataclass(frozen=True)
class FileSpec:
    """What a task needs to write data files for one table (pickled to executors).

    ``tally`` names a string column that is not written: each file counts its rows by that column's values.
    ``storage`` says how to reach ``table_uri`` (local, or S3 with the driver's settings).
    """

    table_uri: str
    partition_columns: tuple[str, ...]
    not_null: tuple[str, ...]
    stats_columns: StatsColumns = StatsColumns()
    tally: str | None = None
    row_group_bytes: int = 64 * 1024 * 1024
    storage: Storage = field(default_factory=Storage)


def write_files(spec: FileSpec, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Write ``batches`` (sorted by partition columns) to Parquet files; yield one metadata row per file."""
    filesystem, root = spec.storage.filesystem(spec.table_uri)
    task = TaskContext.get().partitionId() if TaskContext.get() else 0
    written: list[dict] = []
    current: _DataFile | None = None
    data_columns = None
    for batch in batches:
        if batch.num_rows == 0:
            continue
        _check_not_null(batch, spec.not_null)
        data_columns = data_columns or [n for n in batch.schema.names if n not in (*spec.partition_columns, spec.tally)]
        for values, rows in _partition_runs(batch, spec.partition_columns):
            if current is None or current.partition != values:
                if current is not None:
                    written.append(current.close())
                current = _DataFile(filesystem, root, spec, values, task)
            current.add(rows.select(data_columns))
            if spec.tally:
                current.count(rows.column(spec.tally))
    if current is not None:
        written.append(current.close())
    yield pa.RecordBatch.from_pylist(written, schema=_FILES_ARROW)


def _check_not_null(batch: pa.RecordBatch, columns: tuple[str, ...]) -> None:
    nulls = [c for c in columns if batch.column(c).null_count]
    if nulls:
        raise SchemaMismatch(f"NOT NULL column(s) {', '.join(nulls)} hold null values")


def _partition_runs(batch: pa.RecordBatch, columns: tuple[str, ...]) -> Iterator[tuple[dict, pa.RecordBatch]]:
    """Split a batch into runs of equal partition values (input is sorted, so runs are long)."""
    if not columns:
        yield {}, batch
        return
    change = np.zeros(batch.num_rows - 1, dtype=bool)
    for name in columns:
        column = batch.column(name)
        head, tail = column.slice(0, len(column) - 1), column.slice(1)
        differs = pc.fill_null(pc.not_equal(head, tail), False)
        null_flip = pc.not_equal(pc.is_null(head), pc.is_null(tail))
        change |= pc.or_(differs, null_flip).to_numpy(zero_copy_only=False)
    starts = [0, *(np.flatnonzero(change) + 1).tolist()]
    for start, end in zip(starts, [*starts[1:], batch.num_rows]):
        first = {name: batch.column(name)[start].as_py() for name in columns}
        values = {name: None if v == "" else partitions.to_string(v) for name, v in first.items()}
        yield values, batch.slice(start, end - start)


class _DataFile:
    """One Parquet file being written; buffers batches into row groups of about ``row_group_bytes``."""

    def __init__(self, filesystem, root: str, spec: FileSpec, values: dict, task: int):
        directory = partitions.directory(list(spec.partition_columns), values)
        name = f"part-{task:05d}-{uuid.uuid4()}.c000.snappy.parquet"
        self.relative = f"{directory}/{name}" if directory else name
        self.partition = values
        self.filesystem, self.location = filesystem, f"{root}/{self.relative}"
        self.row_group_bytes = spec.row_group_bytes
        self.stats_columns = spec.stats_columns
        self.stats: FileStats | None = None
        self.tally: Counter[str] = Counter()
        self.buffer: list[pa.RecordBatch] = []
        self.buffered = 0
        self.writer: pq.ParquetWriter | None = None

    def add(self, batch: pa.RecordBatch) -> None:
        self.stats = self.stats or FileStats(batch.schema, self.stats_columns)
        self.stats.add(batch)
        self.buffer.append(batch)
        self.buffered += batch.nbytes
        if self.buffered >= self.row_group_bytes:
            self._flush()

    def count(self, origins: pa.Array) -> None:
        """Count the rows just added by their values in ``origins``."""
        for entry in pc.value_counts(origins).to_pylist():
            self.tally[entry["values"]] += entry["counts"]

    def _flush(self) -> None:
        if not self.buffer:
            return
        table = pa.Table.from_batches(self.buffer)
        if self.writer is None:
            if isinstance(self.filesystem, pafs.LocalFileSystem):  # an object store has no directories to make
                self.filesystem.create_dir(self.location.rsplit("/", 1)[0], recursive=True)
            self.writer = pq.ParquetWriter(self.location, table.schema, filesystem=self.filesystem, compression="snappy")
        self.writer.write_table(table, row_group_size=table.num_rows)
        self.buffer, self.buffered = [], 0

    def close(self) -> dict:
        self._flush()
        self.writer.close()
        size = self.filesystem.get_file_info(self.location).size
        return {"path": self.relative, "size": size, "partition_values": json.dumps(self.partition),
                "stats": self.stats.to_json(), "tally": json.dumps(self.tally)}
