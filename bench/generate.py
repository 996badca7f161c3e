"""Benchmark the synthetic shop generator: events generated per second per core, and driver memory.

Protocol: one SparkSession (the config's master, all local cores by default); for each preset
(default: medium, about 1.2M events, then large, about 12M events) generate into a temporary
folder, time the whole ``generate`` call (catalogue, blocks, truth) and sample the resident
memory of the driver (this Python process plus its JVM; Python workers are executors and are
not counted) every 0.2 s. The output is deleted after each size. Driver memory must stay flat as
the size grows: nothing but per-block counts comes back to the driver.

    python bench/generate.py [--presets medium,large] [--env local]

Ends with ``BENCH generate.events_per_s_per_core <n> events/s`` (the largest size) and
``BENCH generate.driver_peak_mb <n> MB`` (the peak over all sizes).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import SHOP_START, DriverMemory, bench_line  # noqa: E402
from shoplake.config import load_config  # noqa: E402
from shoplake.datasets.generator import generate, make_config  # noqa: E402
from shoplake.session import build_session  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="medium,large", help="comma-separated generator presets to run")
    parser.add_argument("--env", default="local", help="config environment (default: local)")
    args = parser.parse_args()
    settings = load_config(args.env, environ=os.environ)
    spark = build_session(settings)
    cores = spark.sparkContext.defaultParallelism
    results = []
    for preset in args.presets.split(","):
        config = make_config(preset, start_date=SHOP_START)
        work = tempfile.mkdtemp(prefix=f"bench-generate-{preset}-")
        try:
            with DriverMemory() as memory:
                started = time.monotonic()
                manifest = generate(spark, config, os.path.join(work, "inputs"), os.path.join(work, "truth"),
                                    settings.paths.cache)
                seconds = time.monotonic() - started
        finally:
            shutil.rmtree(work, ignore_errors=True)
        events = manifest["counts"]["clickstream_records"]
        results.append((preset, events, seconds, events / seconds / cores, memory.peak_mb))
    spark.stop()
    header = f"{'preset':<8} {'events':>11} {'seconds':>8} {'events/s/core':>14} {'driver peak MB':>15}"
    print(f"\n{header}  ({cores} cores)")
    for preset, events, seconds, rate, peak in results:
        print(f"{preset:<8} {events:>11,} {seconds:>8.1f} {rate:>14,.0f} {peak:>15,.0f}")
    print(bench_line("generate.events_per_s_per_core", results[-1][3], "events/s"))
    print(bench_line("generate.driver_peak_mb", max(r[4] for r in results), "MB"))


if __name__ == "__main__":
    main()
