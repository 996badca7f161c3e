"""The executor-side file writer and partition encoding of the delta-rs backend, on plain Arrow data."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shoplake.lake import SchemaMismatch
from shoplake.lake.deltars import partitions
from shoplake.lake.deltars.files import FileSpec, write_files
from shoplake.lake.deltars.stats import STRING_PREFIX, FileStats, StatsColumns
from shoplake.lake.properties import creation_properties


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


def _stats_of(batch: pa.RecordBatch, columns: StatsColumns = StatsColumns()) -> dict:
    stats = FileStats(batch.schema, columns)
    stats.add(batch)
    return json.loads(stats.to_json())


def test_string_bytes_that_are_not_utf8_leave_the_column_unbounded(tmp_path):
    bad = pa.array([b"caf\xe9", b"ok"], pa.binary()).view(pa.string())
    batch = pa.RecordBatch.from_arrays([bad, pa.array([1, 2])], ["text", "n"])
    (row,) = pa.Table.from_batches(list(write_files(FileSpec(str(tmp_path), (), ()), iter([batch])))).to_pylist()
    stats = json.loads(row["stats"])
    assert stats["minValues"] == {"n": 1} and stats["maxValues"] == {"n": 2}
    assert stats["nullCount"] == {"text": 0, "n": 0}


def test_bounds_that_cannot_be_exact_are_left_out():
    batch = pa.RecordBatch.from_pydict({
        "nan": [1.0, float("nan")], "inf": [1.0, float("inf")], "fine": [0.5, None],
        "wide": pa.array([Decimal("12345678901234567.89"), Decimal("1.00")], pa.decimal128(20, 2)),
        "raw": [b"x", None], "tags": [["a"], None],
    })
    stats = _stats_of(batch)
    assert stats["minValues"] == {"fine": 0.5, "wide": 1.0} and stats["maxValues"] == {"fine": 0.5}
    assert stats["nullCount"] == {"nan": 0, "inf": 0, "fine": 1, "wide": 0, "raw": 1, "tags": 1}


def test_timestamps_are_utc_milliseconds_and_nested_fields_are_nested():
    batch = pa.RecordBatch.from_pydict({
        "at": pa.array([datetime(2024, 1, 2, 3, 4, 5, 678999), datetime(1, 1, 1)], pa.timestamp("us", "UTC")),
        "local": pa.array([datetime(2024, 1, 2, 3, 4, 5, 6000)], pa.timestamp("us")).take([0, 0]),
        "who": pa.array([{"id": 1, "name": "a"}, None]),
    })
    stats = _stats_of(batch)
    assert stats["minValues"] == {"at": "0001-01-01T00:00:00.000Z", "local": "2024-01-02T03:04:05.006", "who": {"id": 1, "name": "a"}}
    assert stats["maxValues"]["at"] == "2024-01-02T03:04:05.678Z"
    assert stats["nullCount"]["who"] == {"id": 1, "name": 1}


def test_which_columns_get_statistics_follows_the_table_properties():
    batch = pa.RecordBatch.from_pydict({"a": [1], "b": [2], "s": [{"x": 3, "y": 4}]})
    listed = StatsColumns.from_properties({"delta.dataSkippingStatsColumns": "a, s.y"})
    assert _stats_of(batch, listed)["nullCount"] == {"a": 0, "s": {"y": 0}}
    limited = StatsColumns.from_properties({"delta.dataSkippingNumIndexedCols": "3"})
    assert _stats_of(batch, limited)["nullCount"] == {"a": 0, "b": 0, "s": {"x": 0}}
    assert _stats_of(batch, StatsColumns.from_properties({"delta.dataSkippingNumIndexedCols": "-1"}))["minValues"]["s"] == {"x": 3, "y": 4}


def test_tables_with_person_ids_list_only_the_other_columns_for_statistics():
    from pyspark.sql.types import ArrayType, BinaryType, DateType, DoubleType, IntegerType, StringType, StructField, StructType

    def struct(**fields):
        return StructType([StructField(name, kind) for name, kind in fields.items()])

    schema = struct(user_id=StringType(), day=DateType(), amount=DoubleType(), raw=BinaryType(), tags=ArrayType(StringType()),
                    who=struct(customer_id=StringType(), n=IntegerType()))
    # a nested field of that name is not the person id column; binary and arrays cannot be listed
    assert creation_properties(schema, ["day"], ["user_id", "customer_id"]) == {"delta.dataSkippingStatsColumns": "amount,who.customer_id,who.n"}
    assert creation_properties(struct(n=IntegerType()), [], ["user_id"]) == {}
