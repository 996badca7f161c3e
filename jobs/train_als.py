"""Choose and train the recommender (ALS, ALS + recent popularity, co-occurrence) on gold.user_item_interactions,
evaluate it against popularity, log and register it in MLflow."""
from __future__ import annotations

import sys

from shoplake.lake import open_lake
from shoplake.ml.recommend.recommender import INTERACTIONS, RecommenderConfig, train_on_lake
from shoplake.ml.recommend.recipe import FAMILIES
from shoplake.ml.recommend.holdout import SPLITS
from shoplake.quality import require_passing
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    parser.add_argument("--split", choices=SPLITS, help="how each user's interactions are held out (default: als.split)")
    parser.add_argument("--k", type=int, help="ranking cut-off (default: als.k)")
    parser.add_argument("--registered-model", help="MLflow registered model name (default: als.registered_model)")
    parser.add_argument("--ranks", type=int, nargs="+", help="ranks to try (default: als.ranks)")
    parser.add_argument("--reg-params", type=float, nargs="+", help="regParams to try (default: als.reg_params)")
    parser.add_argument("--alphas", type=float, nargs="+", help="alphas to try (default: als.alphas)")
    parser.add_argument("--max-iter", type=int, help="ALS iterations (default: als.max_iter)")
    parser.add_argument("--half-lives", type=float, nargs="+", metavar="DAYS",
                        help="recency half-lives to try, 0 for none (default: als.half_lives_days)")
    parser.add_argument("--popularity-weights", type=float, nargs="+",
                        help="weights of recent popularity in the blend (default: als.popularity_weights)")
    parser.add_argument("--families", nargs="+", choices=FAMILIES, help="model families to compare (default: als.families)")


def main(ctx: JobContext) -> None:
    args = ctx.args
    config = RecommenderConfig.from_settings(
        ctx.settings.als, split=args.split, k=args.k, registered_model=args.registered_model,
        ranks=tuple(args.ranks) if args.ranks else None, reg_params=tuple(args.reg_params) if args.reg_params else None,
        alphas=tuple(args.alphas) if args.alphas else None, max_iter=args.max_iter,
        half_lives_days=tuple(args.half_lives) if args.half_lives else None,
        popularity_weights=tuple(args.popularity_weights) if args.popularity_weights else None,
        families=tuple(args.families) if args.families else None)
    lake = open_lake(ctx.spark, ctx.settings)
    require_passing(lake, ctx.settings, [INTERACTIONS])  # refuses a version that failed a critical check
    train_on_lake(lake, ctx.settings, config)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
