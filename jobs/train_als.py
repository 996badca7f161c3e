"""Choose and train the recommender (ALS, ALS + recent popularity, co-occurrence) on gold.user_item_interactions,
evaluate it against popularity, log and register it in MLflow."""
from __future__ import annotations

import sys

from shoplake.ml.recommend.holdout import SPLITS
from shoplake.ml.recommend.recipe import FAMILIES
from shoplake.runner import ConfigFlag, Job, run_job
from shoplake.steps.recommend import train_als_step

FLAGS = (
    ConfigFlag("--split", ("als.split",), choices=SPLITS, help="how each user's interactions are held out"),
    ConfigFlag("--k", ("als.k",), int, help="ranking cut-off"),
    ConfigFlag("--registered-model", ("als.registered_model",), help="MLflow registered model name"),
    ConfigFlag("--ranks", ("als.ranks",), int, many=True, help="ranks to try"),
    ConfigFlag("--reg-params", ("als.reg_params",), float, many=True, help="regParams to try"),
    ConfigFlag("--alphas", ("als.alphas",), float, many=True, help="alphas to try"),
    ConfigFlag("--max-iter", ("als.max_iter",), int, help="ALS iterations"),
    ConfigFlag("--half-lives", ("als.half_lives_days",), float, many=True, metavar="DAYS",
               help="recency half-lives to try, 0 for none"),
    ConfigFlag("--popularity-weights", ("als.popularity_weights",), float, many=True,
               help="weights of recent popularity in the blend"),
    ConfigFlag("--families", ("als.families",), many=True, choices=FAMILIES, help="model families to compare"),
)
JOB = Job("train_als", train_als_step, __doc__, config_flags=FLAGS)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
