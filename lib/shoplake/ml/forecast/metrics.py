"""Accuracy of forecasts against actuals: WAPE, sMAPE, RMSE and MASE, per series and fold, overall or per group.

- WAPE = sum |actual - forecast| / sum |actual|
- sMAPE = mean of 2 |actual - forecast| / (|actual| + |forecast|), a term being 0 when both are 0
- RMSE = sqrt(mean (actual - forecast)^2)
- MASE = the mean over series (and backtest folds) of the series' mean absolute error divided
  by its in-sample one-step seasonal-naive mean absolute error (``mase_scale``); series whose
  scale is 0 or unknown (constant or too short history) are left out of MASE and counted.

:func:`fold_scores` turns forecast rows (one per series, fold, family and step) into one row per
series, fold and family; :func:`accuracy` sums those up per family (and group).
"""
from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from shoplake.ml.forecast.model import FORECAST
from shoplake.ml.forecast.series import SERIES_ID
from shoplake.ml.forecast.strategy import ACTUAL

METRICS = ("wape", "smape", "rmse", "mase")


def _smape_term(forecast: Column) -> Column:
    denominator = F.abs(ACTUAL) + F.abs(forecast)
    return F.when(denominator == 0, F.lit(0.0)).otherwise(2 * F.abs(F.col(ACTUAL) - forecast) / denominator)


def fold_scores(rows: DataFrame, keep: Sequence[str] = ()) -> DataFrame:
    """Per ``series_id``, ``fold`` and ``family`` (and the columns ``keep``): sums, ``mae``, ``rmse``, ``wape``,
    ``smape``, ``mase`` and ``failed`` (the family could not forecast that fold: no scores).

    ``rows`` has ``actual``, ``forecast``, ``error`` and ``mase_scale``.
    """
    ok = F.col("error").isNull()
    error = F.when(ok, F.col(ACTUAL) - F.col(FORECAST))
    sums = rows.groupBy(SERIES_ID, "fold", "family", *keep).agg(
        F.count("*").alias("n"), F.sum(F.abs(ACTUAL)).alias("volume"), F.first("mase_scale").alias("mase_scale"),
        F.sum(F.abs(error)).alias("abs_error"), F.sum(error ** 2).alias("squared_error"),
        F.sum(F.when(ok, _smape_term(F.col(FORECAST)))).alias("smape_sum"), F.max((~ok).cast("int")).alias("failed"),
        F.first("error", ignorenulls=True).alias("error"))
    failed = F.col("failed") == 1
    mae = F.col("abs_error") / F.col("n")
    return sums.select(
        "*", F.when(~failed, mae).alias("mae"), F.when(~failed, F.sqrt(F.col("squared_error") / F.col("n"))).alias("rmse"),
        F.when(~failed, F.try_divide("abs_error", "volume")).alias("wape"),
        F.when(~failed, F.col("smape_sum") / F.col("n")).alias("smape"),
        F.when(~failed & (F.col("mase_scale") > 0), mae / F.col("mase_scale")).alias("mase"),
    ).withColumn("failed", failed)


def accuracy(scores: DataFrame, by: Sequence[str] = ()) -> list[dict]:
    """One dict per group of ``by`` (one in all without ``by``): ``<family>_<metric>`` for every family, ``series``
    and ``series_without_mase`` (series whose MASE scale is 0 or unknown). ``scores`` come from :func:`fold_scores`.
    """
    scored = scores.filter(~F.col("failed"))
    families = scored.groupBy(*by, "family").agg(
        F.try_divide(F.sum("abs_error"), F.sum("volume")).alias("wape"),
        (F.sum("smape_sum") / F.sum("n")).alias("smape"), F.sqrt(F.sum("squared_error") / F.sum("n")).alias("rmse"),
        F.avg("mase").alias("mase")).collect()
    counts = scores.groupBy(*by).agg(
        F.countDistinct(SERIES_ID).alias("series"),
        F.countDistinct(F.when(~(F.col("mase_scale") > 0) | F.col("mase_scale").isNull(), F.col(SERIES_ID)))
        .alias("series_without_mase")).collect()
    groups = {tuple(row[k] for k in by): {**{k: row[k] for k in by}, "series": row.series,
                                          "series_without_mase": row.series_without_mase} for row in counts}
    for row in families:
        groups[tuple(row[k] for k in by)].update({f"{row.family}_{m}": row[m] for m in METRICS})
    return [groups[key] for key in sorted(groups, key=lambda key: tuple(str(k) for k in key))]
