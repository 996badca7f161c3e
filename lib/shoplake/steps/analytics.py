"""Shop analytics on the lake: funnel, cohorts, RFM segments, bundles, order anomalies, churn."""
from __future__ import annotations

import json

from shoplake.analytics.on_lake import PARTS, run_analytics
from shoplake.analytics.truth import GroundTruth
from shoplake.datasets.generator import default_truth_dir
from shoplake.privacy.keys import resolve_key
from shoplake.steps.context import StepContext, StepOutcome


def analytics_step(ctx: StepContext) -> StepOutcome:
    """Run the ``parts`` (default: all) in order, scored against the generator's ground truth when there is one
    (``truth``, default ``<paths.inputs>-truth``); ``output``: the parts' versions and figures as JSON. A part the
    shop lacks the input for is reported by its reason (``funnel=no clickstream``)."""
    settings = ctx.settings
    truth_dir = ctx.option("truth", default_truth_dir(settings.paths.inputs))
    truth = GroundTruth(truth_dir, resolve_key(settings, ctx.environ)) if GroundTruth.present(truth_dir) else None
    results = run_analytics(ctx.lake, settings, tuple(ctx.option("parts", PARTS)), truth)
    if ctx.option("output"):
        with open(ctx.option("output"), "w") as out:
            json.dump(results, out, indent=2, sort_keys=True, default=str)
    wrote = {table: version for result in results.values() for table, version in result.items()
             if isinstance(version, int) and "." in table}
    return StepOutcome(wrote=wrote, figures={part: result.get("not_run", "done") for part, result in results.items()},
                       run_ids=[r["run_id"] for r in results.values() if r.get("run_id")])
