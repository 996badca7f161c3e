"""Ingest at file level, from the outside: real files of every hostile kind, real processes killed with SIGKILL.

Every record read ends in exactly one place (bronze, quarantine as bytes, or left out as erased);
files are known by relative path, size and content; one ingest of a source runs at a time.
"""
from __future__ import annotations

import base64
import bz2
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable
from pyspark.sql import functions as F

from shoplake.ingest.errors import CheckpointUnwritable, InputFileError
from shoplake.ingest.hadoop_folder import HadoopFolder
from shoplake.ingest.file_ledger import InputFile
from shoplake.ingest.load_clickstream import JOB, ingest_clickstream
from shoplake.ingest.lock import ingest_lock
from shoplake.ingest.read_files import checked, file_records
from shoplake.lake import open_lake
from shoplake.privacy.erasure_list import ERASURE_LIST
from shoplake.privacy.pseudonyms import pseudonymize
from tests.support.processes import run_command

pytestmark = pytest.mark.slow
KEY = b"test-pseudonym-key"
AUDIT_KEY = b"test-audit-key"
DAY = "date=2024-01-01"


def event(i, user="u1", query="ok") -> str:
    return json.dumps({"event_id": f"e{i}", "event_time": "2024-01-01T10:00:00Z", "user_id": user,
                       "session_id": f"s-{user}", "event_type": "search", "query": query}, ensure_ascii=False)


def lines_of(*numbers, **fields) -> bytes:
    return "".join(event(i, **fields) + "\n" for i in numbers).encode()


@pytest.fixture
def shop(spark, settings, tmp_path):
    """An empty inputs folder and lake under ``tmp_path``; ``ingest()`` runs the clickstream ingest, accepting any
    quarantined share (these files are mostly hostile)."""
    inputs = tmp_path / "inputs"
    (inputs / "clickstream" / DAY).mkdir(parents=True)
    cfg = replace(settings, lake=replace(settings.lake, root=str(tmp_path / "lake")),
                  paths=replace(settings.paths, inputs=str(inputs)),
                  ingest=replace(settings.ingest, max_quarantine_share=1.0))
    lake = open_lake(spark, cfg)
    return {"lake": lake, "settings": cfg, "folder": inputs / "clickstream" / DAY, "tmp": tmp_path,
            "ingest": lambda: ingest_clickstream(lake, cfg, KEY)}


def bronze_values(lake) -> Counter:
    return Counter(r.value for r in lake.read("bronze.clickstream").select("value").collect())


def quarantine(lake) -> dict[str, tuple[str, bytes]]:
    """File name -> (reason, raw bytes) of the records quarantined as bytes."""
    rows = lake.read("bronze.quarantine").filter(F.col("reason").isin("invalid_encoding", "unreadable_file")).collect()
    return {Path(r._source_file).name: (r.reason, base64.b64decode(r.raw)) for r in rows}


def data_files_valid(lake, table: str) -> int:
    """Read every data file of ``table`` with pyarrow, checking every string is valid UTF-8; return the rows."""
    rows = 0
    for uri in DeltaTable(lake.path(table)).file_uris():
        data = pq.read_table(uri.removeprefix("file://"))
        data.validate(full=True)  # raises on a string column holding invalid UTF-8
        rows += data.num_rows
    return rows


