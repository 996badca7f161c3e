"""Publish a registered recommender's outputs: top-N recommendations per user and similar items.

The registered run holds the ALS model and the recipe it was chosen with; the recipe's other
parts (recent popularity, item co-occurrence) are fitted again on the exact interactions version
the run trained on, so the same rows give the same recommendations.
"""
from __future__ import annotations

from pyspark.sql import functions as F

from shoplake.catalog import GOLD_RECOMMENDATIONS, GOLD_SIMILAR_ITEMS, GOLD_USER_FEATURES, GOLD_USER_ITEM_INTERACTIONS
from shoplake.config import Settings
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake import tracking
from shoplake.ml.recommend.id_mapping import IdMapping
from shoplake.ml.recommend.recipe import fit_recipe
from shoplake.ml.recommend.recommendations import top_n_recommendations
from shoplake.ml.recommend.recommender import index_interactions, load_recipe, load_registered
from shoplake.ml.recommend.similar_items import similar_items

log = get_logger(__name__)


def publish_recommendations(lake: Lake, settings: Settings, registered_model: str, model_version: str | None = None,
                            top_n: int = 10, similar: int = 10) -> dict:
    """Write ``gold.recommendations`` and ``gold.similar_items`` from a registered model version.

    Users come from the interactions the model was fitted on plus ``gold.user_features``; users
    without history get popularity recommendations, flagged as such. Returns table versions.
    """
    model, entry = load_registered(settings.mlflow, registered_model, model_version)
    recipe = load_recipe(entry.run_id)
    # the model was fitted on this version of the interactions; the same rows give the same id mapping
    version = tracking.table_versions(settings.mlflow, entry.run_id)[GOLD_USER_ITEM_INTERACTIONS]
    interactions = lake.read(GOLD_USER_ITEM_INTERACTIONS, version=version)
    mapping = IdMapping.fit(interactions, "user_id", "product_id")
    seen = index_interactions(interactions, mapping).cache()
    users = interactions.select("user_id")
    if lake.exists(GOLD_USER_FEATURES):
        users = users.unionByName(lake.read(GOLD_USER_FEATURES).select("user_id"))
    stamp = F.lit(f"{entry.name}/{entry.version}").alias("model")
    recs = top_n_recommendations(fit_recipe(recipe, seen, model), mapping, users, top_n)
    versions = {GOLD_RECOMMENDATIONS: lake.overwrite(recs.select("*", stamp), GOLD_RECOMMENDATIONS)}
    pairs = mapping.decode_items(mapping.decode(similar_items(model.itemFactors, similar)),
                                 "similar_idx", "similar_product_id")
    versions[GOLD_SIMILAR_ITEMS] = lake.overwrite(
        pairs.select("product_id", "similar_product_id", "similarity", "rank", stamp), GOLD_SIMILAR_ITEMS)
    seen.unpersist()
    log.info("recommendations and similar items written from %s v%s, %s (interactions v%d)", entry.name,
             entry.version, recipe.describe(), version)
    return versions
