"""Write top-N recommendations and similar items (gold.recommendations, gold.similar_items) from the registered ALS model."""
from __future__ import annotations

import sys

from pyspark.sql import functions as F

from shoplake.lake import open_lake
from shoplake.log import get_logger
from shoplake.ml import tracking
from shoplake.ml.id_mapping import IdMapping
from shoplake.ml.popularity import item_popularity
from shoplake.ml.recommendations import top_n_recommendations
from shoplake.ml.recommender import RecommenderConfig, load_registered
from shoplake.ml.similar_items import similar_items
from shoplake.runner import JobContext, run_job

INTERACTIONS = "gold.user_item_interactions"
USERS = "gold.user_features"
log = get_logger("jobs.recommend")


def add_arguments(parser):
    parser.add_argument("--top-n", type=int, default=10, help="recommendations per user (default: 10)")
    parser.add_argument("--similar", type=int, default=10, help="similar items per item (default: 10)")
    parser.add_argument("--registered-model", default=RecommenderConfig.registered_model,
                        help=f"MLflow registered model name (default: {RecommenderConfig.registered_model})")
    parser.add_argument("--model-version", help="registered version to use (default: the latest)")


def main(ctx: JobContext) -> None:
    lake = open_lake(ctx.spark, ctx.settings)
    model, entry = load_registered(ctx.settings, ctx.args.registered_model, ctx.args.model_version)
    # the model was fitted on this version of the interactions; the same rows give the same id mapping
    version = tracking.table_versions(ctx.settings, entry.run_id)[INTERACTIONS]
    interactions = lake.read(INTERACTIONS, version=version)
    mapping = IdMapping.fit(interactions, "user_id", "product_id")
    seen = mapping.encode(interactions.select("user_id", "product_id")).cache()
    users = interactions.select("user_id")
    if lake.exists(USERS):
        users = users.unionByName(lake.read(USERS).select("user_id"))
    stamp = F.lit(f"{entry.name}/{entry.version}").alias("model")
    recs = top_n_recommendations(model, mapping, seen, item_popularity(seen), users, ctx.args.top_n)
    lake.overwrite(recs.select("*", stamp), "gold.recommendations")
    similar = mapping.decode_items(mapping.decode(similar_items(model.itemFactors, ctx.args.similar)),
                                   "similar_idx", "similar_product_id")
    lake.overwrite(similar.select("product_id", "similar_product_id", "similarity", "rank", stamp),
                   "gold.similar_items")
    log.info("recommendations and similar items written from %s v%s (interactions v%d)", entry.name, entry.version,
             version)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
