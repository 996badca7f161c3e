"""Executor side of a write: turn Arrow batches into Parquet data files, one per partition and task.

:func:`write_files` runs inside Spark tasks (``DataFrame.mapInArrow``). It writes files under the
table directory (Hive-style partition directories, partition columns not stored in the files, as
Delta does) and yields one row per file: its table-relative path, size, partition values and Delta
statistics. Nothing is visible to readers until the driver commits these files.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyarrow import fs as pafs
from pyspark import TaskContext

from shoplake.lake.deltars import partitions
from shoplake.lake.errors import SchemaMismatch

# One row per written file, as Spark (DDL) and Arrow see it.
FILES_SCHEMA = "path string, size long, partition_values string, stats string"
_FILES_ARROW = pa.schema([("path", pa.string()), ("size", pa.int64()), ("partition_values", pa.string()), ("stats", pa.string())])
_MIN_MAX_TYPES = (pa.types.is_integer, pa.types.is_string, pa.types.is_large_string, pa.types.is_date32)
# Delta's dataSkippingStringPrefixLength: string bounds keep at most this many characters, so raw
# records (bronze text, PII) never end up whole in the log, where deletes and vacuum cannot reach.
STRING_PREFIX = 32


@dataclass(frozen=True)
class FileSpec:
    """What a task needs to write data files for one table (pickled to executors)."""

    table_uri: str
    partition_columns: tuple[str, ...]
    not_null: tuple[str, ...]
    row_group_bytes: int = 64 * 1024 * 1024


def write_files(spec: FileSpec, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Write ``batches`` (sorted by partition columns) to Parquet files; yield one metadata row per file."""
    filesystem, root = pafs.FileSystem.from_uri(spec.table_uri)
    task = TaskContext.get().partitionId() if TaskContext.get() else 0
    written: list[dict] = []
    current: _DataFile | None = None
    data_columns = None
    for batch in batches:
        if batch.num_rows == 0:
            continue
        _check_not_null(batch, spec.not_null)
        data_columns = data_columns or [n for n in batch.schema.names if n not in spec.partition_columns]
        for values, rows in _partition_runs(batch, spec.partition_columns):
            if current is None or current.partition != values:
                if current is not None:
                    written.append(current.close())
                current = _DataFile(filesystem, root, spec, values, task)
            current.add(rows.select(data_columns))
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
        self.buffer: list[pa.RecordBatch] = []
        self.buffered = 0
        self.writer: pq.ParquetWriter | None = None

    def add(self, batch: pa.RecordBatch) -> None:
        self.buffer.append(batch)
        self.buffered += batch.nbytes
        if self.buffered >= self.row_group_bytes:
            self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        table = pa.Table.from_batches(self.buffer)
        if self.writer is None:
            self.filesystem.create_dir(self.location.rsplit("/", 1)[0], recursive=True)
            self.writer = pq.ParquetWriter(self.location, table.schema, filesystem=self.filesystem, compression="snappy")
        self.writer.write_table(table, row_group_size=table.num_rows)
        self.buffer, self.buffered = [], 0

    def close(self) -> dict:
        self._flush()
        self.writer.close()
        size = self.filesystem.get_file_info(self.location).size
        stats = _stats(self.writer.writer.metadata)
        return {"path": self.relative, "size": size, "partition_values": json.dumps(self.partition), "stats": stats}


def _stats(metadata: pq.FileMetaData) -> str:
    """Delta ``stats`` JSON from Parquet footer statistics: row count, null counts, min/max where exact.

    A string's min is cut to its first ``STRING_PREFIX`` characters (still a lower bound); a max
    longer than that is left out (no upper bound), so the log never holds a long value whole.
    """
    schema = metadata.schema.to_arrow_schema()
    stats: dict = {"numRecords": metadata.num_rows, "minValues": {}, "maxValues": {}, "nullCount": {}}
    top_level = {metadata.schema.column(i).path: i for i in range(metadata.num_columns)}
    for field in schema:
        index = top_level.get(field.name)
        if index is None:  # nested columns: no statistics
            continue
        chunks = [metadata.row_group(g).column(index).statistics for g in range(metadata.num_row_groups)]
        if not chunks or any(s is None for s in chunks):
            continue
        if all(s.has_null_count for s in chunks):
            stats["nullCount"][field.name] = sum(s.null_count for s in chunks)
        bounded = [s for s in chunks if s.has_min_max]
        exact = any(check(field.type) for check in _MIN_MAX_TYPES)
        if exact and bounded and len(bounded) == len([s for s in chunks if s.num_values]):
            low, high = min(s.min for s in bounded), max(s.max for s in bounded)
            if isinstance(low, str):
                low = low[:STRING_PREFIX]
            stats["minValues"][field.name] = low.isoformat() if hasattr(low, "isoformat") else low
            if not (isinstance(high, str) and len(high) > STRING_PREFIX):
                stats["maxValues"][field.name] = high.isoformat() if hasattr(high, "isoformat") else high
    return json.dumps(stats)
