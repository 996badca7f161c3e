"""Run the data-quality suites (Great Expectations on Spark): results to ops.dq_results, Data Docs to MLflow.

Every table with a suite that exists by default (or ``--table``/``--layer``); prints the report of
the run, failures first. ``--fail-on-critical`` exits non-zero when a table failed a critical check.
"""
from __future__ import annotations

import sys
from datetime import datetime

from shoplake.lake import open_lake
from shoplake.log import get_logger
from shoplake.quality import check_tables
from shoplake.quality.summary import format_report
from shoplake.quality.tables import known_tables
from shoplake.runner import JobContext, run_job

log = get_logger("quality_checks")
LAYERS = ("bronze", "silver", "gold")


def add_arguments(parser):
    parser.add_argument("--table", action="append", dest="tables", metavar="LAYER.NAME",
                        help="check this table (repeatable; default: every table with a suite that exists)")
    parser.add_argument("--layer", choices=LAYERS, help="check the tables of one layer")
    parser.add_argument("--changed-only", action="store_true",
                        help="skip tables whose current version already has results")
    parser.add_argument("--now", type=datetime.fromisoformat,
                        help="the time freshness and future-timestamp checks compare to (default: now)")
    parser.add_argument("--fail-on-critical", action="store_true",
                        help="exit non-zero when a table fails a critical check")


def main(ctx: JobContext) -> None:
    args = ctx.args
    lake = open_lake(ctx.spark, ctx.settings)
    tables = args.tables or ([t for t in known_tables(args.layer) if lake.exists(t)] if args.layer else None)
    run = check_tables(lake, ctx.settings, tables, changed_only=args.changed_only, now=args.now)
    print(format_report(run.results()))
    if run.docs_uri:
        print(f"Data Docs: {run.docs_uri}")
    if args.fail_on_critical and run.failed_tables:
        raise SystemExit(f"critical data-quality failures in {', '.join(run.failed_tables)}")


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
