"""ALS blended with recent popularity: retrieve candidates from both, re-rank by a weighted score.

Per user the candidates are ALS's best ``pool`` unseen items and the ``pool`` most popular unseen
items. Each candidate is scored by both: the ALS preference (the dot product of the user's and
the item's factors) divided by the user's best candidate preference, and the item's popularity
divided by the most popular item's. The blend is ``(1 - weight) * als + weight * popularity``;
weight 0 is plain ALS, 1 plain popularity. Trends and seasonality favour recent popularity when
the test set is the future; ALS adds each user's taste. With ``pool >= k`` weight 0 gives exactly
ALS's own top ``k``.
"""
from __future__ import annotations

from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from shoplake.ml.recommend.als import most_seen, rank_top_k, recommend_als
from shoplake.ml.recommend.id_mapping import ITEM_INDEX, USER_INDEX
from shoplake.ml.recommend.popularity import recommend_popular


def _dot(left: str, right: str):
    return F.aggregate(F.zip_with(left, right, lambda x, y: x * y), F.lit(0.0), lambda total, x: total + x)


def blend_candidates(model: ALSModel, popularity: DataFrame, users: DataFrame, seen: DataFrame,
                     pool: int = 50) -> DataFrame:
    """``(user_idx, item_idx, als, popularity)``: each user's candidates with both normalised scores.

    ``popularity`` is :func:`~shoplake.ml.recommend.popularity.item_popularity`'s ``(item_idx, score, pop_rank)``.
    Every weight re-ranks the same candidates, so tuning computes them once per ALS model.
    """
    seen = seen.select(USER_INDEX, ITEM_INDEX)
    from_als = recommend_als(model, users, seen, pool, most_seen(seen)).select(USER_INDEX, ITEM_INDEX)
    from_popularity = recommend_popular(popularity, users, seen, pool).select(USER_INDEX, ITEM_INDEX)
    candidates = from_als.union(from_popularity).distinct()
    top_popularity = popularity.agg(F.max("score")).first()[0] or 1.0
    user_factors = model.userFactors.select(F.col("id").alias(USER_INDEX), F.col("features").alias("u"))
    item_factors = model.itemFactors.select(F.col("id").alias(ITEM_INDEX), F.col("features").alias("v"))
    scored = (candidates.join(user_factors, USER_INDEX).join(item_factors, ITEM_INDEX)
              .join(popularity.select(ITEM_INDEX, F.col("score").alias("popularity")), ITEM_INDEX, "left")
              .select(USER_INDEX, ITEM_INDEX, _dot("u", "v").alias("als"),
                      (F.coalesce("popularity", F.lit(0.0)) / F.lit(top_popularity)).alias("popularity")))
    best = F.max("als").over(Window.partitionBy(USER_INDEX))
    return scored.withColumn("als", F.col("als") / F.greatest(best, F.lit(1e-9)))


def rank_blend(candidates: DataFrame, weight: float, k: int) -> DataFrame:
    """Top-``k`` of :func:`blend_candidates` per user by ``(1 - weight) * als + weight * popularity``."""
    score = F.lit(1.0 - weight) * F.col("als") + F.lit(weight) * F.col("popularity")
    return rank_top_k(candidates.select(USER_INDEX, ITEM_INDEX, score.alias("score")), k)
