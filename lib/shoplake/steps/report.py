"""Write the HTML report with every plot and log it to MLflow."""
from __future__ import annotations

from shoplake.report.build import log_report, write_report
from shoplake.steps.context import StepContext, StepOutcome


def report_step(ctx: StepContext) -> StepOutcome:
    """The self-contained report at ``out`` (default: ``report.output``), logged to MLflow."""
    report = write_report(ctx.lake, ctx.settings, ctx.option("out"))
    return StepOutcome(figures={"report": report.path}, run_ids=[log_report(ctx.settings.mlflow, report)])
