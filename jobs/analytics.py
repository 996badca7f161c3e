"""Shop analytics: funnel, cohort retention, RFM segments, bundles, order anomalies and churn, into gold tables and MLflow.

Parts (``--only``, comma-separated, default all): funnel → gold.funnel, gold.funnel_steps;
cohorts → gold.cohort_retention; segments → gold.rfm_segments, gold.segment_summary;
bundles → gold.bundles; anomalies → gold.anomalies; churn → gold.churn_scores. When the inputs
were generated, the generator's ground truth (``--truth``, default ``<paths.inputs>-truth``) scores
bundles, anomalies and churn against what was planted.
"""
from __future__ import annotations

import json
import os
import sys

from shoplake.analytics.parts import PARTS, run_analytics
from shoplake.analytics.truth import GroundTruth
from shoplake.datasets.generator import default_truth_dir
from shoplake.lake import open_lake
from shoplake.privacy.keys import resolve_key
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run (default: all: {','.join(PARTS)})")
    parser.add_argument("--truth", help="generator ground-truth folder to score against "
                                        "(default: <paths.inputs>-truth when it exists)")
    parser.add_argument("--output", help="write the parts' versions and figures to this JSON file")


def main(ctx: JobContext) -> None:
    settings = ctx.settings
    truth_dir = ctx.args.truth or default_truth_dir(settings.paths.inputs)
    truth = GroundTruth(truth_dir, resolve_key(settings, os.environ)) if GroundTruth.present(truth_dir) else None
    parts = [p.strip() for p in ctx.args.only.split(",") if p.strip()]
    results = run_analytics(open_lake(ctx.spark, settings), settings, parts, truth)
    if ctx.args.output:
        with open(ctx.args.output, "w") as out:
            json.dump(results, out, indent=2, sort_keys=True, default=str)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
