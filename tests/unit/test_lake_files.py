"""The executor-side file writer and partition encoding of the delta-rs backend, on plain Arrow data."""
from __future__ import annotations

import json
from datetime import date, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shoplake.lake import SchemaMismatch
from shoplake.lake.deltars import partitions
from shoplake.lake.deltars.files import STRING_PREFIX, FileSpec, write_files


def test_partition_values_as_log_strings():
    assert partitions.to_string(date(2024, 1, 31)) == "2024-01-31"
    assert partitions.to_string(7) == "7"
    assert partitions.to_string(True) == "true"
    assert partitions.to_string(None) is None
    assert partitions.to_string(datetime(2024, 1, 2, 3, 4, 5, 6)) == "2024-01-02 03:04:05.000006"
    with pytest.raises(TypeError):
        partitions.to_string(1.5)


def test_directories_escape_like_spark():
    assert partitions.escape("a:b c/d=e%f") == "a%3Ab c%2Fd%3De%25f"
    assert partitions.escape("ünï") == "ünï"
    assert partitions.directory(["day", "shop"], {"day": "2024-01-01", "shop": None}) == "day=2024-01-01/shop=__HIVE_DEFAULT_PARTITION__"
    assert partitions.directory([], {}) == ""


def _batches():
    return [
        pa.RecordBatch.from_pydict({"id": [1, 2, 3], "name": ["b", None, "a"], "day": [date(2024, 1, 1)] * 2 + [date(2024, 1, 2)]}),
        pa.RecordBatch.from_pydict({"id": [4], "name": ["z"], "day": [None]}, schema=pa.schema([("id", pa.int64()), ("name", pa.string()), ("day", pa.date32())])),
    ]


def test_write_files_splits_partitions_and_records_exact_stats(tmp_path):
    spec = FileSpec(str(tmp_path), ("day",), ())
    rows = pa.Table.from_batches(list(write_files(spec, iter(_batches())))).to_pylist()
    by_day = {json.loads(r["partition_values"])["day"]: r for r in rows}
    assert set(by_day) == {"2024-01-01", "2024-01-02", None}
    first = by_day["2024-01-01"]
    assert first["path"].startswith("day=2024-01-01/part-00000-") and first["path"].endswith(".c000.snappy.parquet")
    assert by_day[None]["path"].startswith("day=__HIVE_DEFAULT_PARTITION__/")
    data = pq.ParquetFile(tmp_path / first["path"]).read()
    assert data.column_names == ["id", "name"]  # partition columns live in the log, not the file
    assert data.to_pydict() == {"id": [1, 2], "name": ["b", None]}
    assert first["size"] == (tmp_path / first["path"]).stat().st_size
    assert json.loads(first["stats"]) == {
        "numRecords": 2, "minValues": {"id": 1, "name": "b"}, "maxValues": {"id": 2, "name": "b"}, "nullCount": {"id": 0, "name": 1}
    }


def test_write_files_without_partitions_buffers_row_groups(tmp_path):
    spec = FileSpec(str(tmp_path), (), (), row_group_bytes=1)
    rows = pa.Table.from_batches(list(write_files(spec, iter(_batches())))).to_pylist()
    assert len(rows) == 1 and "/" not in rows[0]["path"]
    parquet = pq.ParquetFile(tmp_path / rows[0]["path"])
    assert parquet.metadata.num_rows == 4 and parquet.metadata.num_row_groups == 2
    stats = json.loads(rows[0]["stats"])
    assert stats["minValues"] == {"id": 1, "name": "a", "day": "2024-01-01"}
    assert stats["maxValues"] == {"id": 4, "name": "z", "day": "2024-01-02"}


def test_long_strings_keep_a_prefix_as_min_and_no_max(tmp_path):
    """A raw record must not sit whole in the Delta log, where deletes and vacuum never reach."""
    first, second = (f'{{"order_id": "o-{n}", "email": "anna@example.com", "name": "Anna Berg"}}' for n in (1, 2))
    batch = pa.RecordBatch.from_pydict({"value": [second, first], "tag": ["a" * 32, "b"]})
    stats = json.loads(next(iter(write_files(FileSpec(str(tmp_path), (), ()), iter([batch])))).to_pylist()[0]["stats"])
    assert stats["minValues"] == {"value": first[:STRING_PREFIX], "tag": "a" * 32}  # a prefix is still a lower bound
    assert stats["maxValues"] == {"tag": "b"}  # the max record is longer than the prefix: no upper bound
    assert "@" not in json.dumps(stats)


def test_write_files_enforces_not_null_columns(tmp_path):
    spec = FileSpec(str(tmp_path), (), ("name",))
    with pytest.raises(SchemaMismatch, match="NOT NULL column.* name"):
        list(write_files(spec, iter(_batches())))
