"""Crashes and concurrent writers on real Delta tables, with real processes (delta-rs backend).

The writers run ``lake_process.py`` in their own Python + Spark processes; its test hooks wrap the
backend's commit in that process only (see its docstring).
"""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from shoplake.lake import open_lake
from shoplake.lake.deltars.files import FileSpec, write_files
from tests.integration.lake_support import events, rows

SCRIPT = Path(__file__).with_name("lake_process.py")
pytestmark = pytest.mark.slow


@pytest.fixture
def rs_lake(spark, settings, tmp_path):
    """A delta-rs lake under ``tmp_path``."""
    lake_settings = dataclasses.replace(settings.lake, root=str(tmp_path / "lake"), backend="delta-rs")
    return open_lake(spark, dataclasses.replace(settings, lake=lake_settings))


def start_writer(lake, workdir: Path, name: str, plan: list[dict], *flags: str) -> subprocess.Popen:
    """``lake_process.py`` as a process group of its own (so a kill takes its JVM and workers too)."""
    workdir.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), lake.root, str(workdir), name, json.dumps(plan), *flags],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )


def files_on_disk(path: str) -> set[str]:
    return {
        os.path.relpath(os.path.join(folder, f), path)
        for folder, _, names in os.walk(path) if "_delta_log" not in folder for f in names if f.endswith(".parquet")
    }


def active_files(path: str) -> set[str]:
    return {os.path.relpath(uri, path) for uri in DeltaTable(path).file_uris()}


def test_a_writer_killed_before_its_commit_leaves_the_table_untouched(rs_lake, spark, tmp_path):
    table, path = "silver.crash", rs_lake.path("silver.crash")
    rs_lake.append(events(spark, range(10)), table, partition_by=["day"])
    plan = [{"op": "append", "table": table, "ids": list(range(100, 150)), "txn": ["loader", 7]}]
    writer = start_writer(rs_lake, tmp_path / "work", "crash", plan, "--hold")
    deadline = time.time() + 300
    while not (tmp_path / "work" / "ready").exists():
        assert writer.poll() is None, writer.stdout.read()
        assert time.time() < deadline, "the writer never reached its commit"
        time.sleep(0.2)
    os.killpg(writer.pid, signal.SIGKILL)
    writer.wait(timeout=60)

    orphans = files_on_disk(path) - active_files(path)
    assert orphans, "the killed writer had written data files"
    assert rs_lake.version(table) == 0
    assert rows(rs_lake.read(table), "id") == [(i,) for i in range(10)]

    rerun = events(spark, range(100, 150))
    assert rs_lake.append(rerun, table, txn_app_id="loader", txn_version=7) == 1
    assert rs_lake.append(rerun, table, txn_app_id="loader", txn_version=7) == 1
    assert rows(rs_lake.read(table), "id") == [(i,) for i in [*range(10), *range(100, 150)]]

    assert set(rs_lake.vacuum(table, 0, enforce_retention=False)) == orphans
    assert files_on_disk(path) == active_files(path)
    assert rs_lake.read(table).count() == 60


def test_concurrent_writers_appends_all_land_conflicting_rewrites_fail_cleanly(rs_lake, spark, tmp_path):
    table = "silver.race"
    rs_lake.append(events(spark, range(10)), table)

    def plan(base: int, amount: float) -> list[dict]:
        return [
            {"op": "append", "table": table, "ids": list(range(base, base + 10))},
            {"op": "merge", "table": table, "ids": [0, 1, 2], "amount": amount},  # both rewrite the same files
            {"op": "merge", "table": table, "ids": [300, 301], "amount": amount},  # both insert the same new keys
        ]

    work = tmp_path / "work"
    writers = {name: start_writer(rs_lake, work, name, plan(base, amount), "--peers", "2")
               for name, base, amount in (("a", 100, 1.5), ("b", 200, 2.5))}
    for name, writer in writers.items():
        output, _ = writer.communicate(timeout=600)
        assert writer.returncode == 0, f"writer {name} failed:\n{output[-3000:]}"
    outcomes = {name: [json.loads(line) for line in (work / f"{name}.jsonl").read_text().splitlines()] for name in writers}

    # step 0: both appends commit (one of them retried on the newer version), nothing lost or doubled
    assert sorted(o[0]["version"] for o in outcomes.values()) == [1, 2]
    assert rows(rs_lake.read(table, version=2), "id") == [(i,) for i in [*range(10), *range(100, 110), *range(200, 210)]]
    # steps 1-2: exactly one writer commits, the other gets a clear conflict and commits nothing
    amounts = {"a": 1.5, "b": 2.5}
    for step, version in ((1, 3), (2, 4)):
        results = {name: o[step] for name, o in outcomes.items()}
        winners = [name for name, r in results.items() if r["outcome"] == "committed"]
        losers = [r for r in results.values() if r["outcome"] == "conflict"]
        assert len(winners) == 1 and len(losers) == 1, results
        assert results[winners[0]]["version"] == version
        assert "conflicts with a concurrent commit" in losers[0]["error"]
        snapshot = rs_lake.read(table, version=version)
        if step == 1:
            assert rows(snapshot.where("id < 3"), "amount") == [(amounts[winners[0]],)] * 3
        else:
            assert rows(snapshot.where("id >= 300"), "id", "amount") == [(300, amounts[winners[0]]), (301, amounts[winners[0]])]
    assert rs_lake.version(table) == 4
    assert rs_lake.read(table).count() == 32  # 10 + 2 x 10 appended + 2 inserted once, no duplicates


def test_debris_of_a_first_write_that_died_does_not_block_the_table(rs_lake, spark):
    path = rs_lake.path("bronze.fresh")
    list(write_files(FileSpec(path, (), ()), iter([pa.RecordBatch.from_pydict({"id": [99]})])))
    assert files_on_disk(path) and not rs_lake.exists("bronze.fresh")
    rs_lake.append(events(spark, [1]), "bronze.fresh")
    assert rows(rs_lake.read("bronze.fresh"), "id") == [(1,)]
    assert len(rs_lake.vacuum("bronze.fresh", 0, enforce_retention=False)) == 1
    assert files_on_disk(path) == active_files(path)
