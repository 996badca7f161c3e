"""Resilience: kill the driver with ``kill -9`` at random points of each write-heavy job and of an erasure,
re-run it, and check the outcome equals that of an uninterrupted run.

Protocol: generate a small shop once. Run the write-heavy jobs (``ingest_clickstream``,
``ingest_orders``, ``ingest_catalog``, ``build_gold``) uninterrupted through ``spark-submit.sh``
into a reference lake, keeping a copy of the lake before each job. Then the chosen sections:

* ``jobs``: each trial copies the lake as it was before one job (round robin), starts that job,
  kills its whole process tree with SIGKILL after a random delay within the job's uninterrupted
  duration, re-runs it to completion, and compares the job's output tables, without ingest-time
  metadata, to the reference right after that job (later jobs append to ``bronze.quarantine``
  too). A job that finishes before its kill still has its re-run checked, and its duration
  shrinks to that run's, so that trials go on until ``--trials`` of them were killed mid-run (at
  most three times as many trials in all).
* ``erasure``: each trial copies the finished reference lake, starts ``erase_customer --email``
  for another customer (one with orders and clickstream events), kills it after a random
  delay within an uninterrupted erasure's duration, runs it again until its request is done, and
  counts the customer's rows left in every table: raw id or email in bronze text, their
  pseudonym in any text column elsewhere. Trials go on until ``--erasure-trials`` were killed
  mid-run (at most three times as many in all).
* ``hostile``: ingests a folder of hostile files (lines that are not UTF-8, gzip and bzip2 files
  under any name, UTF-16 and binary files named ``.json``, a dangling link, erased customers'
  lines; see ``bench/hostile_input.py``) twice and counts the lines read that are in neither
  bronze, nor the quarantine, nor the count of erased lines.

    python bench/resilience.py [--only jobs|erasure|hostile] [--trials 20] [--erasure-trials 6] [--users 150] [--days 7] [--seed 5]

Ends with ``BENCH resilience.trials``, ``BENCH resilience.killed`` and ``BENCH resilience.mismatches``
(must be 0) for the jobs, and ``BENCH resilience.erasure_trials`` and
``BENCH resilience.erasure_leftover_rows`` (must be 0) for the erasure, and
``BENCH resilience.hostile_lines_unaccounted`` (must be 0) for hostile input.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import reduce
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyspark.sql import DataFrame  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql.types import StringType  # noqa: E402

from bench.hostile_input import hostile_lines_unaccounted  # noqa: E402
from bench.support import bench_line  # noqa: E402
from shoplake.config import load_config  # noqa: E402
from shoplake.lake import open_lake  # noqa: E402
from shoplake.catalog import BRONZE_CLICKSTREAM, BRONZE_ORDERS, OPS_ERASURE_REQUESTS, tables_written_by  # noqa: E402
from shoplake.privacy.erasure import PRIVACY_TABLES  # noqa: E402
from shoplake.privacy.pseudonyms import pseudonym  # noqa: E402
from shoplake.privacy.requests import DONE  # noqa: E402
from shoplake.privacy.all_tables import lake_tables  # noqa: E402
from shoplake.session import build_session  # noqa: E402

JOBS = {job: tables_written_by(job) for job in ("ingest_clickstream", "ingest_orders", "ingest_catalog", "build_gold")}
# the bench's own keys, so that a copied lake needs no key files beside it
KEY, AUDIT_KEY = "resilience-bench-pseudonym-key", "resilience-bench-audit-key"


@dataclass
class Bench:
    """What every section gets: the work folder, the generated inputs, the reference lake and a lake opener."""

    args: argparse.Namespace
    rng: random.Random
    work: Path
    inputs: Path
    log: Path
    open_at: Callable
    durations: dict[str, float]
    expected: dict[str, dict]

    @property
    def reference(self) -> Path:
        return self.work / "reference" / "lake"


def job_env(lake_root: Path, inputs: Path) -> dict[str, str]:
    return dict(os.environ, SHOPLAKE_PYTHON=sys.executable, SHOPLAKE__LAKE__ROOT=str(lake_root),
                SHOPLAKE__PATHS__INPUTS=str(inputs), SHOPLAKE_PSEUDONYM_KEY=KEY, SHOPLAKE_AUDIT_KEY=AUDIT_KEY)


def start_job(job: str, lake_root: Path, inputs: Path, log: Path, *args: str) -> subprocess.Popen:
    """``spark-submit.sh --env test JOB ARGS`` in its own process group, output to ``log``."""
    return subprocess.Popen([str(ROOT / "spark-submit.sh"), "--env", "test", job, *args], cwd=lake_root.parent,
                            env=job_env(lake_root, inputs), stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def run_job(job: str, lake_root: Path, inputs: Path, log: Path, *args: str) -> float:
    started = time.monotonic()
    if start_job(job, lake_root, inputs, log, *args).wait() != 0:
        raise RuntimeError(f"{job} failed; see {log}")
    return time.monotonic() - started


def killed_within(proc: subprocess.Popen, delay: float) -> bool:
    """Kill ``proc``'s whole process group with SIGKILL after ``delay`` seconds; False if it ended first."""
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def table_rows(lake, table: str) -> list | None:
    """Sorted rows without ingest-time metadata (``_``-prefixed columns); None when the table is missing."""
    if not lake.exists(table):
        return None
    df = lake.read(table)
    return sorted(map(tuple, df.select(*[c for c in df.columns if not c.startswith("_")]).collect()), key=repr)


