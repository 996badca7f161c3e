"""Run the whole pipeline: every step in order, with progress, skipping steps already up to date."""
from __future__ import annotations

import sys
import time

from shoplake.datasets.generator.flags import add_date_arguments
from shoplake.log import get_logger
from shoplake.pipeline import run_steps
from shoplake.pipeline.ledger import LakeLedger
from shoplake.pipeline.plan import PIPELINE_STEPS
from shoplake.pipeline.summary import summary_lines
from shoplake.runner import Job, run_job
from shoplake.steps.context import StepContext, StepOutcome
from shoplake.steps.ingest import add_accept_quarantine

log = get_logger("jobs.pipeline")
DEMO_DAYS = 120
STEP_NAMES = ", ".join(s.name for s in PIPELINE_STEPS)


def add_arguments(parser):
    parser.add_argument("--only", action="append", default=[], metavar="STEP",
                        help=f"run only this step (repeatable); steps: {STEP_NAMES}")
    parser.add_argument("--from", dest="start_from", metavar="STEP", help="run from this step on")
    parser.add_argument("--force", action="store_true", help="run every chosen step even when it is up to date")
    parser.add_argument("--preset", default="small", help="demo data size when the inputs folder is empty (small|medium|large)")
    parser.add_argument("--users", type=int, help="demo data users (overrides the preset)")
    parser.add_argument("--days", type=int, default=DEMO_DAYS,
                        help=f"demo data days (default: {DEMO_DAYS}, enough history for the forecast backtest and churn)")
    parser.add_argument("--seed", type=int, default=42, help="demo data seed")
    add_accept_quarantine(parser)
    add_date_arguments(parser)


def run_pipeline(ctx: StepContext) -> StepOutcome:
    """Run the chosen steps with the lake's ledger; print the summary."""
    ledger = LakeLedger(ctx.lake)
    log.info("pipeline run %s", ledger.pipeline_run_id)
    started = time.monotonic()
    results = run_steps(PIPELINE_STEPS, ctx, ctx.args.only, start_from=ctx.args.start_from, ledger=ledger,
                        force=ctx.args.force)
    for line in summary_lines(ctx.settings, results, ledger.pipeline_run_id, time.monotonic() - started):
        print(line, flush=True)
    return StepOutcome(figures={"steps": len(results)})


JOB = Job("pipeline", run_pipeline, __doc__, add_arguments)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