def test_every_hostile_kind_of_file_ends_where_it_should(shop):
    folder, latin = shop["folder"], event(11, query="caf\u00e9").encode("latin-1")
    files = {
        "good.json": lines_of(1, 2),
        "latin.json": lines_of(3) + latin + b"\r\n" + lines_of(4),  # one Latin-1 line in the middle, CRLF
        "packed.json.gz": gzip.compress(lines_of(5, 6)),
        "packed-bz2.json": bz2.compress(lines_of(7)),  # known by its content, not its name
        "corrupt.json.gz": gzip.compress(lines_of(8))[:-9],
        "utf16.json": lines_of(9).decode().encode("utf-16"),
        "junk.json": bytes(range(256)) * 8,
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "gone.json").symlink_to(shop["tmp"] / "no-such-file.json")

    figures = shop["ingest"]()

    lake = shop["lake"]
    assert bronze_values(lake) == Counter(event(i) for i in (1, 2, 3, 4, 5, 6, 7))
    assert quarantine(lake) == {"latin.json": ("invalid_encoding", latin),
                                "corrupt.json.gz": ("unreadable_file", files["corrupt.json.gz"]),
                                "utf16.json": ("unreadable_file", files["utf16.json"]),
                                "junk.json": ("unreadable_file", files["junk.json"])}
    assert figures["files"] == len(files) and figures["problem_files"] == 1  # the dangling link, reported
    assert figures["lines_read"] == 11 == figures["lines_bronze"] + figures["lines_unreadable"]
    assert data_files_valid(lake, "bronze.clickstream") == 7
    assert data_files_valid(lake, "bronze.quarantine") == 4
    assert lake.read("silver.events").count() == 7


def test_a_replaced_file_is_ingested_again_and_an_unchanged_one_never(shop):
    lake, path = shop["lake"], shop["folder"] / "part-0.json"
    path.write_bytes(lines_of(1, 2))
    shop["ingest"]()
    assert shop["ingest"]()["files"] == 0
    path.write_bytes(lines_of(1, 2, 3))  # corrected file, same name
    assert shop["ingest"]()["files"] == 1
    assert bronze_values(lake) == Counter([event(1), event(1), event(2), event(2), event(3)])
    version = lake.version("bronze.clickstream")
    assert shop["ingest"]()["files"] == 0
    assert lake.version("bronze.clickstream") == version
    assert lake.read("silver.events").count() == 3


def test_moving_the_inputs_and_the_lake_ingests_nothing_again(spark, shop):
    (shop["folder"] / "part-0.json").write_bytes(lines_of(1, 2))
    (shop["folder"] / "part-1.json.gz").write_bytes(gzip.compress(lines_of(3)))
    shop["ingest"]()
    moved = shop["tmp"] / "moved"
    for part in ("inputs", "lake"):  # plain copies: new paths and new modification times
        shutil.copytree(shop["tmp"] / part, moved / part, copy_function=shutil.copyfile, symlinks=True)
    cfg = shop["settings"]
    cfg = replace(cfg, lake=replace(cfg.lake, root=str(moved / "lake")), paths=replace(cfg.paths, inputs=str(moved / "inputs")))
    lake = open_lake(spark, cfg)
    version = lake.version("bronze.clickstream")
    figures = ingest_clickstream(lake, cfg, KEY)
    assert figures["files"] == 0 and figures["batches"] == 0
    assert lake.version("bronze.clickstream") == version
    assert bronze_values(lake) == Counter(event(i) for i in (1, 2, 3))


def test_lines_of_erased_customers_are_counted_not_landed(spark, shop):
    lake = shop["lake"]
    listed = spark.createDataFrame([("u-erased",)], "id string").select(
        pseudonymize(F.col("id"), AUDIT_KEY).alias("subject_hash"), F.lit("customer_id").alias("kind"),
        F.lit("erasure-1").alias("erasure_id"), F.lit(datetime(2024, 1, 2)).alias("erased_at"))
    lake.merge(listed, ERASURE_LIST, ["subject_hash"])
    erased_latin = event(12, user="u-erased", query="caf\u00e9").encode("latin-1") + b"\n"
    (shop["folder"] / "part-0.json").write_bytes(lines_of(1, 2) + lines_of(10, 11, user="u-erased") + erased_latin)
    figures = ingest_clickstream(lake, shop["settings"], KEY, audit_key=AUDIT_KEY)
    assert (figures["lines_read"], figures["lines_bronze"], figures["lines_erased"]) == (5, 2, 3)
    assert figures["lines_unreadable"] == 0  # the erased customer's undecodable line is left out too
    assert bronze_values(lake) == Counter([event(1), event(2)])
    assert lake.read("bronze.quarantine").count() == 0


