"""``make run``'s pipeline, timed: the pipeline's own seconds, steps not done, time per step and peak memory.

Protocol: ``spark-submit.sh --env local pipeline`` exactly as ``make run`` runs it (``conf/local.yaml``, the
default demo shop), in a fresh folder: its own lake, inputs, MLflow store and caches under a temp dir, the
dataset cache shared. ``--preset medium`` (about 1.2M events) runs the medium shop instead. The pipeline's
own seconds are the ``total`` of the summary it prints (its steps and their bookkeeping; starting the JVM
and Spark is not counted). A step is not done when it ended neither ``done`` nor ``up to date``: ``not
run: ...``, failed, or never reached after a failure. The driver's process tree (the submit script, the
JVM and its Python workers) is sampled for peak RSS. As the baseline in the same run, the demo data step
(the generator writing the input files) sets the pace: each step's time is also shown as a multiple of it.

    python bench/pipeline.py [--preset medium] [--users N] [--days N]

Ends with ``BENCH pipeline.local.seconds``, ``BENCH pipeline.local.steps_not_done`` (bar: 0) and
``BENCH pipeline.local.driver_peak_mb`` (``pipeline.medium.*`` with ``--preset medium``).
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
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support import bench_line  # noqa: E402

STEP_END = re.compile(r"\[\d+/(\d+)\] (\w+): (done in ([\d.]+)s|up to date|not run: .*|failed after [\d.]+s)")
SUMMARY_TOTAL = re.compile(r"^  total +([\d.]+)s$")


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


@dataclass
class PipelineRun:
    """What a pipeline's output says: each ended step as (name, outcome, seconds when done), how many steps
    it planned, and its summary's total seconds (``None`` when the run ended without its summary)."""

    steps: list[tuple[str, str, float | None]] = field(default_factory=list)
    planned: int = 0
    seconds: float | None = None

    @property
    def not_done(self) -> int:
        """Steps that ended neither done nor up to date or never ran; at least 1 when the run did not finish."""
        done = sum(1 for _, outcome, _ in self.steps if outcome.startswith(("done in ", "up to date")))
        return max(self.planned - done, 0 if self.seconds is not None else 1)


def parse_output(text: str) -> PipelineRun:
    """The step outcomes and total of a pipeline's log and summary (see ``shoplake.pipeline``)."""
    run = PipelineRun()
    for line in text.splitlines():
        if found := STEP_END.search(line):
            run.planned = int(found.group(1))
            run.steps.append((found.group(2), found.group(3), float(found.group(4)) if found.group(4) else None))
        elif found := SUMMARY_TOTAL.match(line):
            run.seconds = float(found.group(1))
    return run


def run_pipeline(work: Path, args: list[str]) -> tuple[PipelineRun, float, int]:
    """Run the pipeline; what its output says, the peak MB of its process tree and its exit code."""
    log_path = work / "pipeline.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(ROOT / "spark-submit.sh"), "--env", "local", "pipeline", *args], cwd=work,
                                   env=pipeline_env(work), stdout=log, stderr=subprocess.STDOUT)
        memory = TreeMemory(process.pid)
        code = process.wait()
    return parse_output(log_path.read_text(errors="replace")), memory.stop(), code


def print_steps(run: PipelineRun, preset: str) -> None:
    """Each step's seconds and multiple of the demo data step's, or its outcome."""
    pace = next((seconds for name, _, seconds in run.steps if name == "demo_data"), None)
    print(f"{'step':<20}{'seconds':>10}{'x demo_data':>13}   ({psutil.cpu_count()} cores, {preset})")
    for name, outcome, seconds in run.steps:
        if seconds is None:
            print(f"{name:<20}  {outcome}")
        else:
            ratio = f"{seconds / pace:12.2f}x" if pace else ""
            print(f"{name:<20}{seconds:>10.1f}{ratio:>13}")


def figure_lines(run: PipelineRun, name: str, peak_mb: float) -> list[str]:
    """The BENCH lines of a run: its own seconds (when it finished), its steps not done and its peak MB."""
    seconds = [bench_line(f"pipeline.{name}.seconds", run.seconds, "s")] if run.seconds is not None else []
    return seconds + [bench_line(f"pipeline.{name}.steps_not_done", run.not_done, "steps"),
                      bench_line(f"pipeline.{name}.driver_peak_mb", peak_mb, "MB")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=("small", "medium", "large"),
                        help="demo shop size (default: make run's demo shop, figures named pipeline.local.*)")
    parser.add_argument("--users", type=int)
    parser.add_argument("--days", type=int)
    args = parser.parse_args()
    name = args.preset or "local"
    extra = [flag for name, value in (("--preset", args.preset), ("--users", args.users), ("--days", args.days))
             if value for flag in (name, str(value))]
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        run, peak, code = run_pipeline(work, extra)
        print_steps(run, f"preset {args.preset}" if args.preset else "make run's demo shop")
        if run.seconds is not None:
            print(f"{'total':<20}{run.seconds:>10.1f}")
        print(f"driver process tree peak {peak:.0f} MB")
        print("\n".join(figure_lines(run, name, peak)))
        if code != 0:
            print(f"the pipeline exited with {code}; log: {work / 'pipeline.log'}", file=sys.stderr)
            return code
        shutil.rmtree(work, ignore_errors=True)
        return 0
    except BaseException:
        print(f"work folder kept: {work}", file=sys.stderr)
        raise


if __name__ == "__main__":
    sys.exit(main())
