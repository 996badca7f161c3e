"""Score every review in silver.reviews with the registered sentiment model (gold.review_sentiment) and aggregate per product (gold.product_sentiment)."""
from __future__ import annotations

import sys

from shoplake.runner import ConfigFlag, Job, run_job
from shoplake.steps.deep_learning import score_reviews_step


def add_arguments(parser):
    parser.add_argument("--model-version", help="registered version to use (default: the latest)")


FLAGS = (ConfigFlag("--registered-model", ("dl.text_registered_model",), help="MLflow registered model name"),)
JOB = Job("score_reviews", score_reviews_step, __doc__, add_arguments, FLAGS)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
