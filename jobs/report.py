"""Write the HTML report (funnel, cohorts, segments, bundles, forecasts, recommendations, sentiment, anomalies, data quality) and log it to MLflow.

One self-contained file (plots embedded, no network needed to open it) at --out, default
report.output of the config. Sections whose table is not built yet say which job builds it.
"""
from __future__ import annotations

import sys

from shoplake.runner import Job, run_job
from shoplake.steps.report import report_step


def add_arguments(parser):
    parser.add_argument("--out", help="where to write the HTML file (default: report.output of the config)")


JOB = Job("report", report_step, __doc__, add_arguments)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