def test_a_file_whose_bytes_differ_from_its_plan_fails_the_batch_naming_it(spark, shop):
    (shop["folder"] / "part-0.json").write_bytes(lines_of(1))
    uri = HadoopFolder(spark, str(shop["folder"].parent)).uri
    planned = [InputFile(f"{DAY}/part-0.json", 10, "0" * 64, 0)]
    with pytest.raises(InputFileError, match=f"{DAY}/part-0.json: its content changed"):
        checked(file_records(spark, uri, planned), uri, planned, JOB, 3)


def test_a_failed_batch_is_replayed_with_its_id_and_a_corrected_file_is_read_as_it_is_now(spark, shop):
    from shoplake.ingest.incremental import process_new_files

    folder, calls = shop["folder"], []
    (folder / "a.json").write_bytes(lines_of(1))
    (folder / "b.json").write_bytes(lines_of(2))
    checkpoint = shop["lake"].checkpoint_path("replay")

    def record(outcome):
        def process(records, batch_id):
            calls.append((batch_id, sorted(r.value for r in records.collect())))
            if outcome:
                raise RuntimeError(outcome)
            from shoplake.ingest.layers import LineCounts
            return LineCounts(read=records.count(), bronze=records.count())
        return process

    with pytest.raises(RuntimeError, match="downstream failure"):
        process_new_files(spark, str(folder), checkpoint, record("downstream failure"), "replay", 1024)
    assert process_new_files(spark, str(folder), checkpoint, record(None), "replay", 1024).batches == 1
    assert calls[1] == calls[0] == (0, [event(1), event(2)])  # the same id and the same files
    (folder / "b.json").write_bytes(lines_of(2, 3))
    with pytest.raises(RuntimeError):
        process_new_files(spark, str(folder), checkpoint, record("fails again"), "replay", 1024)
    (folder / "b.json").write_bytes(lines_of(3))  # corrected again before the retry: read as it is now
    process_new_files(spark, str(folder), checkpoint, record(None), "replay", 1024)
    # batch 1 failed with b.json as it was then; its replay leaves the changed file out, and batch 2 reads it anew
    assert calls[2:] == [(1, [event(2), event(3)]), (1, []), (2, [event(3)])]
    assert process_new_files(spark, str(folder), checkpoint, record(None), "replay", 1024).batches == 0


def test_files_of_an_earlier_spark_streaming_checkpoint_are_not_ingested_again(shop):
    """A lake ingested before the file ledger: its Spark checkpoint's files count as seen, batch ids go on."""
    folder = shop["folder"]
    (folder / "old file.json").write_bytes(lines_of(1))
    (folder / "new.json").write_bytes(lines_of(2))
    checkpoint = Path(shop["lake"].checkpoint_path(JOB))
    (checkpoint / "commits").mkdir(parents=True)
    (checkpoint / "commits" / "4").write_text('v1\n{"nextBatchWatermarkMs":0}\n')
    (checkpoint / "sources" / "0").mkdir(parents=True)
    entry = {"path": (folder / "old file.json").as_uri(), "timestamp": 1, "batchId": 4}
    (checkpoint / "sources" / "0" / "4").write_text("v1\n" + json.dumps(entry) + "\n")
    figures = shop["ingest"]()
    assert figures["files"] == 1
    assert bronze_values(shop["lake"]) == Counter([event(2)])
    assert {r._batch_id for r in shop["lake"].read("bronze.clickstream").collect()} == {5}


def test_an_unwritable_lake_root_is_named(spark, shop):
    (shop["folder"] / "part-0.json").write_bytes(lines_of(1))
    blocker = shop["tmp"] / "a-file"
    blocker.write_text("not a folder")
    cfg = replace(shop["settings"], lake=replace(shop["settings"].lake, root=str(blocker / "lake")))
    with pytest.raises(CheckpointUnwritable, match="lake.root"):
        ingest_clickstream(open_lake(spark, cfg), cfg, KEY)


