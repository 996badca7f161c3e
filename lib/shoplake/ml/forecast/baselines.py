"""The seasonal-naive error that scales MASE (the naive and seasonal-naive forecasts themselves are local
families, see :mod:`~shoplake.ml.forecast.local_models`)."""
from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from shoplake.ml.forecast.series import DATE, SERIES_ID, TARGET


def insample_seasonal_mae(seen: DataFrame, season_length: int) -> DataFrame:
    """Per series: the mean absolute error of the one-step seasonal-naive forecast over ``seen`` (a filled calendar).

    This is MASE's denominator (Hyndman & Koehler, 2006, with period ``season_length``), computed
    on what the model saw; it is null for a series with ``season_length`` periods or fewer.
    """
    ordered = Window.partitionBy(SERIES_ID).orderBy(DATE)
    errors = seen.select(SERIES_ID, F.abs(F.col(TARGET) - F.lag(TARGET, season_length).over(ordered)).alias("error"))
    return errors.groupBy(SERIES_ID).agg(F.avg("error").alias("mase_scale"))
