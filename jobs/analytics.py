"""Shop analytics: funnel, cohort retention, RFM segments, bundles, order anomalies and churn, into gold tables and MLflow.

Parts (``--only``, comma-separated, default all): funnel → gold.funnel, gold.funnel_steps;
cohorts → gold.cohort_retention; segments → gold.rfm_segments, gold.segment_summary;
bundles → gold.bundles; anomalies → gold.anomalies; churn → gold.churn_scores. When the inputs
were generated, the generator's ground truth (``--truth``, default ``<paths.inputs>-truth``) scores
bundles, anomalies and churn against what was planted.
"""
from __future__ import annotations

import sys

from shoplake.analytics.on_lake import PARTS
from shoplake.runner import Job, run_job
from shoplake.steps.analytics import analytics_step



def _parts(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_arguments(parser):
    parser.add_argument("--only", dest="parts", type=_parts, default=list(PARTS),
                        help=f"comma-separated parts to run (default: all: {','.join(PARTS)})")
    parser.add_argument("--truth", help="generator ground-truth folder to score against "
                                        "(default: <paths.inputs>-truth when it exists)")
    parser.add_argument("--output", help="write the parts' versions and figures to this JSON file")

JOB = Job("analytics", analytics_step, __doc__, add_arguments)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
