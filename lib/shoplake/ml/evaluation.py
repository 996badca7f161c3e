"""Score a recommender's top-k lists on a held-out split without leakage.

Items a user already has in training are removed from both the recommendations and the
relevant items before anything is counted.
"""
from __future__ import annotations

from pyspark.sql import DataFrame

from shoplake.ml.id_mapping import ITEM_INDEX, USER_INDEX
from shoplake.ml.ranking_metrics import DEFAULT_K, catalogue_coverage, ranking_metrics


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
