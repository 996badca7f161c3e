"""Score every review in silver.reviews with the registered sentiment model (gold.review_sentiment) and aggregate per product (gold.product_sentiment)."""
from __future__ import annotations

import sys

from shoplake.dl.options import add_model_arguments
from shoplake.dl.runs import READS, run_score_reviews
from shoplake.lake import open_lake
from shoplake.quality import require_passing
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    add_model_arguments(parser, "text_registered_model")


def main(ctx: JobContext) -> None:
    require_passing(open_lake(ctx.spark, ctx.settings), ctx.settings, READS["score_reviews"])  # no scoring of failed data
    run_score_reviews(ctx.spark, ctx.settings, ctx.args.registered_model, ctx.args.model_version)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
