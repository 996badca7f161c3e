"""Run a job's ``main`` in this process with the test's SparkSession (no new session, no subprocess)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from shoplake.runner import JobContext, job_parser

JOBS = Path(__file__).resolve().parents[2] / "jobs"


def run_job_main(spark, settings, job: str, *argv: str):
    """Parse ``argv`` with ``jobs/<job>.py``'s parser and call its ``main``; return what ``main`` returns."""
    spec = importlib.util.spec_from_file_location(job, JOBS / f"{job}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = job_parser(module.__doc__, module.add_arguments).parse_args(list(argv))
    return module.main(JobContext(spark=spark, settings=settings, args=args))
