"""Write top-N recommendations and similar items (gold.recommendations, gold.similar_items) from the registered ALS model."""
from __future__ import annotations

import sys

from shoplake.lake import open_lake
from shoplake.ml.recommend.publish import publish_recommendations
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    parser.add_argument("--top-n", type=int, help="recommendations per user (default: als.top_n)")
    parser.add_argument("--similar", type=int, default=10, help="similar items per item (default: 10)")
    parser.add_argument("--registered-model", help="MLflow registered model name (default: als.registered_model)")
    parser.add_argument("--model-version", help="registered version to use (default: the latest)")


def main(ctx: JobContext) -> None:
    args, als = ctx.args, ctx.settings.als
    publish_recommendations(open_lake(ctx.spark, ctx.settings), ctx.settings, args.registered_model or als.registered_model,
                            args.model_version, args.top_n or als.top_n, args.similar)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
