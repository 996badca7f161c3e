"""Run a job's step in this process with the test's SparkSession (no new session, no subprocess)."""
from __future__ import annotations

from shoplake.runner import load_job
from shoplake.steps.context import StepOutcome


def run_job_main(spark, settings, job: str, *argv: str) -> StepOutcome:
    """Parse ``argv`` with ``jobs/<job>.py``'s parser, apply its config flags and run its step; return the outcome."""
    return load_job(job).run_in(spark, settings, argv)