def job_env(shop, **extra) -> dict[str, str]:
    cfg = shop["settings"]
    return {"SHOPLAKE__LAKE__ROOT": cfg.lake.root, "SHOPLAKE__PATHS__INPUTS": cfg.paths.inputs,
            "SHOPLAKE__INGEST__MAX_QUARANTINE_SHARE": "1", "SHOPLAKE_PSEUDONYM_KEY": KEY.decode(), **extra}


JOB_COMMAND = [sys.executable, "-m", "shoplake.cli", "run", "ingest_clickstream", "--env", "test"]


def test_a_second_ingest_of_the_same_source_says_another_is_running(spark, shop):
    (shop["folder"] / "part-0.json").write_bytes(lines_of(1))
    with ingest_lock(HadoopFolder(spark, shop["lake"].checkpoint_path(JOB)), JOB):
        second = run_command(JOB_COMMAND, cwd=shop["tmp"], env=job_env(shop), timeout=600)
    assert second.returncode == 2, second.stderr[-3000:]
    assert "another ingest of this source is running" in second.stderr
    assert "CONCURRENT_STREAM_LOG_UPDATE" not in second.stderr and "Traceback" not in second.stderr
    assert not shop["lake"].exists("bronze.clickstream")


def wait_for(predicate, job, timeout=600) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if job.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("kill_at", ["plan", "silver"])
def test_a_job_killed_mid_batch_reruns_to_an_uninterrupted_result(shop, kill_at):
    """SIGKILL right after a batch is planned, or right after its silver commit; the re-run loses and doubles nothing."""
    for i in range(3):
        (shop["folder"] / f"part-{i}.json").write_bytes(lines_of(*range(10 * i, 10 * i + 8)) + b"\xff broken\n")
    lake_root = Path(shop["settings"].lake.root)
    marker = {"plan": lake_root / "_checkpoints" / JOB / "plans" / "0.json",
              "silver": lake_root / "silver" / "events" / "_delta_log" / "00000000000000000000.json"}[kill_at]
    env = job_env(shop, SHOPLAKE__INGEST__MAX_BATCH_MB="0.000001")  # a batch per file
    job = subprocess.Popen(JOB_COMMAND, cwd=shop["tmp"], env=dict(os.environ, **env), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    reached = wait_for(marker.exists, job)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    assert reached, f"the job ended before {marker} appeared"

    rerun = run_command(JOB_COMMAND, cwd=shop["tmp"], env=env, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    lake = shop["lake"]
    assert bronze_values(lake) == Counter(event(i) for i in range(30) if i % 10 < 8)
    assert sorted(raw for _, raw in quarantine_rows(lake)) == [b"\xff broken"] * 3
    assert lake.read("silver.events").count() == 24
    assert not (lake_root / "_checkpoints" / JOB / "ingest.lock").exists()  # the killed run's lock was taken over


def quarantine_rows(lake) -> list[tuple[str, bytes]]:
    return [(r.reason, base64.b64decode(r.raw)) for r in lake.read("bronze.quarantine").collect()]


def test_the_stream_picks_up_files_as_they_arrive(shop):
    (shop["folder"] / "part-0.json").write_bytes(lines_of(1))
    done = Path(shop["lake"].checkpoint_path(JOB)) / "done"
    job = subprocess.Popen(JOB_COMMAND + ["--stream", "--interval", "1 second"], cwd=shop["tmp"],
                           env=dict(os.environ, **job_env(shop)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        assert wait_for((done / "0.json").exists, job), "the first file was not ingested"
        (shop["folder"] / "part-1.json").write_bytes(lines_of(2))
        assert wait_for((done / "1.json").exists, job), "a file dropped while the stream ran was not ingested"
        assert job.poll() is None  # still polling
    finally:
        os.killpg(job.pid, signal.SIGKILL)
        job.wait()
    assert bronze_values(shop["lake"]) == Counter([event(1), event(2)])
