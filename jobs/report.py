"""Write the HTML report (funnel, cohorts, segments, bundles, forecasts, recommendations, sentiment, anomalies, data quality) and log it to MLflow.

One self-contained file (plots embedded, no network needed to open it) at --out, default
report.output of the config. Sections whose table is not built yet say which job builds it.
"""
from __future__ import annotations

import sys

from shoplake.lake import open_lake
from shoplake.report.build import log_report, write_report
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    parser.add_argument("--out", help="where to write the HTML file (default: report.output of the config)")


def main(ctx: JobContext) -> str:
    report = write_report(open_lake(ctx.spark, ctx.settings), ctx.settings, ctx.args.out)
    log_report(ctx.settings, report)
    return report.path


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
