"""The lake API on real Delta tables in a temp dir, for each backend (delta-spark skips without its jars)."""
from __future__ import annotations

import time
from datetime import date, datetime, timezone

import pytest
from tests.integration.lake_support import events, lake, rows  # noqa: F401  (lake is a fixture)
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, LongType, StringType, StructField, StructType

from shoplake.lake import (
    InvalidTableName,
    LakeError,
    NotADeltaTable,
    SchemaMismatch,
    TableExists,
    TableNotFound,
    VersionNotFound,
)

D1, D2, D3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)


def test_create_exists_version_and_schema(lake):
    schema = StructType([StructField("id", LongType()), StructField("day", DateType())])
    assert not lake.exists("silver.things")
    assert lake.create("silver.things", schema, partition_by=["day"]) == 0
    assert lake.exists("silver.things")
    assert lake.version("silver.things") == 0
    assert lake.schema("silver.things").simpleString() == "struct<id:bigint,day:date>"
    assert lake.read("silver.things").count() == 0
    with pytest.raises(TableExists, match="silver.things"):
        lake.create("silver.things", schema)
    assert lake.create("silver.things", schema, exist_ok=True) == 0
    assert lake.path("silver.things") == f"{lake.root}/silver/things"


def test_append_creates_the_table_and_each_append_is_one_version(lake, spark):
    assert lake.append(events(spark, [1, 2]), "bronze.events", partition_by=["day"]) == 0
    assert lake.append(events(spark, [3], day=D2), "bronze.events") == 1
    assert rows(lake.read("bronze.events"), "id", "day") == [(1, D1), (2, D1), (3, D2)]
    assert rows(lake.read("bronze.events", version=0), "id") == [(1,), (2,)]
    assert lake.read("bronze.events").columns == ["id", "user", "day", "amount"]


def test_read_prunes_partitions_before_reading(lake, spark):
    lake.append(events(spark, [1, 2], day=D1).union(events(spark, [3], day=D2)), "bronze.events", partition_by=["day"])
    lake.append(events(spark, [4], day=D3), "bronze.events")
    one_day = lake.read("bronze.events", partitions={"day": "2024-01-02"})
    assert rows(one_day, "id") == [(3,)]
    assert rows(lake.read("bronze.events", partitions={"day": [D1, D3]}), "id") == [(1,), (2,), (4,)]
    if lake.backend == "delta-rs":  # the scan itself only lists the wanted partition's files
        assert one_day.inputFiles() and all("/day=2024-01-02/" in f for f in one_day.inputFiles())
    with pytest.raises(LakeError, match="not partition columns"):
        lake.read("bronze.events", partitions={"user": "u1"})


def test_overwrite_replaces_the_table_or_only_the_partitions_in_the_data(lake, spark):
    lake.append(events(spark, [1, 2]).union(events(spark, [3], day=D2)), "silver.events", partition_by=["day"])
    assert lake.overwrite(events(spark, [10, 11]), "silver.events", dynamic_partitions=True) == 1
    assert rows(lake.read("silver.events"), "id", "day") == [(3, D2), (10, D1), (11, D1)]
    assert lake.overwrite(events(spark, [7], day=D3), "silver.events") == 2
    assert rows(lake.read("silver.events"), "id", "day") == [(7, D3)]
    assert rows(lake.read("silver.events", version=0), "id") == [(1,), (2,), (3,)]


def test_merge_upserts_latest_wins_and_deletes(lake, spark):
    target = spark.createDataFrame(
        [(1, "a", 10), (2, "b", 10), (3, "c", 10), (4, "d", 10), (4, "older", 9)], "id long, status string, updated long"
    )
    assert lake.merge(target, "silver.orders", keys=["id"], order_by="updated") == 0  # creates the table
    assert rows(lake.read("silver.orders"), "id", "status") == [(1, "a"), (2, "b"), (3, "c"), (4, "d")]
    source = spark.createDataFrame(
        [
            (1, "paid", 20),  # newer: replaces
            (1, "placed", 15),  # older duplicate in the source: loses to the row above
            (2, "stale", 5),  # older than the table row: ignored
            (3, "deleted", 30),  # newer and flagged: deletes
            (5, "new", 1),  # new key: inserted
            (6, "deleted", 1),  # new key but flagged: not inserted
        ],
        "id long, status string, updated long",
    )
    version = lake.merge(source, "silver.orders", keys=["id"], order_by="updated", delete_when="status = 'deleted'")
    assert version == 1
    assert rows(lake.read("silver.orders")) == [(1, "paid", 20), (2, "b", 10), (4, "d", 10), (5, "new", 1)]
    assert lake.history("silver.orders", limit=1)[0].operation == "MERGE"


