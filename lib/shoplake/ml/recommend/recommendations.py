"""Serve a trained recommender: top-N per user, popularity for users without history.

Output rows are ``(user, item, score, rank, is_fallback)`` in the shop's own ids;
``is_fallback`` marks the popularity recommendations given to users the model does not know.
"""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.ml.recommend.id_mapping import IdMapping
from shoplake.ml.recommend.recipe import FittedRecipe, recommend


def top_n_recommendations(fitted: FittedRecipe, mapping: IdMapping, users: DataFrame, n: int = 10) -> DataFrame:
    """Top-``n`` unseen items for each user in ``users`` (a column named like the mapping's user id).

    ``fitted`` is the recipe fitted on the interactions indexed by ``mapping``: they are what
    each user has seen; users outside them get the recipe's (recent) popularity.
    """
    wanted = users.select(mapping.user_col).distinct()
    known = mapping.encode(wanted)
    personal = recommend(fitted, known, fitted.interactions, n).withColumn("is_fallback", F.lit(False))
    cold = wanted.join(mapping.users, mapping.user_col, "left_anti")
    popularity = fitted.popularity
    fallback = cold.crossJoin(
        popularity.where(F.col("pop_rank") <= n).select("item_idx", "score", F.col("pop_rank").alias("rank"))
    ).withColumn("is_fallback", F.lit(True))
    columns = [mapping.user_col, mapping.item_col, "score", "rank", "is_fallback"]
    return mapping.decode(personal).select(columns).unionByName(mapping.decode(fallback).select(columns))
