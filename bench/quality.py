"""Benchmark the data-quality suites: seconds per table of one Great Expectations validation
(every check of the table's suite), against one hand-written Spark pass over the same table.

Protocol: one SparkSession (the config's master). Generate a shop of about ``--events``
clickstream events, ingest it bronze -> silver -> gold into a fresh lake, then
  1. shoplake: ``check_tables`` on every table (one GE validation each, results appended to
     ``ops.dq_results``, Data Docs built and logged to a temporary MLflow store);
  2. baseline: per table, one Spark aggregation of the same version computing the row count, the
     null count of every column and the distinct count of its key columns (no GE, no recording).
The ratio is baseline seconds / shoplake seconds over all tables (1.0: GE costs no more than one pass).

    python bench/quality.py [--events 300000] [--env local]

Ends with ``BENCH quality.all_tables_s``, ``BENCH quality.events_table_s`` (silver.events),
``BENCH quality.vs_one_pass`` and ``BENCH quality.driver_peak_mb``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyspark.sql import functions as F  # noqa: E402

from bench.support import SHOP_START, DriverMemory, bench_line  # noqa: E402
from shoplake.catalog import SILVER_EVENTS, TABLES  # noqa: E402
from shoplake.config import load_config  # noqa: E402
from shoplake.datasets.generator import generate, make_config  # noqa: E402
from shoplake.ingest.load_catalog import ingest_catalog  # noqa: E402
from shoplake.ingest.load_clickstream import ingest_clickstream  # noqa: E402
from shoplake.gold.build import build_gold  # noqa: E402
from shoplake.ingest.load_orders import ingest_orders  # noqa: E402
from shoplake.lake import open_lake  # noqa: E402
from shoplake.quality import check_tables  # noqa: E402
from shoplake.session import build_session  # noqa: E402

KEY = b"bench-key"
EVENTS_PER_MEDIUM_USER = 46.4  # the medium preset: 25,000 users, 91 days, about 1.16M events


def one_pass(lake, table: str, version: int) -> float:
    """Seconds of one aggregation: rows, nulls per column, distinct keys."""
    df = lake.read(table, version=version)
    keys = [c for key in TABLES[table].keys for c in key]
    started = time.monotonic()
    df.agg(F.count("*"), *[F.count_if(F.col(c).isNull()) for c in df.columns],
           *([F.count_distinct(*[F.col(c) for c in keys])] if keys else [])).collect()
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000, help="clickstream events to generate")
    parser.add_argument("--env", default="local")
    args = parser.parse_args()
    settings = load_config(args.env, environ=os.environ)
    spark = build_session(settings)
    work = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    try:
        cfg = replace(settings, lake=replace(settings.lake, root=str(work / "lake")),
                      paths=replace(settings.paths, inputs=str(work / "inputs")),
                      mlflow=replace(settings.mlflow, tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
                                     artifact_root=str(work / "mlartifacts")),
                      quality=replace(settings.quality, freshness_max_delay_hours=24 * 365 * 20))
        users = max(1000, int(args.events / EVENTS_PER_MEDIUM_USER))
        print(f"generating and ingesting {users:,} users ...", flush=True)
        config = make_config("medium", users=users, start_date=SHOP_START)
        generate(spark, config, cfg.paths.inputs, str(work / "truth"), cfg.paths.cache)
        lake = open_lake(spark, cfg)
        for load in (ingest_clickstream, ingest_orders, ingest_catalog):
            load(lake, cfg, KEY)
        build_gold(lake, cfg)
        with DriverMemory() as memory:
            started = time.monotonic()
            run = check_tables(lake, cfg)
            total_s = time.monotonic() - started
            baseline = {t.table: one_pass(lake, t.table, t.version) for t in run.tables}
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'table':<28} {'rows':>9} {'checks':>7} {'GE s':>7} {'1 pass s':>9} {'failed':>7}")
    for t in run.tables:
        rows = next((r.observed() for r in t.results if r.check == "volume"), 0)
        print(f"{t.table:<28} {rows:>9,} {len(t.results):>7} {t.seconds:>7.1f} {baseline[t.table]:>9.2f} "
              f"{len(t.failed) + len(t.warnings):>7}")
    ge_s = sum(t.seconds for t in run.tables)
    print(f"whole run incl. results, Data Docs and MLflow: {total_s:.1f}s")
    print(bench_line("quality.all_tables_s", total_s, "s"))
    print(bench_line("quality.events_table_s", next(t.seconds for t in run.tables if t.table == SILVER_EVENTS), "s"))
    print(bench_line("quality.vs_one_pass", sum(baseline.values()) / ge_s, "ratio"))
    print(bench_line("quality.driver_peak_mb", memory.peak_mb, "MB"))


if __name__ == "__main__":
    main()
