"""Benchmark ingest: events per second per core through bronze → silver → gold, against the
same transforms written to plain Parquet in the same run, and peak driver memory.

Protocol: one SparkSession (the config's master), warmed up on a small shop first. For each size
(default 1M and 5M clickstream events; generator users scaled to reach it) generate a shop once,
then time each of these ``--rounds`` times, alternating which goes first, and keep each one's best:
  1. shoplake: ``ingest_clickstream`` + ``ingest_orders`` + ``build_gold`` into a fresh Delta lake
     (exactly-once micro-batches, merges into silver, one Delta commit per write);
  2. baseline: the same parse, quarantine, de-duplication, sessions, latest order state and gold
     transforms, each table written once with ``df.write.parquet`` (no transaction log, no merge).
Throughput counts the clickstream events read. Driver memory is sampled over both runs.

    python bench/ingest.py [--sizes 1000000,5000000] [--env local]

Ends with ``BENCH ingest.events_per_s_per_core``, ``BENCH ingest.vs_parquet`` (shoplake
throughput / Parquet throughput at the largest size) and ``BENCH ingest.driver_peak_mb``.
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

from pyspark import StorageLevel  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from bench.support import SHOP_START, DriverMemory, baseline_line, bench_line  # noqa: E402
from shoplake.config import load_config  # noqa: E402
from shoplake.datasets.generator import generate, make_config  # noqa: E402
from shoplake.ingest.clickstream import clickstream_rules, first_per_key, sessionize, sessions  # noqa: E402
from shoplake.gold.transforms import daily_item_sales, funnel_daily, user_features, user_item_interactions  # noqa: E402
from shoplake.ingest.layers import parse_batch, quarantined, to_bronze, valid  # noqa: E402
from shoplake.ingest.load_clickstream import ingest_clickstream, silver_events  # noqa: E402
from shoplake.gold.build import build_gold  # noqa: E402
from shoplake.ingest.load_orders import ingest_orders, silver_orders  # noqa: E402
from shoplake.ingest.orders import order_lines, order_rules  # noqa: E402
from shoplake.ingest.parse import arrival_time  # noqa: E402
from shoplake.lake import open_lake  # noqa: E402
from shoplake.schemas import CLICKSTREAM, ORDERS  # noqa: E402
from shoplake.session import build_session  # noqa: E402

KEY = b"bench-key"
EVENTS_PER_MEDIUM_USER = 38.4  # the medium preset's 91 days: 21,551 users made 827,689 events


def shoplake_ingest(spark, settings) -> None:
    lake = open_lake(spark, settings)
    ingest_clickstream(lake, settings, KEY)
    ingest_orders(lake, settings, KEY)
    build_gold(lake, settings)


def parquet_ingest(spark, settings, out: str) -> None:
    """The same transforms, each table written once as plain Parquet."""
    cached = []
    def land(source, contract, rules):
        lines = spark.read.text(f"{settings.paths.inputs}/{source}", recursiveFileLookup=True).select(
            "value", F.col("_metadata.file_path").alias("_source_file"))
        to_bronze(lines, 0).write.parquet(f"{out}/bronze/{source}")
        parsed = parse_batch(spark.read.parquet(f"{out}/bronze/{source}"), contract, rules, settings.ingest).persist(
            StorageLevel.DISK_ONLY)  # as shoplake's batches: a cache larger than the heap
        cached.append(parsed)
        quarantined(parsed, source).write.mode("append").parquet(f"{out}/bronze/quarantine")
        return valid(parsed, contract)

    arrival = arrival_time(F.col("_source_file"))
    events = silver_events(land("clickstream", CLICKSTREAM, clickstream_rules(arrival, 10)), KEY)
    first_per_key(events, "event_id", [F.col("event_time")]).write.partitionBy("event_date").parquet(f"{out}/silver/events")
    events = spark.read.parquet(f"{out}/silver/events")
    sessions(sessionize(events, 30)).write.parquet(f"{out}/silver/sessions")
    silver_orders(land("orders", ORDERS, order_rules(arrival, 10)), KEY).write.parquet(f"{out}/silver/orders")
    order_lines(spark.read.parquet(f"{out}/silver/orders")).write.parquet(f"{out}/silver/order_lines")
    sess, lines = spark.read.parquet(f"{out}/silver/sessions"), spark.read.parquet(f"{out}/silver/order_lines")
    daily_item_sales(lines).write.parquet(f"{out}/gold/daily_item_sales")
    user_item_interactions(events, settings.gold.interaction_weights).write.parquet(f"{out}/gold/interactions")
    user_features(sess, lines, sess.agg(F.max("session_end")).first()[0]).write.parquet(f"{out}/gold/user_features")
    funnel_daily(sess).write.parquet(f"{out}/gold/funnel_daily")
    for df in cached:
        df.unpersist()


def run_size(spark, settings, events_wanted: int, memory: DriverMemory | None, rounds: int) -> dict:
    """Generate a shop of about ``events_wanted`` events; time both ingests ``rounds`` times, alternating
    which goes first (neither always pays for cold caches); keep each one's best time."""
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        users = max(1000, int(events_wanted / EVENTS_PER_MEDIUM_USER))
        config = make_config("medium", users=users, start_date=SHOP_START)
        manifest = generate(spark, config, str(work / "inputs"), str(work / "truth"), settings.paths.cache)
        events = manifest["counts"]["clickstream_records"]
        cfg = replace(settings, lake=replace(settings.lake, root=str(work / "lake")),
                      paths=replace(settings.paths, inputs=str(work / "inputs")))
        runs = {"shoplake": lambda: shoplake_ingest(spark, cfg),
                "parquet": lambda: parquet_ingest(spark, cfg, str(work / "parquet"))}
        best = {name: float("inf") for name in runs}
        for round_no in range(rounds):
            for name in (["parquet", "shoplake"] if round_no % 2 == 0 else ["shoplake", "parquet"]):
                shutil.rmtree(work / "lake", ignore_errors=True)
                shutil.rmtree(work / "parquet", ignore_errors=True)
                print(f"[{events:,} events] round {round_no + 1}/{rounds}: {name} ...", flush=True)
                started = time.monotonic()
                runs[name]()
                best[name] = min(best[name], time.monotonic() - started)
        return {"events": events, "lake_s": best["shoplake"], "parquet_s": best["parquet"],
                "peak_mb": memory.peak_mb if memory else 0.0}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,5000000", help="comma-separated clickstream event counts")
    parser.add_argument("--env", default="local")
    parser.add_argument("--rounds", type=int, default=2, help="timed runs of each pipeline per size (best kept)")
    args = parser.parse_args()
    settings = load_config(args.env, environ=os.environ)
    spark = build_session(settings)
    cores = spark.sparkContext.defaultParallelism
    print("warm-up (JIT, Python workers) on a small shop, not timed ...", flush=True)
    run_size(spark, settings, 30_000, None, rounds=1)
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        with DriverMemory() as memory:
            results.append(run_size(spark, settings, size, memory, args.rounds))
    spark.stop()
    print(f"\n{'events':>11} {'shoplake s':>11} {'parquet s':>10} {'ev/s/core':>10} {'vs parquet':>11} {'driver MB':>10}"
          f"  ({cores} cores)")
    for r in results:
        print(f"{r['events']:>11,} {r['lake_s']:>11.1f} {r['parquet_s']:>10.1f} "
              f"{r['events'] / r['lake_s'] / cores:>10.0f} {r['parquet_s'] / r['lake_s']:>11.2f} {r['peak_mb']:>10.0f}")
    last = results[-1]
    print(bench_line("ingest.events_per_s_per_core", last["events"] / last["lake_s"] / cores, "events/s"))
    print(baseline_line("ingest.events_per_s_per_core", last["events"] / last["parquet_s"] / cores, "events/s (Parquet)"))
    print(bench_line("ingest.vs_parquet", last["parquet_s"] / last["lake_s"], "ratio"))
    print(bench_line("ingest.driver_peak_mb", max(r["peak_mb"] for r in results), "MB"))


if __name__ == "__main__":
    main()
