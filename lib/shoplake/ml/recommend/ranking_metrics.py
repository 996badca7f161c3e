"""Ranking metrics at k computed in Spark, with the definitions of the Recommenders library.

Inputs are ``recs`` (user, item, rank), rank 1 the best, and ``truth`` (user, item), the relevant
items. As in Recommenders' ``python_evaluation``, relevance is binary, only the top ``k``
recommendations count, and every metric is the mean over the users that have both
recommendations and relevant items. Per user, with ``hits`` the ranks ``r_1 < r_2 < ...`` of the
relevant items among the top k and ``n`` the number of relevant items:

* precision@k = |hits| / k
* recall@k = |hits| / n
* NDCG@k = sum 1/log2(1 + r_i) / sum_{j=1..min(n, k)} 1/log2(1 + j)
  (the log base cancels out, so Recommenders' default natural log gives the same value)
* MAP (Recommenders' ``map``, the "MAP" column of its published benchmarks) = sum(i / r_i) / n
* MAP@k (Recommenders' ``map_at_k``) = sum(i / r_i) / min(n, k)
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

DEFAULT_K = 10


def user_hits(recs: DataFrame, truth: DataFrame, k: int = DEFAULT_K, user_col: str = "user_idx",
              item_col: str = "item_idx") -> DataFrame:
    """Per user with recommendations and relevant items: ``hit_ranks`` (sorted) and ``n_relevant``."""
    relevant = truth.select(user_col, item_col).distinct().withColumn("_relevant", F.lit(True))
    n_relevant = relevant.groupBy(user_col).agg(F.count(F.lit(1)).alias("n_relevant"))
    hit_ranks = (
        recs.where(F.col("rank") <= k)
        .select(user_col, item_col, "rank")
        .join(relevant, [user_col, item_col], "left")
        .groupBy(user_col)
        .agg(F.sort_array(F.collect_list(F.when(F.col("_relevant"), F.col("rank")))).alias("hit_ranks"))
    )
    return hit_ranks.join(n_relevant, user_col)


def _discounted(ranks: Column) -> Column:
    """Sum of 1/log2(1 + r) over an array of ranks."""
    return F.aggregate(ranks, F.lit(0.0), lambda acc, r: acc + 1.0 / F.log2(r + 1))


def precision(hit_ranks: Column, k: int) -> Column:
    """Share of the k recommendation slots that hold a relevant item."""
    return F.size(hit_ranks) / F.lit(k)


def recall(hit_ranks: Column, n_relevant: Column) -> Column:
    """Share of the user's relevant items found in the top k."""
    return F.size(hit_ranks) / n_relevant


def ndcg(hit_ranks: Column, n_relevant: Column, k: int) -> Column:
    """DCG of the hits over the DCG of a perfect top-k list (binary relevance, log2 discount)."""
    ideal = F.sequence(F.lit(1), F.least(n_relevant, F.lit(k)).cast("int"))
    return _discounted(hit_ranks) / _discounted(ideal)


def average_precision(hit_ranks: Column, denominator: Column) -> Column:
    """Sum over hits of precision at the hit's rank (i / r_i), divided by ``denominator``."""
    precisions = F.transform(hit_ranks, lambda r, i: (i + 1) / r)
    return F.aggregate(precisions, F.lit(0.0), lambda acc, p: acc + p) / denominator


def user_metric_columns(k: int) -> dict[str, Column]:
    """Each metric's per-user value over :func:`user_hits`' ``hit_ranks`` and ``n_relevant`` columns."""
    hits, n = F.col("hit_ranks"), F.col("n_relevant")
    return {
        "precision_at_k": precision(hits, k),
        "recall_at_k": recall(hits, n),
        "ndcg_at_k": ndcg(hits, n, k),
        "map": average_precision(hits, n),
        "map_at_k": average_precision(hits, F.least(n, F.lit(k))),
    }


def ranking_metrics(recs: DataFrame, truth: DataFrame, k: int = DEFAULT_K, user_col: str = "user_idx",
                    item_col: str = "item_idx") -> dict[str, float]:
    """Precision@k, recall@k, NDCG@k, MAP and MAP@k (means over users), and ``users`` evaluated."""
    means = [F.avg(column).alias(name) for name, column in user_metric_columns(k).items()]
    row = user_hits(recs, truth, k, user_col, item_col).agg(*means, F.count(F.lit(1)).alias("users")).first()
    metrics = {name: float(value or 0.0) for name, value in row.asDict().items() if name != "users"}
    return {**metrics, "users": row["users"]}


def catalogue_coverage(recs: DataFrame, catalogue: DataFrame, k: int = DEFAULT_K, item_col: str = "item_idx") -> float:
    """Distinct items in anyone's top k over distinct items in ``catalogue`` (Recommenders' ``catalog_coverage``)."""
    recommended = recs.where(F.col("rank") <= k).agg(F.countDistinct(item_col).alias("recommended"))
    row = recommended.crossJoin(catalogue.agg(F.countDistinct(item_col).alias("total"))).first()
    return row["recommended"] / row["total"] if row["total"] else 0.0
