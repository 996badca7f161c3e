"""Shared by the benchmarks: their optional packages, the generated shop's dates, peak driver memory and
the ``BENCH <name> <value> <unit>`` lines."""
from __future__ import annotations

import importlib.util
import sys
import threading
from datetime import date
from pathlib import Path

import psutil

# the first day of every shop a benchmark generates: the same shop, so the same figures, on any day
SHOP_START = date(2024, 1, 1)


def require(*packages: str) -> None:
    """Exit with a one-line message unless every one of ``packages`` is installed; call it before any work.

    The packages are only looked up, not imported (the benchmark imports them where it uses them).
    """
    missing = [name for name in packages if importlib.util.find_spec(name) is None]
    if missing:
        raise SystemExit(f"bench/{Path(sys.argv[0]).name} needs {', '.join(missing)}, not installed: "
                         "run `make bench`, which installs the benchmarks' extras (.[bench])")


class DriverMemory:
    """Peak RSS (MB) of this process plus its JVM child, sampled in a background thread.

    In local mode the JVM is the driver (executors are its threads; Python workers are not
    counted). Use as a context manager; ``peak_mb`` holds the peak seen.
    """

    def __init__(self, every_s: float = 0.2):
        self.every_s, self.peak_mb = every_s, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me] + [c for c in me.children() if c.name().startswith("java")]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._stop.wait(self.every_s)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _number(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) and abs(value) < 1000 else f"{round(value)}"


def bench_line(name: str, value: float, unit: str) -> str:
    """One collectable figure: ``BENCH <name> <value> <unit>``."""
    return f"BENCH {name} {_number(value)} {unit}"


def baseline_line(name: str, value: float, unit: str) -> str:
    """What figure ``name`` is compared with, measured in the same run: ``BASELINE <name> <value> <unit>``."""
    return f"BASELINE {name} {_number(value)} {unit}"
