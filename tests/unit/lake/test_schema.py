"""Schema conformance shared by both backends, on tiny DataFrames (no Spark job runs)."""
from __future__ import annotations

import pytest
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

from shoplake.lake import SchemaMismatch
from shoplake.lake.schema import conform, nullable, require_columns

TABLE = StructType([StructField("id", LongType(), False), StructField("name", StringType()), StructField("amount", DoubleType())])


def test_conform_reorders_columns_to_the_table(spark):
    df = spark.createDataFrame([(1.0, "a", 1)], "amount double, name string, id bigint")
    conformed, new = conform(df, TABLE, "silver.t", evolve=False)
    assert conformed.columns == ["id", "name", "amount"] and new == []


def test_conform_names_missing_mistyped_and_extra_columns(spark):
    df = spark.createDataFrame([(1, 2.0, "x")], "id int, amount double, coupon string").drop("amount")
    with pytest.raises(SchemaMismatch) as error:
        conform(df, TABLE, "silver.t", evolve=False)
    message = str(error.value)
    assert "silver.t" in message and "missing columns: name, amount" in message
    assert "id (int in the data, bigint in the table)" in message
    assert "columns not in the table: coupon" in message


def test_conform_with_evolution_returns_new_nullable_fields(spark):
    df = spark.createDataFrame([(1, "a", 1.0, "x")], "id bigint, name string, amount double, coupon string")
    conformed, new = conform(df, TABLE, "silver.t", evolve=True)
    assert conformed.columns == ["id", "name", "amount", "coupon"]
    assert [(f.name, f.dataType.simpleString(), f.nullable) for f in new] == [("coupon", "string", True)]


def test_conform_rejects_duplicate_columns(spark):
    df = spark.createDataFrame([(1, "a", 1.0)], "id bigint, name string, amount double").selectExpr("id", "name", "amount", "name")
    with pytest.raises(SchemaMismatch, match="duplicate columns in the data: name"):
        conform(df, TABLE, "silver.t", evolve=False)


def test_nullable_and_require_columns():
    assert all(f.nullable for f in nullable(TABLE))
    with pytest.raises(SchemaMismatch, match="merge keys not in the data: order_id"):
        require_columns(TABLE, ["id", "order_id"], "merge keys", "silver.t")
