"""Resilience: kill the driver with ``kill -9`` at random points of each write-heavy job, re-run it,
and check the tables equal those of an uninterrupted run, and every version of every table reads.

Protocol: generate a small shop once. Run the write-heavy jobs (``ingest_clickstream``,
``ingest_orders``, ``ingest_catalog``, ``build_gold``) uninterrupted through ``spark-submit.sh``
into a reference lake, keeping a copy of the lake before each job. Each trial copies the lake
as it was before one job (round robin), starts that job, kills its whole process tree with
SIGKILL after a random delay within the job's uninterrupted duration, re-runs it to completion,
and compares the job's output tables, without ingest-time metadata, to the reference right after
that job (later jobs append to ``bronze.quarantine`` too). A job that finishes before its kill
still has its re-run checked, and its duration shrinks to that run's, so that trials go on
until ``--trials`` of them were killed mid-run (at most three times as many trials in all).

    python bench/resilience.py [--trials 20] [--users 150] [--days 7] [--seed 5]

Ends with ``BENCH resilience.trials`` and ``BENCH resilience.mismatches`` (must be 0).
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
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import bench_line  # noqa: E402
from shoplake.config import load_config  # noqa: E402
from shoplake.lake import open_lake  # noqa: E402
from shoplake.pipeline.steps import CATALOG_TABLES, EVENTS_TABLES, ORDERS_TABLES  # noqa: E402
from shoplake.ingest.load_gold import GOLD_TABLES  # noqa: E402
from shoplake.session import build_session  # noqa: E402

JOBS = {"ingest_clickstream": EVENTS_TABLES, "ingest_orders": ORDERS_TABLES, "ingest_catalog": CATALOG_TABLES,
        "build_gold": GOLD_TABLES}


def job_env(lake_root: Path, inputs: Path) -> dict[str, str]:
    return dict(os.environ, SHOPLAKE_PYTHON=sys.executable, SHOPLAKE__LAKE__ROOT=str(lake_root),
                SHOPLAKE__PATHS__INPUTS=str(inputs))


def start_job(job: str, lake_root: Path, inputs: Path, log: Path) -> subprocess.Popen:
    """``spark-submit.sh --env test JOB`` in its own process group, output to ``log``."""
    return subprocess.Popen([str(ROOT / "spark-submit.sh"), "--env", "test", job], cwd=lake_root.parent,
                            env=job_env(lake_root, inputs), stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def run_job(job: str, lake_root: Path, inputs: Path, log: Path) -> float:
    started = time.monotonic()
    if start_job(job, lake_root, inputs, log).wait() != 0:
        raise RuntimeError(f"{job} failed; see {log}")
    return time.monotonic() - started


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--users", type=int, default=150)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="shoplake-resilience-"))
    settings = load_config("test", environ=os.environ)
    spark = build_session(settings)
    open_at = lambda root: open_lake(spark, replace(settings, lake=replace(settings.lake, root=str(root))))  # noqa: E731
    inputs, log = work / "inputs", work / "jobs.log"
    try:
        subprocess.run([str(Path(sys.executable).with_name("shoplake")), "generate", "--env", "test", "--users",
                        str(args.users), "--days", str(args.days), "--seed", str(args.seed), "--out", str(inputs)],
                       check=True, env=job_env(work / "unused", inputs), stdout=subprocess.DEVNULL)
        reference, durations, expected = work / "reference" / "lake", {}, {}
        reference.parent.mkdir()
        for job in JOBS:
            before = work / f"before-{job}" / "lake"
            if reference.exists():
                shutil.copytree(reference, before)
            else:
                before.mkdir(parents=True)
            durations[job] = run_job(job, reference, inputs, log)
            # right after the job: later jobs append to shared tables (bronze.quarantine)
            expected[job] = {t: table_rows(open_at(reference), t) for t in JOBS[job]}
            print(f"reference {job}: {durations[job]:.1f}s", flush=True)
        mismatches, rows = 0, []
        while sum(r[3] for r in rows) < args.trials and len(rows) < 3 * args.trials:
            trial = len(rows)
            job = list(JOBS)[trial % len(JOBS)]
            lake_root = work / f"trial-{trial}" / "lake"
            shutil.copytree(work / f"before-{job}" / "lake", lake_root)
            delay = rng.uniform(1.0, durations[job])
            started = time.monotonic()
            proc = start_job(job, lake_root, inputs, log)
            try:
                proc.wait(timeout=delay)
                killed = False
                durations[job] = max(1.5, time.monotonic() - started)  # later kills are drawn within its real run
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                killed = True
            run_job(job, lake_root, inputs, log)
            lake = open_at(lake_root)
            wrong = [t for t in JOBS[job] if table_rows(lake, t) != expected[job][t]]
            unreadable = {t: v for t in JOBS[job] if lake.exists(t) and (v := unreadable_versions(lake, t))}
            ok = not wrong and not unreadable
            mismatches += not ok
            rows.append((trial, job, delay, killed, ok, wrong, unreadable))
            print(f"trial {trial:2d} {job:<18} kill at {delay:5.1f}s {'killed' if killed else 'finished first':<14} "
                  f"{'OK' if ok else f'MISMATCH {wrong} unreadable {unreadable}'}", flush=True)
            shutil.rmtree(lake_root.parent)
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)
    killed = sum(1 for r in rows if r[3])
    print(f"\n{len(rows)} trials ({killed} killed mid-run), {mismatches} mismatches")
    print(bench_line("resilience.trials", len(rows), "trials"))
    print(bench_line("resilience.killed", killed, "trials"))
    print(bench_line("resilience.mismatches", mismatches, "trials"))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
