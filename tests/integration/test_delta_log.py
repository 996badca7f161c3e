"""The Delta log the delta-rs backend writes, read as files: statistics per type, no person ids in
min/max, Delta's operation names and metrics, checkpoints and log cleanup, orphan files vacuumed."""
from __future__ import annotations

import dataclasses
import json
import os
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from shoplake.lake import VersionNotFound, open_lake
from shoplake.lake.deltars.files import FileSpec, write_files
from tests.integration.lake_support import events, rows


@pytest.fixture
def rs_lake(spark, settings, tmp_path):
    """A delta-rs lake under ``tmp_path`` with the configured identity columns."""
    lake_settings = dataclasses.replace(settings.lake, root=str(tmp_path / "lake"), backend="delta-rs")
    return open_lake(spark, dataclasses.replace(settings, lake=lake_settings))


def log_actions(lake, table: str, version: int) -> list[dict]:
    text = Path(lake.path(table), "_delta_log", f"{version:020d}.json").read_text()
    return [json.loads(line) for line in text.splitlines()]


def added_stats(lake, table: str, version: int) -> list[dict]:
    return [json.loads(a["add"]["stats"]) for a in log_actions(lake, table, version) if "add" in a]


def commit_info(lake, table: str, version: int) -> dict:
    return next(a["commitInfo"] for a in log_actions(lake, table, version) if "commitInfo" in a)


TYPED = "id long, n int, price double, amount decimal(10,2), day date, at timestamp, ok boolean, name string, raw binary"


def test_every_type_gets_statistics_in_deltas_formats(rs_lake, spark):
    data = spark.createDataFrame(
        [
            (1, 7, 2.5, Decimal("9.99"), date(2024, 1, 2), datetime(2024, 5, 1, 12, 0, 1, 123456, tzinfo=timezone.utc), True, "b", b"x"),
            (2, -3, -1.25, Decimal("-1.10"), date(1970, 1, 1), datetime(1, 1, 1, tzinfo=timezone.utc), False, "a", None),
            (3, None, None, None, None, None, None, None, None),
        ],
        TYPED,
    ).coalesce(1)
    rs_lake.append(data, "silver.typed")
    (stats,) = added_stats(rs_lake, "silver.typed", 0)
    assert stats["numRecords"] == 3
    assert stats["minValues"] == {"id": 1, "n": -3, "price": -1.25, "amount": -1.1, "day": "1970-01-01",
                                  "at": "0001-01-01T00:00:00.000Z", "ok": False, "name": "a"}
    assert stats["maxValues"] == {"id": 3, "n": 7, "price": 2.5, "amount": 9.99, "day": "2024-01-02",
                                  "at": "2024-05-01T12:00:01.123Z", "ok": True, "name": "b"}
    assert stats["nullCount"] == {"id": 0, "n": 1, "price": 1, "amount": 1, "day": 1, "at": 1, "ok": 1, "name": 1, "raw": 2}
    # delta-rs reads those statistics and skips files by time with them
    table = DeltaTable(rs_lake.path("silver.typed"))
    assert len(table.file_uris(file_pruning_predicate="at > '2024-06-01T00:00:00Z'")) == 0
    assert len(table.file_uris(file_pruning_predicate="at > '2024-04-01T00:00:00Z'")) == 1


def test_only_the_first_32_columns_are_indexed_and_long_strings_are_cut(rs_lake, spark):
    wide = spark.range(1).selectExpr(*[f"id + {i} AS c{i:02d}" for i in range(34)], "repeat('x', 40) AS long_text")
    rs_lake.append(wide, "gold.wide")
    (stats,) = added_stats(rs_lake, "gold.wide", 0)
    assert sorted(stats["nullCount"]) == [f"c{i:02d}" for i in range(32)]
    rs_lake.append(spark.createDataFrame([("y" * 40, 1)], "text string, n int"), "gold.texts")
    (stats,) = added_stats(rs_lake, "gold.texts", 0)
    assert stats["minValues"] == {"text": "y" * 32, "n": 1} and stats["maxValues"] == {"n": 1}


