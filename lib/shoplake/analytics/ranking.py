"""Binary-score metrics computed in Spark: AUC, precision in the top share, and score bands for curves.

Only aggregates reach the driver (a handful of rows), so they work on tables of any size.
"""
from __future__ import annotations

from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.analytics.quantiles import QUANTILE_ERROR, cuts_below, quantile_cuts


def auc(df: DataFrame, score: str, label: str) -> float:
    """Area under the ROC curve of ``score`` (higher = more likely positive) for 0/1 ``label``."""
    evaluator = BinaryClassificationEvaluator(rawPredictionCol=score, labelCol=label, metricName="areaUnderROC")
    return float(evaluator.evaluate(df.select(F.col(score).cast("double").alias(score),
                                              F.col(label).cast("double").alias(label))))


def precision_at_top(df: DataFrame, score: str, label: str, share: float = 0.1) -> float:
    """Share of positives among rows scored at or above the ``1 - share`` quantile (ties included)."""
    threshold = df.approxQuantile(score, [1 - share], QUANTILE_ERROR)[0]
    value = df.filter(F.col(score) >= threshold).agg(F.avg(F.col(label).cast("double"))).first()[0]
    return float(value or 0.0)


def score_bands(df: DataFrame, score: str, label: str, bands: int) -> list[tuple[int, int]]:
    """(positives, negatives) per band of ``score`` from the highest band down; bands split at quantiles."""
    band = cuts_below(score, quantile_cuts(df, score, bands))
    rows = df.groupBy(band.alias("band")).agg(
        F.sum(F.col(label).cast("long")).alias("pos"), F.sum(1 - F.col(label).cast("long")).alias("neg")
    ).collect()
    return [(int(r["pos"]), int(r["neg"])) for r in sorted(rows, key=lambda r: -r["band"])]


def roc_points(bands: list[tuple[int, int]]) -> tuple[list[float], list[float]]:
    """False- and true-positive rates at each band threshold, from (0, 0) to (1, 1)."""
    pos, neg = sum(p for p, _ in bands) or 1, sum(n for _, n in bands) or 1
    fpr, tpr, tp, fp = [0.0], [0.0], 0, 0
    for p, n in bands:
        tp, fp = tp + p, fp + n
        fpr.append(fp / neg)
        tpr.append(tp / pos)
    return fpr, tpr
