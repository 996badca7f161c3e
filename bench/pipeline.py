"""The whole pipeline on the ``medium`` preset (about 1.2M events): time per step and peak memory.

Protocol: ``spark-submit.sh --env local pipeline --preset medium`` in a fresh folder (its own
lake, inputs, MLflow store and caches under a temp dir, the dataset cache shared), exactly as
``make run`` runs it. The driver's process tree (the submit script, the JVM and its Python
workers) is sampled for peak RSS. As the baseline in the same run, the demo data step (the
generator writing the input files) sets the pace: each step's time is also shown as a multiple of it.

    python bench/pipeline.py [--preset medium] [--users N] [--days N]

Ends with ``BENCH pipeline.medium.seconds`` and ``BENCH pipeline.medium.driver_peak_mb``.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import bench_line  # noqa: E402

STEP_DONE = re.compile(r"\[(\d+)/(\d+)\] (\w+): (done in ([\d.]+)s|up to date|not run: .*)")


class TreeMemory:
    """Peak RSS (MB) of a process and all its descendants, sampled in a background thread."""

    def __init__(self, pid: int, every_s: float = 0.5):
        self.root, self.every_s, self.peak_mb = psutil.Process(pid), every_s, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                for process in [self.root, *self.root.children(recursive=True)]:
                    total += process.memory_info().rss
            except psutil.Error:
                pass
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._stop.wait(self.every_s)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def pipeline_env(work: Path) -> dict[str, str]:
    """Every output of the pipeline under ``work``; the dataset and model cache stays shared."""
    return dict(os.environ, SHOPLAKE_PYTHON=sys.executable,
                SHOPLAKE__LAKE__ROOT=str(work / "lake"), SHOPLAKE__PATHS__INPUTS=str(work / "inputs"),
                SHOPLAKE__MLFLOW__TRACKING_URI=f"sqlite:///{work}/mlflow.db",
                SHOPLAKE__MLFLOW__ARTIFACT_ROOT=str(work / "mlartifacts"),
                SHOPLAKE__DL__PETASTORM_CACHE_DIR=str(work / "petastorm"),
                SHOPLAKE__DL__CHECKPOINT_DIR=str(work / "checkpoints"),
                SHOPLAKE__REPORT__OUTPUT=str(work / "report.html"))


def run_pipeline(work: Path, args: list[str]) -> tuple[float, float, list[tuple[str, str]], int]:
    """Run the pipeline; its wall seconds, peak MB, (step, outcome) lines and exit code."""
    log_path = work / "pipeline.log"
    started = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(ROOT / "spark-submit.sh"), "--env", "local", "pipeline", *args], cwd=work,
                                   env=pipeline_env(work), stdout=log, stderr=subprocess.STDOUT)
        memory = TreeMemory(process.pid)
        code = process.wait()
    seconds, peak = time.monotonic() - started, memory.stop()
    steps = []
    for line in log_path.read_text(errors="replace").splitlines():
        found = STEP_DONE.search(line)
        if found:
            steps.append((found.group(3), found.group(5) or found.group(4)))
    return seconds, peak, steps, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--users", type=int)
    parser.add_argument("--days", type=int)
    args = parser.parse_args()
    extra = ["--preset", args.preset] + (["--users", str(args.users)] if args.users else []) + (
        ["--days", str(args.days)] if args.days else [])
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        seconds, peak, steps, code = run_pipeline(work, extra)
        if code != 0:
            print(f"the pipeline exited with {code}; log: {work / 'pipeline.log'}", file=sys.stderr)
            return code
        pace = next((float(t) for name, t in steps if name == "demo_data" and t.replace(".", "").isdigit()), None)
        print(f"{'step':<20}{'seconds':>10}{'x demo_data':>13}   ({psutil.cpu_count()} cores, preset {args.preset})")
        for name, outcome in steps:
            if outcome.replace(".", "").isdigit():
                ratio = f"{float(outcome) / pace:12.2f}x" if pace else ""
                print(f"{name:<20}{float(outcome):>10.1f}{ratio:>13}")
            else:
                print(f"{name:<20}  {outcome}")
        print(f"{'total (wall)':<20}{seconds:>10.1f}   driver process tree peak {peak:.0f} MB")
        print(bench_line(f"pipeline.{args.preset}.seconds", seconds, "s"))
        print(bench_line(f"pipeline.{args.preset}.driver_peak_mb", peak, "MB"))
        shutil.rmtree(work, ignore_errors=True)
        return 0
    except BaseException:
        print(f"work folder kept: {work}", file=sys.stderr)
        raise


if __name__ == "__main__":
    sys.exit(main())