def unreadable_versions(lake, table: str) -> list[int]:
    """Versions of ``table`` that cannot be read back (time travel to each commit)."""
    bad = []
    for commit in lake.history(table):
        try:
            lake.read(table, version=commit.version).count()
        except Exception:  # noqa: BLE001 - any failure to read a version is what is being counted
            bad.append(commit.version)
    return bad


def build_reference(bench: Bench) -> None:
    """Run every job uninterrupted into the reference lake, keeping the lake as it was before each job."""
    bench.reference.parent.mkdir()
    for job in JOBS:
        before = bench.work / f"before-{job}" / "lake"
        if bench.reference.exists():
            shutil.copytree(bench.reference, before)
        else:
            before.mkdir(parents=True)
        bench.durations[job] = run_job(job, bench.reference, bench.inputs, bench.log)
        # right after the job: later jobs append to shared tables (bronze.quarantine)
        bench.expected[job] = {t: table_rows(bench.open_at(bench.reference), t) for t in JOBS[job]}
        print(f"reference {job}: {bench.durations[job]:.1f}s", flush=True)


def job_trials(bench: Bench) -> list[str]:
    """Kill each write-heavy job at random points; the tables after its re-run must equal the reference."""
    mismatches, rows, durations, trials = 0, [], dict(bench.durations), bench.args.trials
    while sum(r[1] for r in rows) < trials and len(rows) < 3 * trials:
        trial = len(rows)
        job = list(JOBS)[trial % len(JOBS)]
        lake_root = bench.work / f"trial-{trial}" / "lake"
        shutil.copytree(bench.work / f"before-{job}" / "lake", lake_root)
        delay = bench.rng.uniform(1.0, durations[job])
        started = time.monotonic()
        killed = killed_within(start_job(job, lake_root, bench.inputs, bench.log), delay)
        if not killed:
            durations[job] = max(1.5, time.monotonic() - started)  # later kills are drawn within its real run
        run_job(job, lake_root, bench.inputs, bench.log)
        lake = bench.open_at(lake_root)
        wrong = [t for t in JOBS[job] if table_rows(lake, t) != bench.expected[job][t]]
        unreadable = {t: v for t in JOBS[job] if lake.exists(t) and (v := unreadable_versions(lake, t))}
        ok = not wrong and not unreadable
        mismatches += not ok
        rows.append((job, killed))
        print(f"trial {trial:2d} {job:<18} kill at {delay:5.1f}s {'killed' if killed else 'finished first':<14} "
              f"{'OK' if ok else f'MISMATCH {wrong} unreadable {unreadable}'}", flush=True)
        shutil.rmtree(lake_root.parent)
    killed = sum(1 for r in rows if r[1])
    print(f"\n{len(rows)} job trials ({killed} killed mid-run), {mismatches} mismatches")
    return [bench_line("resilience.trials", len(rows), "trials"), bench_line("resilience.killed", killed, "trials"),
            bench_line("resilience.mismatches", mismatches, "trials")]


def erasure_subjects(lake) -> list[dict]:
    """Customers with orders and clickstream events: raw id, lower-cased email and pseudonym."""
    events = lake.read(BRONZE_CLICKSTREAM).select(F.get_json_object("value", "$.user_id").alias("id")).distinct()
    orders = lake.read(BRONZE_ORDERS).select(F.get_json_object("value", "$.customer_id").alias("id"),
                                             F.lower(F.get_json_object("value", "$.email")).alias("email"))
    rows = orders.where(F.col("email").isNotNull()).dropDuplicates(["id"]).join(events, "id").orderBy("id").collect()
    return [{"id": r.id, "email": r.email, "pseudonym": pseudonym(r.id, KEY.encode())} for r in rows]


def subject_rows(lake, subject: dict) -> dict[str, int]:
    """``{table: rows}`` holding the subject in every table but the erasure records (in one Spark job).

    Bronze rows hold them when a text column contains their quoted id or their email in any case;
    other rows when a text column equals their pseudonym.
    """
    parts = []
    for table in lake_tables(lake):
        df = lake.read(table)
        text = [f.name for f in df.schema.fields if isinstance(f.dataType, StringType)]
        if table in PRIVACY_TABLES or not text:
            continue
        if table.startswith("bronze."):
            checks = [F.col(c).contains(f'"{subject["id"]}"') | F.lower(F.col(c)).contains(subject["email"]) for c in text]
        else:
            checks = [F.col(c) == subject["pseudonym"] for c in text]
        held = reduce(lambda a, b: a | b, [F.coalesce(c, F.lit(False)) for c in checks])
        parts.append(df.where(held).select(F.lit(table).alias("table")))
    counted = reduce(DataFrame.unionByName, parts).groupBy("table").count().collect()
    return {r["table"]: r["count"] for r in counted}


