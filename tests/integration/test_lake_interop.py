"""Lake tables are ordinary Delta tables: an independent reader (delta-kernel-rs) sees the same rows,
and the lake reads tables that another Delta writer (delta-rs's own ``write_deltalake``) laid out."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from pyspark.sql import functions as F

from tests.integration.lake_support import lake, rows  # noqa: F401  (lake is a fixture)

kernel = pytest.importorskip(
    "delta_kernel_rust_sharing_wrapper",
    reason="test-only dependency missing: pip install delta-kernel-rust-sharing-wrapper==0.3.3",
)

AWKWARD = ["a:b c", "x/y=z", "100%", "ünï", None, "#?*[]{}"]
SCHEMA = "id long, part string, day date, amount decimal(10,2), at timestamp"


def kernel_read(path: str) -> tuple[int, list[tuple]]:
    """(version, sorted rows) of the latest snapshot, read by delta-kernel-rs alone."""
    uri = f"file://{path}/"
    engine = kernel.PythonInterface(uri)
    snapshot = kernel.Table(uri).snapshot(engine)
    table = pa.Table.from_batches(kernel.ScanBuilder(snapshot).build().execute(engine))
    return snapshot.version(), sorted(_normal(r) for r in table.to_pylist())


def lake_read(lake, name: str) -> list[tuple]:
    return sorted(_normal(r.asDict()) for r in lake.read(name).collect())


def _normal(row: dict) -> tuple:
    """A row as comparable values: timestamps as epoch seconds (Spark gives local naive, the kernel UTC-aware)."""
    return tuple((v.timestamp() if isinstance(v, datetime) else v) for _, v in sorted(row.items()))


def _data(spark, ids, amount="1.50"):
    return spark.createDataFrame(
        [(i, AWKWARD[i % len(AWKWARD)], date(2024, 1, 1 + i % 3), Decimal(amount), datetime(2024, 5, 1, 12, 0, i % 60, 123456))
         for i in ids],
        SCHEMA,
    )


def test_an_independent_delta_reader_sees_the_same_rows(lake, spark):
    name = "silver.interop"
    lake.append(_data(spark, range(0, 12)), name, partition_by=["part", "day"])
    lake.append(_data(spark, range(12, 20)), name)
    lake.merge(_data(spark, [1, 2, 30], amount="9.99"), name, keys=["id"])
    assert kernel_read(lake.path(name)) == (2, lake_read(lake, name))
    lake.delete(name, "id % 4 = 0")
    lake.optimize(name)
    version, seen = kernel_read(lake.path(name))
    assert version == lake.version(name) == 4
    assert seen == lake_read(lake, name)
    assert len(seen) == 21 - 5  # 20 rows + 1 inserted, ids 0,4,8,12,16 deleted
    assert {r[-1] for r in seen} == set(AWKWARD)  # columns sorted by name: part is last


def test_reads_and_extends_a_table_laid_out_by_another_writer(lake, spark):
    path = lake.path("bronze.foreign")
    parts = ["ünï", "a b", None, "plain"]
    write_deltalake(path, pa.table({"id": pa.array(range(8), pa.int64()), "part": [parts[i % 4] for i in range(8)]}), partition_by=["part"])
    assert rows(lake.read("bronze.foreign")) == sorted((i, parts[i % 4]) for i in range(8))
    assert rows(lake.read("bronze.foreign", partitions={"part": "ünï"})) == [(0, "ünï"), (4, "ünï")]
    more = spark.createDataFrame([(8, "ünï"), (9, "new")], "id long, part string")
    lake.append(more, "bronze.foreign")
    lake.merge(spark.createDataFrame([(1, "a b")], "id long, part string").withColumn("id", F.lit(100).cast("long")), "bronze.foreign", keys=["id"])
    expected = sorted([(i, parts[i % 4]) for i in range(8)] + [(8, "ünï"), (9, "new"), (100, "a b")])
    assert rows(lake.read("bronze.foreign")) == expected
    assert kernel_read(path)[1] == expected


def test_file_statistics_let_other_engines_skip_files(lake, spark):
    lake.append(spark.range(1, 11).coalesce(1), "gold.numbers")
    lake.append(spark.range(101, 111).coalesce(1), "gold.numbers")
    table = DeltaTable(lake.path("gold.numbers"))
    assert table.count() == 20  # numRecords of every add action
    assert len(table.file_uris(file_pruning_predicate="id > 100")) == 1
    assert len(table.file_uris(file_pruning_predicate="id >= 10")) == 2
