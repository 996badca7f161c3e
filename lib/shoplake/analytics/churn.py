"""Churn: will a customer place no order in the ``horizon`` days after a cutoff?

Features are :func:`shoplake.gold.transforms.user_features` (the columns of ``gold.user_features``)
computed as of the cutoff from silver data before it: events before the cutoff, re-sessionized,
and orders placed before it at the status they had then. Cancelled and refunded are final
states, so an order whose latest update came after the cutoff was still a counted purchase at
the cutoff. Nothing after the cutoff reaches a feature. The model is an MLlib GBTClassifier,
trained on customers at several cutoffs (each example with features before its own cutoff) and
compared with the recency-only baseline (a longer time since the last order, a likelier churn).
A shop without clickstream has the order features only (:data:`ORDER_FEATURES`).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import reduce

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import GBTClassifier
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.analytics.errors import require_columns
from shoplake.analytics.ranking import auc, precision_at_top
from shoplake.ingest.clickstream import sessionize, sessions
from shoplake.gold.transforms import user_features
from shoplake.schemas import REVENUE_STATUSES

FEATURES = ("recency_days", "days_since_seen", "frequency", "monetary", "sessions", "conversion_rate")
ORDER_FEATURES = ("recency_days", "frequency", "monetary")  # the features orders alone give
LABEL = "churned"
SCORE = "churn_probability"
BASELINE = "recency_days"
TOP_SHARE = 0.1


def lines_as_of(order_lines: DataFrame, cutoff: datetime) -> DataFrame:
    """Order lines placed before ``cutoff`` with the status known then (later-updated: still counted)."""
    require_columns(order_lines, ("order_id", "customer_id", "order_time", "status", "updated_at", "net_amount"),
                    "churn order lines")
    before = order_lines.filter(F.col("order_time") < F.lit(cutoff))
    return before.withColumn("status", F.when(F.col("updated_at") < F.lit(cutoff), F.col("status")).otherwise(
        F.lit(REVENUE_STATUSES[0])))


def features_as_of(events: DataFrame | None, order_lines: DataFrame, cutoff: datetime, gap_minutes: int) -> DataFrame:
    """The ``gold.user_features`` columns as of ``cutoff`` for customers with a counted order before it (without
    ``events``, a shop without clickstream, from the orders alone)."""
    visits = None
    if events is not None:
        require_columns(events, ("event_id", "event_time", "user_id", "event_type", "device", "channel"),
                        "churn events")
        visits = sessions(sessionize(events.filter(F.col("event_time") < F.lit(cutoff)), gap_minutes))
    features = user_features(visits, lines_as_of(order_lines, cutoff), cutoff)
    return features.filter(F.col("frequency") >= 1)


def churn_labels(features: DataFrame, order_lines: DataFrame, cutoff: datetime, horizon_days: int) -> DataFrame:
    """``features`` with ``churned`` = 1.0 when the customer placed no order in the horizon after ``cutoff``."""
    end = cutoff + timedelta(days=horizon_days)
    came_back = order_lines.filter((F.col("order_time") >= F.lit(cutoff)) & (F.col("order_time") < F.lit(end))).select(
        F.col("customer_id").alias("user_id")).distinct().withColumn("_back", F.lit(True))
    return features.join(came_back, "user_id", "left").withColumn(
        LABEL, F.when(F.col("_back"), 0.0).otherwise(1.0)).drop("_back")


def training_cutoffs(cutoff: datetime, count: int, step_days: int) -> list[datetime]:
    """``count`` cutoffs ``step_days`` apart, the latest being ``cutoff``."""
    return [cutoff - timedelta(days=step_days * k) for k in range(count)]


def labelled_examples(events: DataFrame | None, order_lines: DataFrame, cutoffs: list[datetime], horizon_days: int,
                      gap_minutes: int) -> DataFrame:
    """:func:`churn_labels` of the customers at each cutoff, stacked (``as_of`` tells the cutoff).

    Each example's features use only data before its own cutoff.
    """
    stacked = [churn_labels(features_as_of(events, order_lines, cutoff, gap_minutes), order_lines, cutoff,
                            horizon_days) for cutoff in cutoffs]
    return reduce(DataFrame.unionByName, stacked)


def fit_churn_model(labelled: DataFrame, max_iter: int, max_depth: int, seed: int,
                    features: tuple[str, ...] = FEATURES) -> PipelineModel:
    """A GBTClassifier on ``features`` (default :data:`FEATURES`) predicting :data:`LABEL`."""
    return Pipeline(stages=[
        VectorAssembler(inputCols=list(features), outputCol="_features", handleInvalid="keep"),
        GBTClassifier(featuresCol="_features", labelCol=LABEL, maxIter=max_iter, maxDepth=max_depth, seed=seed),
    ]).fit(labelled)


def churn_scores(model: PipelineModel, features: DataFrame) -> DataFrame:
    """``features`` with :data:`SCORE`, the model's probability of churn."""
    scored = model.transform(features)
    return scored.withColumn(SCORE, F.round(vector_to_array("probability")[1], 6)).drop(
        "_features", "rawPrediction", "probability", "prediction")


def evaluate_churn(scored: DataFrame) -> dict[str, float]:
    """AUC and precision in the top decile of the model and of the recency-only baseline, and the base rate."""
    base_rate = scored.agg(F.avg(LABEL)).first()[0] or 0.0
    metrics = {"base_rate": float(base_rate)}
    for name, score in (("model", SCORE), ("baseline", BASELINE)):
        metrics[f"{name}_auc"] = auc(scored, score, LABEL)
        metrics[f"{name}_precision_top_decile"] = precision_at_top(scored, score, LABEL, TOP_SHARE)
        metrics[f"{name}_lift_top_decile"] = metrics[f"{name}_precision_top_decile"] / base_rate if base_rate else 0.0
    return metrics