def test_person_ids_never_reach_min_max_in_any_commit(rs_lake, spark):
    secret = "pseudonym-of-the-erased-customer"
    people = spark.createDataFrame([(secret, 1, date(2024, 1, 1)), ("other-person", 2, date(2024, 1, 2))],
                                   "user_id string, n int, day date")
    table = "silver.people"
    rs_lake.append(people, table, partition_by=["day"])
    rs_lake.merge(people.limit(1), table, keys=["user_id"], delete_when="true")  # the way an erasure deletes
    rs_lake.delete(table, "n = 2")
    metadata = next(a["metaData"] for a in log_actions(rs_lake, table, 0) if "metaData" in a)
    assert metadata["configuration"] == {"delta.dataSkippingStatsColumns": "n"}
    for version in range(3):
        for stats in added_stats(rs_lake, table, version):
            assert "user_id" not in stats["minValues"] and "user_id" not in stats["maxValues"]
    log_text = "".join(p.read_text() for p in Path(rs_lake.path(table), "_delta_log").glob("*.json"))
    assert secret not in log_text
    assert [c.operation for c in rs_lake.history(table)] == ["DELETE", "MERGE", "WRITE"]
    rs_lake.append(spark.createDataFrame([(5, 1.0)], "n long, x double"), "gold.plain")  # no person id: no property
    assert rs_lake.history("gold.plain")[0].operation == "WRITE"
    assert next(a["metaData"] for a in log_actions(rs_lake, "gold.plain", 0) if "metaData" in a)["configuration"] == {}


def test_each_call_is_committed_under_deltas_operation_name_with_metrics(rs_lake, spark):
    table = "silver.ops"
    assert rs_lake.create(table, events(spark, []).schema, partition_by=["day"]) == 0
    rs_lake.append(events(spark, [1, 2, 3]).coalesce(1), table)
    rs_lake.overwrite(events(spark, [1, 2, 3, 4]).coalesce(1), table, dynamic_partitions=True)
    source = spark.createDataFrame([(1, "u1", date(2024, 1, 1), 5.0), (2, "u2", date(2024, 1, 1), -1.0), (9, "u9", date(2024, 1, 1), 5.0)],
                                   "id long, user string, day date, amount double")
    rs_lake.merge(source, table, keys=["id"], delete_when="amount < 0")
    rs_lake.delete(table, "id = 3")
    rs_lake.append(events(spark, [20]).coalesce(1), table)
    files = len(rs_lake.read(table).inputFiles())
    rs_lake.optimize(table)
    infos = [commit_info(rs_lake, table, v) for v in range(7)]
    assert [i["operation"] for i in infos] == ["CREATE TABLE", "WRITE", "WRITE", "MERGE", "DELETE", "WRITE", "OPTIMIZE"]
    assert infos[0]["operationParameters"]["partitionBy"] == '["day"]'
    assert infos[1]["operationParameters"] == {"mode": "Append", "partitionBy": '["day"]'}
    assert infos[1]["isBlindAppend"] is True and infos[1]["readVersion"] == 0
    assert infos[1]["operationMetrics"] == {"numFiles": "1", "numOutputRows": "3", "numOutputBytes": infos[1]["operationMetrics"]["numOutputBytes"]}
    assert infos[2]["operationParameters"]["dynamicPartitionOverwrite"] == "true"
    assert infos[2]["operationMetrics"]["numRemovedFiles"] == "1"
    merge = infos[3]
    assert json.loads(merge["operationParameters"]["predicate"]) == ["t.`id` = s.`id`"]
    assert [c["actionType"] for c in json.loads(merge["operationParameters"]["matchedPredicates"])] == ["delete", "update"]
    assert {k: merge["operationMetrics"][k] for k in ("numTargetRowsInserted", "numTargetRowsUpdated", "numTargetRowsDeleted",
                                                      "numTargetRowsCopied", "numOutputRows")} == {
        "numTargetRowsInserted": "1", "numTargetRowsUpdated": "1", "numTargetRowsDeleted": "1", "numTargetRowsCopied": "2", "numOutputRows": "4"}
    assert json.loads(infos[4]["operationParameters"]["predicate"]) == ["id = 3"]
    assert infos[4]["operationMetrics"]["numDeletedRows"] == "1"
    assert infos[6]["operationMetrics"]["numRemovedFiles"] == str(files) and infos[6]["operationMetrics"]["numAddedFiles"] == "1"
    assert infos[6]["isolationLevel"] == "SnapshotIsolation" and not any(a.get("add", {}).get("dataChange", False)
                                                                         for a in log_actions(rs_lake, table, 6))
    assert rows(rs_lake.read(table), "id", "amount") == [(1, 5.0), (4, 1.0), (9, 5.0), (20, 1.0)]
    assert [c.operation for c in rs_lake.history(table)][:1] == ["OPTIMIZE"]