def test_merge_rewrites_only_the_files_holding_matched_keys(lake, spark):
    lake.append(events(spark, [1, 2]).union(events(spark, [3], day=D2)), "silver.events", partition_by=["day"])
    untouched = {f for f in lake.read("silver.events").inputFiles() if "day=2024-01-02" in f}
    lake.merge(events(spark, [1], amount=9.0), "silver.events", keys=["id"])
    assert rows(lake.read("silver.events"), "id", "amount") == [(1, 9.0), (2, 1.0), (3, 1.0)]
    assert untouched <= set(lake.read("silver.events").inputFiles())


def test_merge_rejects_duplicate_keys_without_order_by_and_unknown_keys(lake, spark):
    lake.append(events(spark, [1]), "silver.events")
    with pytest.raises(LakeError, match=r"several rows for key \{'id': 2\}"):
        lake.merge(events(spark, [2, 2]), "silver.events", keys=["id"])
    with pytest.raises(SchemaMismatch, match="order_id"):
        lake.merge(events(spark, [2]), "silver.events", keys=["order_id"])
    with pytest.raises(LakeError, match="delete_when"):
        lake.merge(events(spark, [2]), "silver.events", keys=["id"], delete_when="no_such_column = 1")
    assert lake.version("silver.events") == 0


def test_delete_removes_matching_rows_in_one_commit(lake, spark):
    lake.append(events(spark, [1, 2]).union(events(spark, [3], day=D2)), "silver.events", partition_by=["day"])
    assert lake.delete("silver.events", "id >= 2") == 1
    assert rows(lake.read("silver.events"), "id") == [(1,)]
    assert rows(lake.read("silver.events", version=0), "id") == [(1,), (2,), (3,)]
    with pytest.raises(LakeError, match="delete condition"):
        lake.delete("silver.events", "nope > 1")
    history = lake.history("silver.events")
    assert [(c.version, c.operation) for c in history] == [(1, "DELETE"), (0, "WRITE")]
    assert history[0].timestamp >= history[1].timestamp
    assert [c.version for c in lake.history("silver.events", limit=1)] == [1]


def test_time_travel_by_timestamp_and_missing_versions(lake, spark):
    lake.append(events(spark, [1]), "bronze.events")
    time.sleep(0.2)
    between = datetime.now(timezone.utc)
    time.sleep(0.2)
    lake.append(events(spark, [2]), "bronze.events")
    assert rows(lake.read("bronze.events", timestamp=between), "id") == [(1,)]
    assert rows(lake.read("bronze.events", timestamp=between.isoformat()), "id") == [(1,)]
    with pytest.raises(VersionNotFound):
        lake.read("bronze.events", version=7)
    with pytest.raises(VersionNotFound):
        lake.read("bronze.events", timestamp=datetime(2000, 1, 1, tzinfo=timezone.utc))
    with pytest.raises(LakeError, match="not both"):
        lake.read("bronze.events", version=0, timestamp=between)


def test_optimize_compacts_small_files_without_changing_rows(lake, spark):
    for ids in ([1, 2], [3], [4]):
        lake.append(events(spark, ids).coalesce(1), "silver.events", partition_by=["day"])
    before = lake.read("silver.events").inputFiles()
    assert lake.optimize("silver.events") == 3
    assert len(lake.read("silver.events").inputFiles()) == 1 < len(before)
    assert rows(lake.read("silver.events"), "id") == [(1,), (2,), (3,), (4,)]
    assert lake.history("silver.events", limit=1)[0].operation == "OPTIMIZE"
    assert lake.optimize("silver.events") == 3  # nothing left to compact


def test_vacuum_refuses_short_retention_then_deletes_unreferenced_files(lake, spark):
    lake.append(events(spark, [1]).coalesce(1), "silver.events")
    old = set(lake.read("silver.events").inputFiles())
    lake.overwrite(events(spark, [2]).coalesce(1), "silver.events")
    with pytest.raises(LakeError, match="enforce_retention=False"):
        lake.vacuum("silver.events", 0)
    assert len(lake.vacuum("silver.events", 0, enforce_retention=False, dry_run=True)) == 1
    deleted = lake.vacuum("silver.events", 0, enforce_retention=False)
    assert len(deleted) == 1 and any(f.endswith(deleted[0].split("/")[-1]) for f in old)
    assert rows(lake.read("silver.events"), "id") == [(2,)]
    assert lake.vacuum("silver.events", 0, enforce_retention=False) == []


