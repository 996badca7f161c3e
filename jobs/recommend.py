"""Write top-N recommendations and similar items (gold.recommendations, gold.similar_items) from the registered ALS model."""
from __future__ import annotations

import sys

from shoplake.lake import open_lake
from shoplake.ml.publish import publish_recommendations
from shoplake.ml.recommender import RecommenderConfig
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    parser.add_argument("--top-n", type=int, default=10, help="recommendations per user (default: 10)")
    parser.add_argument("--similar", type=int, default=10, help="similar items per item (default: 10)")
    parser.add_argument("--registered-model", default=RecommenderConfig.registered_model,
                        help=f"MLflow registered model name (default: {RecommenderConfig.registered_model})")
    parser.add_argument("--model-version", help="registered version to use (default: the latest)")


def main(ctx: JobContext) -> None:
    publish_recommendations(open_lake(ctx.spark, ctx.settings), ctx.settings, ctx.args.registered_model,
                            ctx.args.model_version, ctx.args.top_n, ctx.args.similar)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
