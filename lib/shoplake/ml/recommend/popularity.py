"""The popularity baseline: the items most users interacted with, minus what each user has seen.

It is the bar a personalised model must clear, and the fallback for users without history. With a
half-life, each user counts by how recently they interacted (see :mod:`shoplake.ml.recommend.recency`): the
"recent popularity" a blended recommender mixes in.
"""
from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from shoplake.ml.recommend.recency import TIME, decay, latest_time


def item_popularity(interactions: DataFrame, user_col: str = "user_idx", item_col: str = "item_idx",
                    half_life_days: float = 0.0, time_col: str = TIME) -> DataFrame:
    """``(item, score, pop_rank)``: distinct users per item, ranked 1.. (ties by item id).

    With ``half_life_days`` each user counts ``0.5 ** (age / half_life)``, the age of their latest
    interaction with the item measured back from the latest interaction of all.
    """
    if not half_life_days:
        counts = interactions.groupBy(item_col).agg(F.countDistinct(user_col).cast("double").alias("score"))
    else:
        per_user = interactions.groupBy(user_col, item_col).agg(F.max(time_col).alias(time_col))
        weight = decay(time_col, half_life_days, latest_time(interactions, time_col))
        counts = per_user.groupBy(item_col).agg(F.sum(weight).alias("score"))
    return counts.withColumn("pop_rank", F.row_number().over(Window.orderBy(F.desc("score"), item_col)))


def recommend_popular(popularity: DataFrame, users: DataFrame, seen: DataFrame, k: int,
                      user_col: str = "user_idx", item_col: str = "item_idx") -> DataFrame:
    """Top-``k`` popular items per user of ``users`` not in that user's ``seen`` items.

    Returns ``(user, item, score, rank)``. A user who has seen ``s`` of the popular items needs
    only the first ``k + s`` popularity ranks, so no user x catalogue product is built.
    """
    seen_ranks = (
        seen.select(user_col, item_col)
        .join(popularity.select(item_col, "pop_rank"), item_col)
        .groupBy(user_col)
        .agg(F.collect_set("pop_rank").alias("seen_ranks"))
    )
    seen_list = F.col("seen_ranks")
    first_unseen = F.filter(F.sequence(F.lit(1), F.size(seen_list) + k), lambda r: ~F.array_contains(seen_list, r))
    ranks = (
        users.select(user_col).distinct()
        .join(seen_ranks, user_col, "left")
        .select(user_col, F.coalesce(seen_list, F.array().cast("array<int>")).alias("seen_ranks"))
        .select(user_col, F.posexplode(F.slice(first_unseen, 1, k)).alias("position", "pop_rank"))
    )
    return ranks.join(popularity, "pop_rank").select(
        user_col, item_col, "score", (F.col("position") + 1).alias("rank")
    )
