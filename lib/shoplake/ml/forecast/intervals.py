"""Prediction intervals: the model's own where it has one, otherwise from backtest residuals per family and step.

ETS, ARIMA, Theta, CES, naive and seasonal-naive give their own interval. For the GBT and the
intermittent-demand models an interval comes from the backtest: a residual is
``(actual - forecast) / scale``, the error in units of the series' level at the origin; the
interval of a forecast at step ``h`` is ``forecast + scale * q`` for the lower and upper
``(1 - level) / 2`` quantiles of that family's residuals at step ``h``, never below zero. The
forecast is a mean, the interval is central: for an item that rarely sells the interval can be
``[0, 0]`` below a small positive forecast, which is right for a mostly-zero demand.
"""
from __future__ import annotations

from itertools import chain

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from shoplake.ml.forecast.model import FORECAST
from shoplake.ml.forecast.strategy import ACTUAL, STEP

Quantiles = dict[tuple[str, int], tuple[float, float]]


def _key(family: Column, step: Column) -> Column:
    return F.concat_ws("|", family, step.cast("int").cast("string"))


def residual_quantiles(results: DataFrame, level: float) -> Quantiles:
    """(family, step) -> (lower, upper) quantile of the scaled backtest residuals at ``level`` coverage."""
    tail = (1 - level) / 2
    residual = (F.col(ACTUAL) - F.col(FORECAST)) / F.col("scale")
    scored = results.filter(F.col(FORECAST).isNotNull() & (F.col("scale") > 0))
    rows = scored.groupBy("family", F.col(STEP).cast("int").alias(STEP)).agg(
        F.percentile_approx(residual, [tail, 1 - tail], 10_000).alias("q")).collect()
    return {(row.family, row[STEP]): (float(row.q[0]), float(row.q[1])) for row in rows}


def with_intervals(rows: DataFrame, quantiles: Quantiles) -> DataFrame:
    """``rows`` (``family``, ``forecast``, ``scale``, ``horizon``, ``lower``, ``upper``) with every missing bound
    filled from the residual quantiles of its family and step."""
    def bound(index: int) -> Column:
        table = F.create_map(*chain.from_iterable((F.lit(f"{family}|{h}"), F.lit(q[index]))
                                                  for (family, h), q in quantiles.items())) if quantiles else None
        offset = table[_key(F.col("family"), F.col(STEP))] if table is not None else F.lit(None)
        return F.greatest(F.col(FORECAST) + F.col("scale") * F.coalesce(offset, F.lit(0.0)), F.lit(0.0))

    return rows.withColumn("lower", F.coalesce("lower", bound(0))).withColumn("upper", F.coalesce("upper", bound(1)))


def coverage(rows: DataFrame) -> float:
    """The share of actuals inside [lower, upper]."""
    return float(rows.agg(F.avg(F.col(ACTUAL).between(F.col("lower"), F.col("upper")).cast("double"))).first()[0])
