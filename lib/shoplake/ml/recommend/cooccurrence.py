"""Item-to-item co-occurrence recommender (SAR-style): items bought together, weighted by a user's affinity.

Two items are similar by the Jaccard index of the users who interacted with both
(``co / (n_i + n_j - co)``); each item keeps its ``neighbours`` most similar items, so scoring is a
join of bounded size. A user's affinity to an item is ``log(1 + strength)`` scaled by recency
(:mod:`shoplake.ml.recommend.recency`); an unseen item scores the affinity-weighted sum of its similarity
to the user's items, and popular items fill a short list. It is the classic strong baseline on next-basket data, and Spark computes
it with two joins.
"""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.ml.recommend.als import RATING, rank_top_k
from shoplake.ml.recommend.id_mapping import ITEM_INDEX, USER_INDEX
from shoplake.ml.recommend.popularity import recommend_popular
from shoplake.ml.recommend.recency import TIME, decay, latest_time

NEIGHBOUR = "neighbour_idx"


def item_similarity(interactions: DataFrame, neighbours: int = 50) -> DataFrame:
    """``(item_idx, neighbour_idx, similarity, rank)``: each item's ``neighbours`` best items by Jaccard index."""
    pairs = interactions.select(USER_INDEX, ITEM_INDEX).distinct()
    users_per_item = pairs.groupBy(ITEM_INDEX).agg(F.count(F.lit(1)).alias("n"))
    other = pairs.select(USER_INDEX, F.col(ITEM_INDEX).alias(NEIGHBOUR))
    together = (pairs.join(other, USER_INDEX).where(F.col(ITEM_INDEX) != F.col(NEIGHBOUR))
                .groupBy(ITEM_INDEX, NEIGHBOUR).agg(F.count(F.lit(1)).alias("co")))
    counts_j = users_per_item.select(F.col(ITEM_INDEX).alias(NEIGHBOUR), F.col("n").alias("n_j"))
    jaccard = (together.join(users_per_item, ITEM_INDEX).join(counts_j, NEIGHBOUR)
               .select(ITEM_INDEX, NEIGHBOUR, (F.col("co") / (F.col("n") + F.col("n_j") - F.col("co"))).alias("similarity")))
    return rank_top_k(jaccard, neighbours, ITEM_INDEX, NEIGHBOUR, "similarity")


def user_affinity(interactions: DataFrame, half_life_days: float = 0.0) -> DataFrame:
    """``(user_idx, item_idx, affinity)``: ``log(1 + strength)`` times the pair's recency weight."""
    reference = latest_time(interactions, TIME) if half_life_days else None
    weight = F.log1p(F.greatest(F.col(RATING), F.lit(0.0))) * decay(TIME, half_life_days, reference)
    return interactions.select(USER_INDEX, ITEM_INDEX, weight.alias("affinity"))


def recommend_cooccurrence(similarity: DataFrame, affinity: DataFrame, popularity: DataFrame, users: DataFrame,
                           seen: DataFrame, k: int) -> DataFrame:
    """Top-``k`` unseen items per user of ``users``: ``(user_idx, item_idx, score, rank)``.

    Items related to the user's come first; popular items (``popularity`` as
    :func:`~shoplake.ml.recommend.popularity.item_popularity` gives it, scored below every related item) fill
    the list of a user with fewer than ``k`` related items.
    """
    users = users.select(USER_INDEX).distinct()
    seen = seen.select(USER_INDEX, ITEM_INDEX)
    related = (affinity.join(users, USER_INDEX).join(similarity.select(ITEM_INDEX, NEIGHBOUR, "similarity"), ITEM_INDEX)
               .groupBy(USER_INDEX, F.col(NEIGHBOUR).alias(ITEM_INDEX))
               .agg(F.sum(F.col("affinity") * F.col("similarity")).alias("score")))
    fill = recommend_popular(popularity, users, seen, k).select(USER_INDEX, ITEM_INDEX, (-F.col("rank")).alias("score"))
    scored = related.unionByName(fill).groupBy(USER_INDEX, ITEM_INDEX).agg(F.max("score").alias("score"))
    return rank_top_k(scored.join(seen, [USER_INDEX, ITEM_INDEX], "left_anti"), k)
