"""Benchmark: the lake's two Delta backends (embedded delta-rs, Delta's JVM connector delta-spark) side by side,
and each against plain Parquet written and read by Spark, on the same rows in one session.

Protocol: one generated clickstream DataFrame (default 5,000,000 rows, partitioned by event_date over 30
days) is cached, and 10% of its rows, with changed prices, are the updates. After a warm-up of every path
on 100,000 rows, each of ``--rounds`` rounds gives each contender a fresh table in its own folder and times

1. the write: ``df.write.partitionBy("event_date").parquet`` against ``lake.append`` (delta-rs, delta-spark);
2. the read: a count, then revenue per event_type and day, of ``spark.read.parquet`` and ``lake.read``;
3. the merge: the updates upserted on ``event_id`` with ``lake.merge``; plain Parquet has no merge, so its
   baseline rewrites the table whole (the rows without an update, plus the updates) into a new folder.

Round 1 runs parquet, delta-rs, delta-spark at each step, round 2 the reverse, and so on (neither pays for
cold caches alone); each contender keeps its best time per step. After the merges every table is checked
to hold the same rows and revenue. The session is the config's (``--env``, default ``local``) plus
delta-spark's jars and Delta's session extension and catalog; Delta's snapshot partitions (50 by default)
and file-listing parallelism (10,000 by default) are set to 2, as on a laptop, in that one session both
backends share. Driver memory is the RSS of this process plus the Spark JVM, sampled during each step; the
JVM is shared, so a backend's peak includes heap an earlier step grew.

Throughputs are rows/s (the merge counts the update rows); a ratio above 1 favours the first-named side.
``lake.append_vs_parquet``, ``lake.read_vs_parquet``, ``lake.merge_rows_per_s`` and ``lake.driver_peak_mb``
are the delta-rs backend's; ``lake.deltars_vs_deltaspark.*`` above 1 means delta-rs is faster.

    python bench/lake_write.py [--rows N] [--rounds 2] [--env local]      (or SHOPLAKE_BENCH_ROWS=N)
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyspark import StorageLevel  # noqa: E402
from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from bench.support import DriverMemory, baseline_line, bench_line  # noqa: E402
from shoplake.config import Settings, load_config  # noqa: E402
from shoplake.lake import open_lake  # noqa: E402
from shoplake.session import build_session  # noqa: E402
from shoplake.session.factory import DELTA_EXTENSION_CLASS  # noqa: E402

EVENT_TYPES = ["page_view", "product_view", "search", "add_to_cart", "remove_from_cart", "begin_checkout", "purchase"]
DEVICES = ["mobile", "desktop", "tablet"]
CHANNELS = ["organic", "paid_search", "email", "social", "direct"]
START = 1_704_067_200  # 2024-01-01T00:00:00Z
DAYS = 30

DELTA_SPARK = "io.delta:delta-spark_2.13:4.0.1"
DELTA_CONF = {
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    # Delta's defaults size these for a cluster: 50 partitions to rebuild a table's state, 10,000
    # tasks to list files in parallel; a laptop's 2 cores want 2 of each
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "2",
    "spark.ui.showConsoleProgress": "false",
}
BACKENDS = ("delta-rs", "delta-spark")
CONTENDERS = ("parquet", *BACKENDS)
STEPS = ("append", "read", "merge")


def clickstream(spark: SparkSession, rows: int) -> DataFrame:
    """``rows`` deterministic clickstream events spread over :data:`DAYS` days."""

    def pick(values: list[str], seed: int):
        return F.element_at(F.array(*map(F.lit, values)), (F.pmod(F.xxhash64("id", F.lit(seed)), len(values)) + 1).cast("int"))

    def bucket(seed: int, size: int):
        return F.pmod(F.xxhash64("id", F.lit(seed)), size)

    events = spark.range(rows).select(
        F.md5(F.col("id").cast("string")).alias("event_id"),
        F.timestamp_seconds(F.lit(START) + bucket(1, DAYS * 86400)).alias("event_time"),
        F.concat(F.lit("u"), bucket(2, 200_000).cast("string")).alias("user_id"),
        F.concat(F.lit("s"), bucket(3, 1_000_000).cast("string")).alias("session_id"),
        pick(EVENT_TYPES, 4).alias("event_type"),
        F.concat(F.lit("p"), bucket(5, 50_000).cast("string")).alias("product_id"),
        (bucket(6, 100_000) / 100.0).alias("price"),
        (bucket(7, 5) + 1).cast("int").alias("quantity"),
        pick(DEVICES, 8).alias("device"),
        pick(CHANNELS, 9).alias("channel"),
    )
    return events.withColumn("event_date", F.to_date("event_time"))


def price_updates(events: DataFrame) -> DataFrame:
    """A tenth of ``events`` (by ``event_id``), each one's price raised by 1.0."""
    return events.where(F.pmod(F.xxhash64("event_id"), 10) == 0).withColumn("price", F.col("price") + 1.0)


