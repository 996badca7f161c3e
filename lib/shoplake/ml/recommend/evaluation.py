"""Score a recommender's top-k lists on a held-out split without leakage.

Items a user already has in training are removed from both the recommendations and the
relevant items before anything is counted.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.ml.recommend.id_mapping import ITEM_INDEX, USER_INDEX
from shoplake.ml.recommend.ranking_metrics import DEFAULT_K, catalogue_coverage, ranking_metrics, user_hits, user_metric_columns


def evaluate_recommendations(recs: DataFrame, train: DataFrame, test: DataFrame, k: int = DEFAULT_K) -> dict[str, float]:
    """Ranking metrics at ``k`` of ``recs`` against ``test``, plus catalogue coverage of the training items."""
    keys = [USER_INDEX, ITEM_INDEX]
    seen = train.select(*keys)
    fresh_recs = recs.join(seen, keys, "left_anti").cache()
    relevant = test.select(*keys).join(seen, keys, "left_anti")
    metrics = ranking_metrics(fresh_recs, relevant, k)
    metrics["coverage"] = catalogue_coverage(fresh_recs, train, k)
    fresh_recs.unpersist()
    return metrics


def user_metric(recs: DataFrame, train: DataFrame, test: DataFrame, k: int = DEFAULT_K,
                metric: str = "ndcg_at_k") -> DataFrame:
    """``(user_idx, value)``: ``metric`` per user with recommendations and relevant items, as in the means above."""
    keys = [USER_INDEX, ITEM_INDEX]
    seen = train.select(*keys)
    relevant = test.select(*keys).join(seen, keys, "left_anti")
    hits = user_hits(recs.join(seen, keys, "left_anti"), relevant, k)
    return hits.select(USER_INDEX, user_metric_columns(k)[metric].alias("value"))


@dataclass(frozen=True)
class PairedGain:
    """How much a candidate beats a reference per user: the mean difference and its standard error."""

    mean: float
    standard_error: float
    users: int

    def beyond_noise(self, z: float = 2.0) -> bool:
        """Whether the mean gain is positive and more than ``z`` standard errors."""
        return self.users > 1 and self.mean > z * self.standard_error


def paired_gain(candidate: DataFrame, reference: DataFrame) -> PairedGain:
    """Compare two :func:`user_metric` frames of the same users (a user missing from one counts 0 there)."""
    pairs = (candidate.withColumnRenamed("value", "a").join(reference.withColumnRenamed("value", "b"), USER_INDEX, "full")
             .select((F.coalesce("a", F.lit(0.0)) - F.coalesce("b", F.lit(0.0))).alias("gain")))
    row = pairs.agg(F.avg("gain").alias("mean"), F.stddev_samp("gain").alias("sd"), F.count(F.lit(1)).alias("n")).first()
    users = int(row["n"])
    error = float(row["sd"]) / users ** 0.5 if users > 1 and row["sd"] is not None else float("inf")
    return PairedGain(float(row["mean"] or 0.0), error, users)