def request_done(lake) -> bool:
    if not lake.exists(OPS_ERASURE_REQUESTS):
        return False
    return bool(lake.read(OPS_ERASURE_REQUESTS).where(F.col("status") == DONE).limit(1).collect())


def erasure_trials(bench: Bench) -> list[str]:
    """Kill ``erase_customer`` at random points and run it again until done; count the customer's rows left."""
    subjects = erasure_subjects(bench.open_at(bench.reference))
    trials = bench.args.erasure_trials
    if len(subjects) < 2:
        raise SystemExit(f"the shop has {len(subjects)} customer(s) with orders and events; 2 are needed: raise --users")
    timing = bench.work / "erasure-timing" / "lake"
    shutil.copytree(bench.reference, timing)
    duration = run_job("erase_customer", timing, bench.inputs, bench.log, "--email", subjects[0]["email"])
    shutil.rmtree(timing.parent)
    print(f"reference erase_customer: {duration:.1f}s", flush=True)
    leftover, rows = 0, []
    while sum(r[0] for r in rows) < trials and len(rows) < 3 * trials:
        trial = len(rows)
        subject = subjects[1 + trial % (len(subjects) - 1)]  # every trial starts from the reference lake
        lake_root = bench.work / f"erasure-{trial}" / "lake"
        shutil.copytree(bench.reference, lake_root)
        lake = bench.open_at(lake_root)
        held = sum(subject_rows(lake, subject).values())
        delay = bench.rng.uniform(1.0, duration)
        started = time.monotonic()
        killed = killed_within(start_job("erase_customer", lake_root, bench.inputs, bench.log, "--email",
                                         subject["email"]), delay)
        if not killed:
            duration = max(1.5, time.monotonic() - started)
        reruns = 0
        while not request_done(lake):  # a kill after the request was marked done leaves nothing to finish
            run_job("erase_customer", lake_root, bench.inputs, bench.log, "--email", subject["email"])
            reruns += 1
        left = subject_rows(lake, subject)
        leftover += sum(left.values())
        rows.append((killed, reruns))
        print(f"erasure {trial:2d} {held:4d} rows, kill at {delay:5.1f}s {'killed' if killed else 'finished first':<14} "
              f"{reruns} re-run(s), {'OK' if not left else f'LEFT {left}'}", flush=True)
        shutil.rmtree(lake_root.parent)
    killed = sum(1 for r in rows if r[0])
    print(f"\n{len(rows)} erasure trials ({killed} killed mid-run), {leftover} row(s) of erased customers left")
    return [bench_line("resilience.erasure_trials", len(rows), "trials"),
            bench_line("resilience.erasure_leftover_rows", leftover, "rows")]


def hostile_input(bench: Bench) -> list[str]:
    """Ingest a folder of hostile files (see ``bench/hostile_input.py``) and count the lines not accounted for."""
    return [bench_line("resilience.hostile_lines_unaccounted", hostile_lines_unaccounted(bench.work / "hostile"),
                       "lines")]


# Each section runs on the reference lake and returns its BENCH lines; BARS are the figures that must be 0.
SECTIONS: dict[str, Callable[[Bench], list[str]]] = {"jobs": job_trials, "erasure": erasure_trials,
                                                     "hostile": hostile_input}
BARS = ("resilience.mismatches", "resilience.erasure_leftover_rows", "resilience.hostile_lines_unaccounted")


def over_bar(lines: list[str]) -> list[str]:
    """The BENCH lines of :data:`BARS` whose value is not 0."""
    return [line for line in lines if line.split()[1] in BARS and float(line.split()[2]) != 0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SECTIONS), help="run one section (default: all)")
    parser.add_argument("--trials", type=int, default=20, help="job trials killed mid-run")
    parser.add_argument("--erasure-trials", type=int, default=6, help="erasure trials killed mid-run")
    parser.add_argument("--users", type=int, default=150)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shoplake-resilience-"))
    settings = load_config("test", environ=os.environ)
    spark = build_session(settings)
    bench = Bench(args, random.Random(args.seed), work, work / "inputs", work / "jobs.log",
                  lambda root: open_lake(spark, replace(settings, lake=replace(settings.lake, root=str(root)))), {}, {})
    lines = []
    try:
        subprocess.run([str(Path(sys.executable).with_name("shoplake")), "generate", "--env", "test", "--users",
                        str(args.users), "--days", str(args.days), "--seed", str(args.seed), "--out", str(bench.inputs)],
                       check=True, env=job_env(work / "unused", bench.inputs), stdout=subprocess.DEVNULL)
        build_reference(bench)
        for name in [args.only] if args.only else SECTIONS:
            lines += SECTIONS[name](bench)
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)
    print()
    for line in lines:
        print(line)
    return 1 if over_bar(lines) else 0


if __name__ == "__main__":
    sys.exit(main())