def test_schema_mismatch_is_rejected_naming_the_columns(lake, spark):
    lake.append(events(spark, [1]), "silver.events")
    wrong_type = events(spark, [2]).withColumn("amount", F.col("amount").cast("string"))
    with pytest.raises(SchemaMismatch, match=r"amount \(string in the data, double in the table\)"):
        lake.append(wrong_type, "silver.events")
    with pytest.raises(SchemaMismatch, match="missing columns: user"):
        lake.append(events(spark, [2]).drop("user"), "silver.events")
    with pytest.raises(SchemaMismatch, match="columns not in the table: coupon .*evolve_schema=True"):
        lake.append(events(spark, [2]).withColumn("coupon", F.lit("X")), "silver.events")
    assert lake.version("silver.events") == 0


def test_evolve_schema_adds_nullable_columns(lake, spark):
    lake.append(events(spark, [1]), "silver.events")
    lake.append(events(spark, [2]).withColumn("coupon", F.lit("X")), "silver.events", evolve_schema=True)
    assert lake.schema("silver.events")["coupon"].nullable
    assert rows(lake.read("silver.events"), "id", "coupon") == [(1, None), (2, "X")]


def test_not_null_columns_reject_null_values(lake, spark):
    schema = StructType([StructField("id", LongType(), nullable=False), StructField("name", StringType())])
    lake.create("silver.people", schema)
    with pytest.raises(SchemaMismatch, match="id"):
        lake.append(spark.createDataFrame([(None, "x")], "id long, name string"), "silver.people")
    assert lake.version("silver.people") == 0
    assert lake.read("silver.people").count() == 0


def test_exactly_once_writes_with_an_application_transaction(lake, spark):
    assert lake.append(events(spark, [1]), "bronze.events", txn_app_id="ingest", txn_version=1) == 0
    assert lake.append(events(spark, [1]), "bronze.events", txn_app_id="ingest", txn_version=1) == 0
    assert lake.append(events(spark, [2]), "bronze.events", txn_app_id="ingest", txn_version=2) == 1
    assert lake.append(events(spark, [1]), "bronze.events", txn_app_id="ingest", txn_version=1) == 1
    assert lake.merge(events(spark, [3]), "bronze.events", keys=["id"], txn_app_id="upsert", txn_version=0) == 2
    assert lake.merge(events(spark, [3]), "bronze.events", keys=["id"], txn_app_id="upsert", txn_version=0) == 2
    assert rows(lake.read("bronze.events"), "id") == [(1,), (2,), (3,)]
    with pytest.raises(LakeError, match="both txn_app_id and txn_version"):
        lake.append(events(spark, [4]), "bronze.events", txn_app_id="ingest")


@pytest.mark.parametrize("name", ["events", "bronze.Events", "nope.events", "bronze.events.x", "bronze.1x"])
def test_bad_table_names_are_rejected(lake, name):
    with pytest.raises(InvalidTableName, match="table name"):
        lake.exists(name)


def test_missing_tables_and_foreign_directories(lake, spark):
    for call in (lambda: lake.read("gold.nothing"), lambda: lake.version("gold.nothing"),
                 lambda: lake.history("gold.nothing"), lambda: lake.delete("gold.nothing", "true")):
        with pytest.raises(TableNotFound, match="gold.nothing"):
            call()
    events(spark, [1]).write.parquet(lake.path("bronze.plain"))
    with pytest.raises(NotADeltaTable, match="no Delta transaction log"):
        lake.read("bronze.plain")
    with pytest.raises(NotADeltaTable):
        lake.append(events(spark, [1]), "bronze.plain")


def test_partitioning_must_match_the_table(lake, spark):
    lake.append(events(spark, [1]), "silver.events", partition_by=["day"])
    with pytest.raises(LakeError, match=r"partitioned by \['day'\], not \['user'\]"):
        lake.append(events(spark, [2]), "silver.events", partition_by=["user"])
    lake.append(events(spark, [3]), "silver.flat")
    with pytest.raises(LakeError, match="dynamic_partitions needs a partitioned table"):
        lake.overwrite(events(spark, [4]), "silver.flat", dynamic_partitions=True)
