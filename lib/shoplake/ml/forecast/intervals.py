"""Prediction intervals from backtest residuals, per forecast step.

A residual is ``(actual - forecast) / scale``, the error in units of the series' level at the
origin; the interval of a forecast at step ``h`` is ``forecast + scale * q`` for the lower and
upper ``(1 - level) / 2`` quantiles of the backtest residuals at step ``h``, never below zero.
The forecast is a mean, the interval is central: for an item that rarely sells the interval can
be ``[0, 0]`` below a small positive forecast, which is right for a mostly-zero demand.
"""
from __future__ import annotations

from itertools import chain

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.ml.forecast.model import FORECAST
from shoplake.ml.forecast.strategy import ACTUAL, STEP

Quantiles = dict[int, tuple[float, float]]


def residual_quantiles(results: DataFrame, level: float) -> Quantiles:
    """Step -> (lower, upper) quantile of the scaled backtest residuals at ``level`` coverage."""
    tail = (1 - level) / 2
    residual = (F.col(ACTUAL) - F.col(FORECAST)) / F.col("scale")
    rows = results.groupBy(STEP).agg(F.percentile_approx(residual, [tail, 1 - tail], 10_000).alias("q")).collect()
    return {int(row[STEP]): (float(row.q[0]), float(row.q[1])) for row in rows}


def with_intervals(rows: DataFrame, quantiles: Quantiles) -> DataFrame:
    """``rows`` (with ``forecast``, ``scale`` and ``horizon``) plus ``lower`` and ``upper``."""
    def bound(index: int):
        table = F.create_map(*chain.from_iterable((F.lit(float(h)), F.lit(q[index])) for h, q in quantiles.items()))
        return F.col(FORECAST) + F.col("scale") * F.coalesce(table[F.col(STEP).cast("double")], F.lit(0.0))

    return rows.withColumn("lower", F.greatest(bound(0), F.lit(0.0))).withColumn("upper", F.greatest(bound(1), F.lit(0.0)))


def coverage(rows: DataFrame) -> float:
    """The share of actuals inside [lower, upper]."""
    return float(rows.agg(F.avg(F.col(ACTUAL).between(F.col("lower"), F.col("upper")).cast("double"))).first()[0])
