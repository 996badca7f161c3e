"""Train the ALS recommender on gold.user_item_interactions, evaluate it against popularity, log and register it in MLflow."""
from __future__ import annotations

import sys

from shoplake.lake import open_lake
from shoplake.ml.recommender import RecommenderConfig, train_recommender
from shoplake.ml.splits import SPLITS
from shoplake.runner import JobContext, run_job

INTERACTIONS = "gold.user_item_interactions"
DEFAULTS = RecommenderConfig()


def add_arguments(parser):
    parser.add_argument("--split", choices=SPLITS, default=DEFAULTS.split,
                        help=f"how each user's interactions are held out (default: {DEFAULTS.split})")
    parser.add_argument("--k", type=int, default=DEFAULTS.k, help=f"ranking cut-off (default: {DEFAULTS.k})")
    parser.add_argument("--registered-model", default=DEFAULTS.registered_model,
                        help=f"MLflow registered model name (default: {DEFAULTS.registered_model})")
    parser.add_argument("--ranks", type=int, nargs="+", default=DEFAULTS.ranks, help="ranks to try")
    parser.add_argument("--reg-params", type=float, nargs="+", default=DEFAULTS.reg_params, help="regParams to try")
    parser.add_argument("--alphas", type=float, nargs="+", default=DEFAULTS.alphas, help="alphas to try")
    parser.add_argument("--max-iter", type=int, default=DEFAULTS.max_iter,
                        help=f"ALS iterations (default: {DEFAULTS.max_iter})")


def main(ctx: JobContext) -> None:
    lake = open_lake(ctx.spark, ctx.settings)
    if ctx.spark.sparkContext.getCheckpointDir() is None:  # ALS cuts its lineage there every 10 iterations
        ctx.spark.sparkContext.setCheckpointDir(lake.checkpoint_path("train_als"))
    version = lake.version(INTERACTIONS)
    args = ctx.args
    config = RecommenderConfig(split=args.split, k=args.k, registered_model=args.registered_model,
                               ranks=tuple(args.ranks), reg_params=tuple(args.reg_params), alphas=tuple(args.alphas),
                               max_iter=args.max_iter)
    train_recommender(lake.read(INTERACTIONS, version=version), ctx.settings, config,
                      table_versions={INTERACTIONS: version})


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