def read_back(df: DataFrame) -> int:
    """The read workload: a count, then revenue per event type and day."""
    count = df.count()
    df.groupBy("event_type", "event_date").agg(F.sum(F.col("price") * F.col("quantity"))).collect()
    return count


def with_delta_spark(settings: Settings) -> Settings:
    """``settings`` whose session also carries delta-spark (jars, extension, catalog), sized for a laptop."""
    spark = settings.spark
    has_delta = any(p.startswith("io.delta:delta-spark") for p in spark.packages)
    packages = spark.packages if has_delta else (*spark.packages, DELTA_SPARK)
    extensions = [e for e in spark.conf.get("spark.sql.extensions", "").split(",") if e]
    extensions += [DELTA_EXTENSION_CLASS] if DELTA_EXTENSION_CLASS not in extensions else []
    conf = {**spark.conf, **DELTA_CONF, "spark.sql.extensions": ",".join(extensions)}
    return replace(settings, spark=replace(spark, packages=tuple(packages), conf=conf))


class ParquetFolders:
    """The baseline, called like the lake: each table is a folder of Parquet files written and read by Spark.

    Plain Parquet cannot update rows in place, so :meth:`merge` writes the table anew into the next folder:
    the rows whose keys are not in ``df``, plus ``df``.
    """

    backend = "parquet"

    def __init__(self, spark: SparkSession, root: str):
        self.spark, self.root = spark, root
        self.versions: dict[str, int] = {}
        self.partitioning: dict[str, list[str]] = {}

    def path(self, name: str) -> str:
        """The folder of table ``name``; each of its versions is a subfolder."""
        return f"{self.root}/{name}"

    def _files(self, name: str) -> str:
        return f"{self.path(name)}/v{self.versions[name]}"

    def append(self, df: DataFrame, name: str, *, partition_by: Sequence[str] = ()) -> None:
        self.versions.setdefault(name, 0)
        self.partitioning.setdefault(name, list(partition_by))
        df.write.mode("append").partitionBy(*self.partitioning[name]).parquet(self._files(name))

    def read(self, name: str) -> DataFrame:
        return self.spark.read.parquet(self._files(name))

    def merge(self, df: DataFrame, name: str, keys: Sequence[str]) -> None:
        kept = self.read(name).join(df.select(*keys), list(keys), "left_anti")
        self.versions[name] += 1
        kept.unionByName(df).write.partitionBy(*self.partitioning[name]).parquet(self._files(name))


@dataclass
class Timed:
    """One timed step: rows handled, wall seconds and the driver's peak memory (MB) meanwhile."""

    rows: int
    seconds: float
    peak_mb: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def timed(rows: int, action: Callable[[], object]) -> Timed:
    """Run ``action`` once; its wall time and the driver's peak memory meanwhile."""
    with DriverMemory() as memory:
        start = time.perf_counter()
        action()
        seconds = time.perf_counter() - start
    return Timed(rows, seconds, memory.peak_mb)


def run_round(stores: dict, order: Sequence[str], table: str, events: DataFrame, updates: DataFrame,
              rows: int, updated: int) -> dict:
    """Every step for every contender in ``order``, each on a fresh ``table``: {(step, contender): Timed}."""
    actions = {
        "append": lambda store: store.append(events, table, partition_by=["event_date"]),
        "read": lambda store: read_back(store.read(table)),
        "merge": lambda store: store.merge(updates, table, keys=["event_id"]),
    }
    return {(step, name): timed(updated if step == "merge" else rows, lambda: actions[step](stores[name]))
            for step in STEPS for name in order}


def scratch_table(label: object) -> str:
    """A table of the benchmark's throw-away lakes, not one of the shop's catalogued tables."""
    return f"bronze.events_{label}"


