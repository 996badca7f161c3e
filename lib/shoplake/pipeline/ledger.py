"""``ops.pipeline_runs``: per pipeline run and step, what it read and wrote and how it ended.

One row per step and run: the Delta version of every table the step read and wrote, the
MLflow run ids it created, its figures, status (succeeded, failed, skipped) and timing. A model
in MLflow can so be traced back to the exact table versions it was trained on, and a re-run
can tell which steps are already up to date.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence

from pyspark.sql import functions as F

from shoplake.catalog import OPS_PIPELINE_RUNS, table
from shoplake.lake import Lake
from shoplake.pipeline.dag import StepResult

SCHEMA = table(OPS_PIPELINE_RUNS).struct()


class LakeLedger:
    """Records step runs of one pipeline run in ``ops.pipeline_runs``."""

    def __init__(self, lake: Lake, pipeline_run_id: str | None = None):
        self.lake = lake
        self.pipeline_run_id = pipeline_run_id or uuid.uuid4().hex

    def versions(self, tables: Sequence[str]) -> dict[str, int]:
        """The current version of each existing table among ``tables``."""
        return {table: self.lake.version(table) for table in tables if self.lake.exists(table)}

    def is_current(self, step: str, reads: Mapping[str, int]) -> bool:
        """True when the step's last successful run read ``reads`` and its outputs are unchanged since."""
        last = self.last_success(step)
        if last is None or dict(last["reads"] or {}) != dict(reads):
            return False
        written = dict(last["writes"] or {})
        return self.versions(list(written)) == written

    def last_success(self, step: str):
        """The latest succeeded or skipped row of ``step``, or None."""
        if not self.lake.exists(OPS_PIPELINE_RUNS):
            return None
        rows = (self.lake.read(OPS_PIPELINE_RUNS)
                .filter((F.col("step") == step) & F.col("status").isin("succeeded", "skipped"))
                .orderBy(F.col("started_at").desc()).limit(1).collect())
        return rows[0] if rows else None

    def record(self, result: StepResult, status: str, started: float, error: str | None = None) -> None:
        """Append one row for ``result``."""
        figures = dict(result.figures)
        run_ids = [str(r) for r in figures.pop("mlflow_run_ids", [])]
        row = (self.pipeline_run_id, result.name, status, dt.datetime.fromtimestamp(started), float(result.seconds),
               dict(result.reads), dict(result.writes), run_ids, {k: str(v) for k, v in figures.items()}, error)
        self.lake.append(self.lake.spark.createDataFrame([row], SCHEMA), OPS_PIPELINE_RUNS)

    def steps_of_run(self) -> list:
        """This pipeline run's rows, in the order the steps started."""
        return (self.lake.read(OPS_PIPELINE_RUNS).filter(F.col("pipeline_run_id") == self.pipeline_run_id)
                .orderBy("started_at").collect())
