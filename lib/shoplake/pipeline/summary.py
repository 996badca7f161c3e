"""What the pipeline prints at the end: time per step, and where every output is."""
from __future__ import annotations

from collections.abc import Sequence

from shoplake.config import Settings
from shoplake.pipeline.dag import StepResult


def summary_lines(settings: Settings, results: Sequence[StepResult], pipeline_run_id: str,
                  seconds: float) -> list[str]:
    """Human-readable lines: one per step (time or skipped), the run's total ``seconds`` (the steps and
    their bookkeeping in ``ops.pipeline_runs``), then tables, report and MLflow UI."""
    width = max((len(r.name) for r in results), default=0)
    lines = [f"pipeline run {pipeline_run_id}: {len(results)} step(s)"]
    for r in results:
        outcome = "skipped (up to date)" if r.skipped else f"not run: {r.not_run}" if r.not_run else f"{r.seconds:7.1f}s"
        lines.append(f"  {r.name:<{width}}  {outcome}")
    lines.append(f"  {'total':<{width}}  {seconds:7.1f}s")
    written = sorted({table for r in results for table in r.writes})
    report = next((r.figures["report"] for r in results if "report" in r.figures), None)
    lines += [
        f"inputs:  {settings.paths.inputs}",
        f"lake:    {settings.lake.root}" + (f"  ({', '.join(written)})" if written else ""),
        f"runs:    ops.pipeline_runs, pipeline_run_id = '{pipeline_run_id}'",
    ]
    if report:
        lines.append(f"report:  {report}")
    lines.append(f"MLflow:  make mlflow-ui  (or: mlflow ui --backend-store-uri {settings.mlflow.tracking_uri} "
                 f"--host 127.0.0.1)")
    return lines
