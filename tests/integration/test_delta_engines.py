"""Both Delta engines on the same tables: the embedded backend (delta-rs + this project's log writer)
and Delta's reference engine (delta-spark), each reading and extending what the other wrote, and one
writer of each committing to one table at the same time from separate processes."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from shoplake.lake import LakeError, open_lake
from tests.integration.lake_support import events, rows
from tests.support.delta_tables import spark_history, version_digests

SCRIPT = Path(__file__).with_name("lake_process.py")
pytestmark = pytest.mark.slow


@pytest.fixture
def engines(spark, settings, tmp_path):
    """One lake root opened by both backends: ``(embedded, reference)``."""
    def lake(backend: str):
        return open_lake(spark, dataclasses.replace(
            settings, lake=dataclasses.replace(settings.lake, root=str(tmp_path / "lake"), backend=backend)))
    return lake("delta-rs"), lake("delta-spark")


def assert_same_versions(first, second, name: str) -> None:
    """Every version of ``name`` reads the same rows through both lakes, and both see the same latest version."""
    latest = first.version(name)
    assert second.version(name) == latest
    versions = range(latest + 1)
    assert version_digests(first, name, versions) == version_digests(second, name, versions)


def test_delta_spark_reads_every_version_the_embedded_backend_wrote(engines, spark):
    embedded, reference = engines
    name = "silver.interop"
    embedded.append(events(spark, range(0, 20)), name, partition_by=["day"])                        # 0 WRITE
    embedded.append(events(spark, range(20, 30), day=date(2024, 1, 2)), name)                      # 1 WRITE
    embedded.merge(events(spark, [1, 2, 40], amount=9.0), name, keys=["id"])                       # 2 MERGE
    embedded.overwrite(events(spark, [50, 51]), name, dynamic_partitions=True)                     # 3 WRITE
    embedded.append(events(spark, [60]).withColumn("coupon", F.lit("X")), name, evolve_schema=True)  # 4 WRITE
    embedded.delete(name, "id = 25")                                                               # 5 DELETE
    embedded.optimize(name)                                                                        # 6 OPTIMIZE
    assert_same_versions(embedded, reference, name)
    assert rows(reference.read(name).where("coupon IS NOT NULL"), "id", "coupon") == [(60, "X")]
    assert reference.schema(name) == embedded.schema(name)

    deleted = embedded.vacuum(name, 0, enforce_retention=False)
    assert deleted  # the files the overwrite, delete and compaction replaced
    assert rows(reference.read(name)) == rows(embedded.read(name))
    history = spark_history(spark, reference.path(name))
    assert [op for _, op in history] == ["WRITE", "WRITE", "MERGE", "WRITE", "WRITE", "DELETE", "OPTIMIZE",
                                         "VACUUM START", "VACUUM END"]
    assert [v for v, _ in history] == list(range(len(history)))
    first = spark.sql(f"DESCRIBE HISTORY delta.`{reference.path(name)}`").where("version = 0").first()
    assert first.operationMetrics["numOutputRows"] == "20" and first.operationParameters["mode"] == "Append"


def test_the_embedded_backend_reads_and_extends_tables_delta_spark_wrote(engines, spark):
    embedded, reference = engines
    name = "gold.interop"
    reference.append(events(spark, range(0, 10)), name, partition_by=["user"])
    reference.merge(events(spark, [3, 11], amount=5.0), name, keys=["id"])
    reference.delete(name, "id = 0")
    assert_same_versions(reference, embedded, name)
    # 9 more commits, alternating engines: the checkpoint at version 10 comes from one engine, read by both
    for i in range(12, 21):
        (embedded if i % 2 else reference).append(events(spark, [i]), name)
    embedded.merge(events(spark, [5], amount=7.0), name, keys=["id"])
    assert embedded.version(name) == 12
    assert (Path(embedded.path(name)) / "_delta_log" / f"{10:020d}.checkpoint.parquet").is_file()
    assert_same_versions(embedded, reference, name)
    assert rows(reference.read(name).where("id IN (3, 5, 11)"), "id", "amount") == [(3, 5.0), (5, 7.0), (11, 5.0)]
    assert reference.read(name).count() == 10 - 1 + 1 + 9  # 0-9, minus 0, plus 11, plus 12-20
    assert [op for _, op in spark_history(spark, reference.path(name))][:3] == ["WRITE", "MERGE", "DELETE"]


def _writer(root: str, work: Path, name: str, plan: list[dict], backend: str) -> subprocess.Popen:
    work.mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, str(SCRIPT), root, str(work), name, json.dumps(plan), "--peers", "2",
                             "--free-commits", "--backend", backend], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def test_one_writer_of_each_engine_at_once_loses_nothing(engines, spark, tmp_path):
    """Appends from both engines all land exactly once; merges of the same keys either commit or fail with a
    clear conflict, and the value left is the one of the merge committed last."""
    embedded, reference = engines
    table = "silver.race"
    embedded.append(events(spark, range(10)), table)

    def plan(base: int, amount: float) -> list[dict]:
        appends = [{"op": "append", "table": table, "ids": [base + i]} for i in range(6)]
        merges = [{"op": "merge", "table": table, "ids": [0, 1, 2], "amount": amount + k} for k in range(3)]
        return appends + merges

    work = tmp_path / "work"
    writers = {backend: _writer(embedded.root, work, backend, plan(base, amount), backend)
               for backend, base, amount in (("delta-rs", 100, 10.0), ("delta-spark", 200, 20.0))}
    outputs = {backend: writer.communicate(timeout=900)[0] for backend, writer in writers.items()}
    failed = {b: outputs[b][-3000:] for b, writer in writers.items() if writer.returncode != 0}
    assert not failed, failed
    outcomes = {b: [json.loads(line) for line in (work / f"{b}.jsonl").read_text().splitlines()] for b in writers}

    appended = [o for results in outcomes.values() for o in results[:6]]
    assert all(o["outcome"] == "committed" for o in appended), appended  # blind appends never conflict
    merges = [(o["version"], 10.0 + o["step"] - 6 if b == "delta-rs" else 20.0 + o["step"] - 6)
              for b, results in outcomes.items() for o in results[6:] if o["outcome"] == "committed"]
    conflicts = [o for results in outcomes.values() for o in results[6:] if o["outcome"] == "conflict"]
    assert all("conflict" in o["error"] for o in conflicts)
    assert merges and len(merges) + len(conflicts) == 6

    versions = sorted(o["version"] for o in appended) + sorted(v for v, _ in merges)
    assert sorted(versions) == list(range(1, len(versions) + 1))  # one commit per version, none lost
    assert embedded.version(table) == reference.version(table) == len(versions)
    expected_ids = [*range(10), *range(100, 106), *range(200, 206)]
    for lake in (embedded, reference):
        assert rows(lake.read(table), "id") == [(i,) for i in expected_ids]  # nothing lost, nothing doubled
        last_amount = max(merges)[1]
        assert rows(lake.read(table).where("id < 3"), "amount") == [(last_amount,)] * 3
    assert_same_versions(embedded, reference, table)
    assert [v for v, _ in spark_history(spark, reference.path(table))] == list(range(len(versions) + 1))


def test_the_embedded_backend_refuses_to_write_features_it_cannot_maintain(engines, spark):
    """A delta-spark table with a CHECK constraint (writer version 3) is read, never written, by the embedded
    backend; an append-only table takes appends but no change to its rows."""
    embedded, reference = engines
    reference.append(events(spark, range(3)), "silver.checked")
    spark.sql(f"ALTER TABLE delta.`{reference.path('silver.checked')}` ADD CONSTRAINT positive CHECK (amount > 0)")
    assert rows(embedded.read("silver.checked"), "id") == [(0,), (1,), (2,)]
    with pytest.raises(LakeError, match="cannot write tables using minWriterVersion 3.*lake.backend: delta-spark"):
        embedded.append(events(spark, [9], amount=-1.0), "silver.checked")
    assert reference.version("silver.checked") == 1 and reference.read("silver.checked").count() == 3

    reference.append(events(spark, range(3)), "silver.ledger")
    spark.sql(f"ALTER TABLE delta.`{reference.path('silver.ledger')}` SET TBLPROPERTIES ('delta.appendOnly' = 'true')")
    embedded.append(events(spark, [3]), "silver.ledger")
    with pytest.raises(LakeError, match="append-only"):
        embedded.delete("silver.ledger", "id = 0")
    assert rows(reference.read("silver.ledger"), "id") == [(0,), (1,), (2,), (3,)]
