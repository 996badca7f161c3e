"""Accuracy of forecasts against actuals: WAPE, sMAPE, RMSE and MASE, overall or per group.

- WAPE = sum |actual - forecast| / sum |actual|
- sMAPE = mean of 2 |actual - forecast| / (|actual| + |forecast|), a term being 0 when both are 0
- RMSE = sqrt(mean (actual - forecast)^2)
- MASE = the mean over series (and backtest folds) of the series' mean absolute error divided
  by its in-sample one-step seasonal-naive mean absolute error (``mase_scale``); series whose
  scale is 0 or unknown (constant or too short history) are left out of MASE and counted.
"""
from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from shoplake.ml.forecast.series import SERIES_ID
from shoplake.ml.forecast.strategy import ACTUAL

METRICS = ("wape", "smape", "rmse", "mase")


def _smape_term(forecast: Column) -> Column:
    denominator = F.abs(ACTUAL) + F.abs(forecast)
    return F.when(denominator == 0, F.lit(0.0)).otherwise(2 * F.abs(F.col(ACTUAL) - forecast) / denominator)


def accuracy(results: DataFrame, models: Sequence[str], by: Sequence[str] = (), fold: str = "fold") -> list[dict]:
    """One dict per group of ``by`` (one in all without ``by``): ``<model>_<metric>`` for every model, and counts.

    ``results`` has ``actual``, ``mase_scale``, ``series_id``, ``fold`` and one forecast column per model.
    """
    per_series = results.groupBy(*by, fold, SERIES_ID).agg(
        F.count("*").alias("n"), F.sum(F.abs(ACTUAL)).alias("volume"), F.first("mase_scale").alias("mase_scale"),
        *[agg for m in models for agg in (
            F.sum(F.abs(F.col(ACTUAL) - F.col(m))).alias(f"{m}_abs"),
            F.sum((F.col(ACTUAL) - F.col(m)) ** 2).alias(f"{m}_sq"),
            F.sum(_smape_term(F.col(m))).alias(f"{m}_smape_sum"))])
    scaled = F.col("mase_scale") > 0
    groups = per_series.groupBy(*by).agg(
        F.countDistinct(SERIES_ID).alias("series"),
        F.countDistinct(F.when(~scaled | F.col("mase_scale").isNull(), F.col(SERIES_ID))).alias("series_without_mase"),
        *[agg for m in models for agg in (
            F.try_divide(F.sum(f"{m}_abs"), F.sum("volume")).alias(f"{m}_wape"),
            (F.sum(f"{m}_smape_sum") / F.sum("n")).alias(f"{m}_smape"),
            F.sqrt(F.sum(f"{m}_sq") / F.sum("n")).alias(f"{m}_rmse"),
            F.avg(F.when(scaled, F.col(f"{m}_abs") / F.col("n") / F.col("mase_scale"))).alias(f"{m}_mase"))])
    return [row.asDict() for row in (groups.orderBy(*by) if by else groups).collect()]
