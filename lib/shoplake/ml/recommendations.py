"""Serve a trained recommender: top-N per user, popularity for users without history.

Output rows are ``(user, item, score, rank, is_fallback)`` in the shop's own ids;
``is_fallback`` marks the popularity recommendations given to users the model does not know.
"""
from __future__ import annotations

from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.ml.als import recommend_als
from shoplake.ml.id_mapping import IdMapping


def top_n_recommendations(model: ALSModel, mapping: IdMapping, seen: DataFrame, popularity: DataFrame,
                          users: DataFrame, n: int = 10) -> DataFrame:
    """Top-``n`` unseen items for each user in ``users`` (a column named like the mapping's user id).

    ``seen`` and ``popularity`` are indexed (``user_idx``, ``item_idx``) as in
    :class:`~shoplake.ml.recommender.TrainedRecommender`.
    """
    wanted = users.select(mapping.user_col).distinct()
    known = mapping.encode(wanted)
    personal = recommend_als(model, known, seen, n).withColumn("is_fallback", F.lit(False))
    cold = wanted.join(mapping.users, mapping.user_col, "left_anti")
    fallback = cold.crossJoin(
        popularity.where(F.col("pop_rank") <= n).select("item_idx", "score", F.col("pop_rank").alias("rank"))
    ).withColumn("is_fallback", F.lit(True))
    columns = [mapping.user_col, mapping.item_col, "score", "rank", "is_fallback"]
    return mapping.decode(personal).select(columns).unionByName(mapping.decode(fallback).select(columns))
