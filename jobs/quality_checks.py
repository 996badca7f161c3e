"""Run the data-quality suites (Great Expectations on Spark): results to ops.dq_results, Data Docs to MLflow.

Every table with a suite that exists by default (or ``--table``/``--layer``); prints the report of
the run, failures first. ``--fail-on-critical`` exits non-zero when a table failed a critical check.
"""
from __future__ import annotations

import sys
from datetime import datetime

from shoplake.runner import Job, run_job
from shoplake.steps.quality import quality_checks_step

LAYERS = ("bronze", "silver", "gold")


def add_arguments(parser):
    parser.add_argument("--table", action="append", dest="tables", metavar="LAYER.NAME",
                        help="check this table (repeatable; default: every table with a suite that exists)")
    parser.add_argument("--layer", action="append", dest="layers", choices=LAYERS,
                        help="check the tables of this layer (repeatable)")
    parser.add_argument("--changed-only", action="store_true",
                        help="skip tables whose current version already has results")
    parser.add_argument("--now", type=datetime.fromisoformat,
                        help="the time freshness and future-timestamp checks compare to (default: now)")
    parser.add_argument("--fail-on-critical", action="store_true",
                        help="exit non-zero when a table fails a critical check")
    parser.set_defaults(print_report=True)

JOB = Job("quality_checks", quality_checks_step, __doc__, add_arguments)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
