"""A lake table read without Spark (``read_table_pandas``) holds the rows Spark reads: a partitioned table
written by each backend, with a null partition, at its latest and an older version."""
from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pytest
from pyspark.sql import functions as F
from tests.integration.lake_support import lake  # noqa: F401  (lake is a fixture)

from shoplake.lake import TableNotFound, VersionNotFound, read_table_arrow, read_table_pandas

NAME = "silver.readings"
SCHEMA = "id long, day date, at timestamp, tags array<string>, price double"
FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # the same text as Spark's yyyy-MM-dd HH:mm:ss.SSSSSS


def readings(spark, *ids_days):
    rows = [(i, day, datetime(2024, 1, 1, 10, 30, i, 250_000), [f"t{i}"] * (i % 3), i * 1.5) for i, day in ids_days]
    return spark.createDataFrame(rows, SCHEMA)


def spark_rows(df) -> list[tuple]:
    at = F.date_format("at", "yyyy-MM-dd HH:mm:ss.SSSSSS")  # in the session time zone, UTC
    return sorted(tuple(r) for r in df.select("id", "day", at, "tags", "price").collect())


def pandas_rows(frame) -> list[tuple]:
    return sorted((r.id, r.day, r.at.strftime(FORMAT), list(r.tags), r.price) for r in frame.itertuples())


def test_a_partitioned_table_reads_without_spark_as_spark_reads_it(lake, spark):
    d1, d2 = date(2024, 1, 1), date(2024, 1, 2)
    lake.append(readings(spark, (1, d1), (2, d1), (3, d2), (4, None)), NAME, partition_by=["day"])
    lake.merge(readings(spark, (2, d2), (5, d2)).withColumn("price", F.lit(9.0)), NAME, keys=["id"])

    for version in (None, 0):
        expected = spark_rows(lake.read(NAME, version=version))
        frame = read_table_pandas(lake.root, NAME, version)
        assert list(frame.columns) == lake.read(NAME).columns
        assert pandas_rows(frame) == expected
    assert len(expected) == 4 and (4, None) in [r[:2] for r in expected]  # version 0, with its null partition
    assert [r[:2] for r in pandas_rows(read_table_pandas(lake.root, NAME))] == [
        (1, d1), (2, d2), (3, d2), (4, None), (5, d2)]
    assert read_table_arrow(lake.root, NAME).schema.field("day").type == pa.date32()


def test_a_missing_table_or_version_is_named(lake, spark):
    lake.append(readings(spark, (1, date(2024, 1, 1))), NAME, partition_by=["day"])
    with pytest.raises(VersionNotFound, match="no version 3"):
        read_table_pandas(lake.root, NAME, version=3)
    with pytest.raises(TableNotFound, match="silver.nothing"):
        read_table_pandas(lake.root, "silver.nothing")