def check_merged(stores: dict, table: str, rows: int, revenue: float) -> None:
    """Every contender's merged ``table`` holds ``rows`` rows and the expected sum of prices."""
    for name, store in stores.items():
        count, total = store.read(table).agg(F.count("*"), F.sum("price")).first()
        if count != rows or not math.isclose(total, revenue, rel_tol=1e-7):
            raise SystemExit(f"{name}: the merged table has {count:,} rows and prices summing to {total:.2f}, "
                             f"expected {rows:,} and {revenue:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("SHOPLAKE_BENCH_ROWS", 5_000_000)))
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds, alternating the order (best kept)")
    parser.add_argument("--env", default="local", help="config environment for the Spark session (default: local)")
    args = parser.parse_args()
    if args.rows < 10 or args.rounds < 1:
        parser.error("--rows must be >= 10 and --rounds >= 1")
    work = tempfile.mkdtemp(prefix="shoplake-bench-")
    settings = with_delta_spark(load_config(args.env, environ=os.environ, overrides={"spark.ui": False}))
    spark = build_session(settings)
    stores = {"parquet": ParquetFolders(spark, f"{work}/parquet")}
    for backend in BACKENDS:
        lake = replace(settings.lake, backend=backend, root=f"{work}/{backend}")
        stores[backend] = open_lake(spark, replace(settings, lake=lake))
    print(f"{args.rows:,} rows, {args.rounds} round(s), Spark {spark.version} {spark.sparkContext.master}", flush=True)
    best: dict = {}
    peaks: dict[str, float] = {}
    try:
        warm = clickstream(spark, 100_000).persist(StorageLevel.MEMORY_AND_DISK)
        warm_updates = price_updates(warm).persist(StorageLevel.MEMORY_AND_DISK)
        run_round(stores, CONTENDERS, scratch_table("warmup"), warm, warm_updates, 100_000, warm_updates.count())

        events = clickstream(spark, args.rows).persist(StorageLevel.MEMORY_AND_DISK)
        updates = price_updates(events).persist(StorageLevel.MEMORY_AND_DISK)
        updated, revenue = updates.count(), events.agg(F.sum("price")).first()[0]
        for round_no in range(args.rounds):
            order = CONTENDERS if round_no % 2 == 0 else CONTENDERS[::-1]
            table = scratch_table(round_no)
            print(f"round {round_no + 1}/{args.rounds}: {', '.join(order)} ...", flush=True)
            for key, result in run_round(stores, order, table, events, updates, args.rows, updated).items():
                best[key] = min(best.get(key, result), result, key=lambda t: t.seconds)
                peaks[key[1]] = max(peaks.get(key[1], 0.0), result.peak_mb)
            check_merged(stores, table, args.rows, revenue + updated * 1.0)
            for store in stores.values():
                shutil.rmtree(store.path(table))
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(best, peaks)


def report(best: dict, peaks: dict[str, float]) -> None:
    """The table of best times, each contender's peak driver memory and the ``BENCH`` / ``BASELINE`` lines."""
    labels = {"append": "write", "read": "read", "merge": "merge (10%)"}
    for (step, name), t in sorted(best.items(), key=lambda item: (STEPS.index(item[0][0]), CONTENDERS.index(item[0][1]))):
        print(f"  {labels[step]:<12} {name:<12} {t.rows:>12,} rows {t.seconds:>8.1f} s {t.rate:>14,.0f} rows/s")

    def ratio(step: str, a: str, b: str) -> float:
        return best[step, a].rate / best[step, b].rate

    print("  driver peak RSS (python + JVM) during each one's timed steps: "
          + ", ".join(f"{name} {peaks[name]:,.0f} MB" for name in CONTENDERS))
    lines = []
    for backend in BACKENDS:
        tag = backend.replace("-", "")
        lines += [bench_line(f"lake.{tag}.{step}_vs_parquet", ratio(step, backend, "parquet"), "ratio") for step in STEPS]
    lines += [bench_line(f"lake.deltars_vs_deltaspark.{step}", ratio(step, "delta-rs", "delta-spark"), "ratio") for step in STEPS]
    lines += [
        bench_line("lake.append_vs_parquet", ratio("append", "delta-rs", "parquet"), "ratio"),
        bench_line("lake.read_vs_parquet", ratio("read", "delta-rs", "parquet"), "ratio"),
        bench_line("lake.merge_rows_per_s", best["merge", "delta-rs"].rate, "rows/s"),
        baseline_line("lake.merge_rows_per_s", best["merge", "delta-spark"].rate, "rows/s (delta-spark)"),
        bench_line("lake.driver_peak_mb", peaks["delta-rs"], "MB"),
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
