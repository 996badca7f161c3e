"""Write top-N recommendations and similar items (gold.recommendations, gold.similar_items) from the registered ALS model."""
from __future__ import annotations

import sys

from shoplake.runner import ConfigFlag, Job, run_job
from shoplake.steps.recommend import recommend_step



def add_arguments(parser):
    parser.add_argument("--similar", type=int, help="similar items per item (default: 10)")
    parser.add_argument("--model-version", help="registered version to use (default: the latest)")


FLAGS = (ConfigFlag("--top-n", ("als.top_n",), int, help="recommendations per user"),
         ConfigFlag("--registered-model", ("als.registered_model",), help="MLflow registered model name"))

JOB = Job("recommend", recommend_step, __doc__, add_arguments, FLAGS)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
