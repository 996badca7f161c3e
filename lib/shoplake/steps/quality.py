"""Run the data-quality suites on lake tables: results to ``ops.dq_results``, Data Docs to MLflow."""
from __future__ import annotations

from shoplake.quality import check_tables
from shoplake.quality.summary import format_report
from shoplake.quality.specs import known_tables
from shoplake.steps.context import StepContext, StepOutcome


def quality_checks_step(ctx: StepContext) -> StepOutcome:
    """Check ``tables`` (or those of ``layers``, or every table with a suite that exists); print the report
    when asked; with ``fail_on_critical``, a critical failure fails the step."""
    layers, lake = ctx.option("layers", ()), ctx.lake
    tables = ctx.option("tables") or ([t for layer in layers for t in known_tables(layer) if lake.exists(t)]
                                      if layers else None)
    run = check_tables(lake, ctx.settings, tables, changed_only=ctx.option("changed_only", False),
                       now=ctx.option("now"))
    if ctx.option("print_report", False):
        print(format_report(run.results()))
        if run.docs_uri:
            print(f"Data Docs: {run.docs_uri}")
    if ctx.option("fail_on_critical", False) and run.failed_tables:
        raise SystemExit(f"critical data-quality failures in {', '.join(run.failed_tables)}")
    summary = run.summary()
    return StepOutcome(read={t.table: t.version for t in run.tables}, figures={
        "tables": summary["tables"], "checks": summary["checks"], "failed": sorted(summary["failed"]) or "none",
        "warnings": summary["warnings"], "skipped": summary["skipped"]}, run_ids=[summary["run_id"]] if summary["run_id"] else [])