def test_checkpoints_every_10_commits_and_expired_log_cleanup(rs_lake, spark):
    table = "bronze.long_lived"
    path, log_dir = rs_lake.path(table), Path(rs_lake.path(table), "_delta_log")
    for i in range(25):
        rs_lake.append(events(spark, [i]).coalesce(1), table)
    assert sorted(p.name for p in log_dir.glob("*.checkpoint.parquet")) == [f"{v:020d}.checkpoint.parquet" for v in (10, 20)]
    assert json.loads((log_dir / "_last_checkpoint").read_text())["version"] == 20
    assert len(list(log_dir.glob("*.json"))) == 25  # within the 30-day log retention nothing is cleaned up
    for version in range(25):  # delta-rs and the lake's reader agree on every version, across checkpoints
        expected = [(i,) for i in range(version + 1)]
        assert rows(rs_lake.read(table, version=version), "id") == expected
        assert len(DeltaTable(path, version=version).file_uris()) == version + 1

    DeltaTable(path).alter.set_table_properties({"delta.logRetentionDuration": "interval 0 hours"})  # version 25
    for i in range(25, 30):
        rs_lake.append(events(spark, [i]).coalesce(1), table)
    assert rs_lake.version(table) == 30
    assert sorted(int(p.name.split(".")[0]) for p in log_dir.glob("*.json")) == [30]
    assert json.loads((log_dir / "_last_checkpoint").read_text())["version"] == 30
    assert rows(rs_lake.read(table), "id") == [(i,) for i in range(30)]
    assert DeltaTable(path).version() == 30 and len(DeltaTable(path).file_uris()) == 30
    with pytest.raises(VersionNotFound):
        rs_lake.read(table, version=5)
    rs_lake.append(events(spark, [30]), table)
    assert rs_lake.history(table, limit=1)[0].operation == "WRITE"


def test_vacuum_deletes_orphan_files_older_than_the_retention(rs_lake, spark):
    table = "silver.swept"
    rs_lake.append(events(spark, [1]).coalesce(1), table)
    path = rs_lake.path(table)
    (orphan,) = pa.Table.from_batches(list(write_files(FileSpec(path, (), ()), iter([pa.RecordBatch.from_pydict({"id": [9]})])))).to_pylist()
    assert rs_lake.vacuum(table, 1, enforce_retention=False) == []  # a fresh file may be a write in flight
    old = datetime(2024, 1, 1).timestamp()
    os.utime(Path(path, orphan["path"]), (old, old))
    assert rs_lake.vacuum(table, 1, enforce_retention=False) == [orphan["path"]]
    assert not Path(path, orphan["path"]).exists()
    assert [c.operation for c in rs_lake.history(table)][:2] == ["VACUUM END", "VACUUM START"]
    assert rows(rs_lake.read(table), "id") == [(1,)]
