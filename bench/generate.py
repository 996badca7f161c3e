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
import tempfile
import threading
import time

import psutil

from shoplake.config import load_config
from shoplake.datasets.generator import generate, make_config
from shoplake.session import build_session


class DriverMemory:
    """Peak RSS (MB) of this process plus its JVM child, sampled in a background thread."""

    def __init__(self, every_s: float = 0.2):
        self.every_s, self.peak_mb = every_s, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            processes = [me] + [c for c in me.children() if c.name().startswith("java")]
            total = sum(p.memory_info().rss for p in processes if p.is_running())
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._stop.wait(self.every_s)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


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
        config = make_config(preset)
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
    print(f"BENCH generate.events_per_s_per_core {results[-1][3]:.0f} events/s")
    print(f"BENCH generate.driver_peak_mb {max(r[4] for r in results):.0f} MB")


if __name__ == "__main__":
    main()
