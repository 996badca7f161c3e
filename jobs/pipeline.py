"""Run the whole pipeline: every step in order, with progress and a summary."""
from __future__ import annotations

import sys

from shoplake.log import get_logger
from shoplake.pipeline import run_steps
from shoplake.pipeline.steps import PIPELINE_STEPS
from shoplake.runner import JobContext, run_job

log = get_logger("jobs.pipeline")


def add_arguments(parser):
    parser.add_argument("--only", action="append", default=[], metavar="STEP",
                        help=f"run only this step (repeatable); steps: {', '.join(s.name for s in PIPELINE_STEPS)}")
    parser.add_argument("--preset", default="small", help="demo data size when the inputs folder is empty (small|medium|large)")
    parser.add_argument("--users", type=int, help="demo data users (overrides the preset)")
    parser.add_argument("--days", type=int, help="demo data days (overrides the preset)")
    parser.add_argument("--seed", type=int, default=42, help="demo data seed")


def main(ctx: JobContext) -> None:
    results = run_steps(PIPELINE_STEPS, ctx, only=ctx.args.only)
    log.info("pipeline finished: %s", ", ".join(f"{r.name} {r.seconds:.1f}s" for r in results))
    log.info("inputs: %s", ctx.settings.paths.inputs)
    log.info("lake:   %s (tables: bronze.*, silver.*, gold.*)", ctx.settings.lake.root)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
