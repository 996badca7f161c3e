"""Benchmark: the lake (delta-rs backend) against plain Parquet written and read by Spark.

Protocol: one generated clickstream DataFrame (default 5,000,000 rows, partitioned by event_date
over 30 days) is cached, then, after a small warm-up of both paths,

1. written once with ``df.write.partitionBy("event_date").parquet`` and once with ``lake.append``;
2. read back by both (a count, then revenue per event_type and day);
3. merged: 10% of the rows, with changed prices, upserted on ``event_id`` with ``lake.merge``.

It prints rows/s for each step and the lake/Parquet ratios, and the peak resident memory of the
driver (this Python process plus the Spark JVM, sampled every 100 ms with psutil; in local mode
that JVM also runs the executors). The last lines are ``BENCH <name> <value> <unit>``.

    python bench/lake_write.py [--rows N] [--env local]      (or SHOPLAKE_BENCH_ROWS=N)
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

import psutil
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from shoplake.config import load_config
from shoplake.lake import open_lake
from shoplake.session import build_session

EVENT_TYPES = ["page_view", "product_view", "search", "add_to_cart", "remove_from_cart", "begin_checkout", "purchase"]
DEVICES = ["mobile", "desktop", "tablet"]
CHANNELS = ["organic", "paid_search", "email", "social", "direct"]
START = 1_704_067_200  # 2024-01-01T00:00:00Z
DAYS = 30


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


def read_back(df: DataFrame) -> int:
    """The read workload: a count, then revenue per event type and day."""
    count = df.count()
    df.groupBy("event_type", "event_date").agg(F.sum(F.col("price") * F.col("quantity"))).collect()
    return count


class PeakMemory:
    """Peak RSS of this process plus the Spark driver JVM (its python workers excluded)."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.peak_python = self.peak_total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _jvms(self) -> list[psutil.Process]:
        return [p for p in self.me.children(recursive=True) if p.name() == "java"]

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            try:
                python = self.me.memory_info().rss
                total = python + sum(p.memory_info().rss for p in self._jvms())
            except psutil.Error:
                continue
            self.peak_python, self.peak_total = max(self.peak_python, python), max(self.peak_total, total)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Timed:
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def timed(rows: int, action) -> Timed:
    start = time.perf_counter()
    action()
    return Timed(rows, time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("SHOPLAKE_BENCH_ROWS", 5_000_000)))
    parser.add_argument("--env", default="local", help="config environment for the Spark session (default: local)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="shoplake-bench-")
    settings = load_config(args.env, environ=os.environ, overrides={"lake.root": f"{work}/lake", "spark.ui": False})
    quiet = {**settings.spark.conf, "spark.ui.showConsoleProgress": "false"}
    settings = dataclasses.replace(settings, spark=dataclasses.replace(settings.spark, conf=quiet))
    spark = build_session(settings)
    lake = open_lake(spark, settings)
    print(f"lake backend {lake.backend}, {args.rows:,} rows, Spark {spark.version} {spark.sparkContext.master}", flush=True)
    try:
        with PeakMemory() as memory:
            warm = clickstream(spark, 100_000)
            warm.write.partitionBy("event_date").parquet(f"{work}/warm.parquet")
            lake.append(warm, "bronze.warmup", partition_by=["event_date"])
            read_back(spark.read.parquet(f"{work}/warm.parquet")), read_back(lake.read("bronze.warmup"))

            events = clickstream(spark, args.rows).persist(StorageLevel.MEMORY_AND_DISK)
            events.count()
            parquet_path = f"{work}/events.parquet"
            write_parquet = timed(args.rows, lambda: events.write.partitionBy("event_date").parquet(parquet_path))
            write_lake = timed(args.rows, lambda: lake.append(events, "bronze.events", partition_by=["event_date"]))
            read_parquet = timed(args.rows, lambda: read_back(spark.read.parquet(parquet_path)))
            read_lake = timed(args.rows, lambda: read_back(lake.read("bronze.events")))

            updates = events.where(F.pmod(F.xxhash64("event_id"), 10) == 0).withColumn("price", F.col("price") + 1.0)
            updates = updates.persist(StorageLevel.MEMORY_AND_DISK)
            updated = updates.count()
            merge = timed(updated, lambda: lake.merge(updates, "bronze.events", keys=["event_id"]))
            assert lake.read("bronze.events").count() == args.rows, "the merge changed the row count"
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)

    def line(label: str, t: Timed) -> None:
        print(f"  {label:<28} {t.rows:>12,} rows {t.seconds:>8.1f} s {t.rate:>14,.0f} rows/s")

    line("write: df.write.parquet", write_parquet)
    line("write: lake.append", write_lake)
    line("read:  spark.read.parquet", read_parquet)
    line("read:  lake.read", read_lake)
    line("merge: lake.merge (10%)", merge)
    print(f"  driver peak RSS: python {memory.peak_python / 2**20:,.0f} MB, python + JVM {memory.peak_total / 2**20:,.0f} MB")
    print(f"BENCH lake.append_vs_parquet {write_lake.rate / write_parquet.rate:.3f} ratio")
    print(f"BENCH lake.read_vs_parquet {read_lake.rate / read_parquet.rate:.3f} ratio")
    print(f"BENCH lake.merge_rows_per_s {merge.rate:.0f} rows/s")
    print(f"BENCH lake.driver_peak_mb {memory.peak_total / 2**20:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
