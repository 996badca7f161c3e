"""Rolling-origin backtest: refit at several origins, forecast the next ``horizon`` periods, score.

Origins are counted back from each series' end: the last fold's test window is the series'
last ``horizon`` periods and each earlier fold's origin is ``fold_step`` periods earlier
(default: the horizon, so test windows do not overlap). When every series ends on the table's
last date (a shop's items), the folds are calendar dates shared by all series. Each fold's
models see only values up to its origin; MASE is scaled by each series' in-sample seasonal-naive
error up to the origin.

Every family's forecasts are rows of one long shape, :data:`FORECAST_ROWS`: the GBT's from
:func:`gbt_backtest`, the local models' from :mod:`~shoplake.ml.forecast.local_backtest`.
"""
from __future__ import annotations

from functools import reduce

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.ml import PipelineModel

from shoplake.config.settings import ForecastSettings
from shoplake.log import get_logger
from shoplake.ml.forecast.baselines import insample_seasonal_mae
from shoplake.ml.forecast.features import history_length
from shoplake.ml.forecast.local_models import GBT
from shoplake.ml.forecast.model import FORECAST, fit_model, predict
from shoplake.ml.forecast.series import SERIES_ID
from shoplake.ml.forecast.strategy import ACTUAL, ORIGIN, STEP

log = get_logger(__name__)
FORECAST_ROWS = (f"{SERIES_ID} string, fold int, family string, {ORIGIN} date, {STEP} int, {ACTUAL} double, "
                 f"{FORECAST} double, lower double, upper double, error string")


@dataclass(frozen=True)
class Fold:
    """One backtest fold: its number (0 is the oldest) and its origin, ``offset`` periods before each series' end."""

    number: int
    offset: int


def folds(fs: ForecastSettings) -> list[Fold]:
    """The folds, oldest first: the newest one's test window ends at each series' end."""
    step = fs.fold_step or fs.horizon
    return [Fold(k, fs.horizon + step * (fs.folds - 1 - k)) for k in range(fs.folds)]


def training_rows(rows: DataFrame, offset: int) -> DataFrame:
    """Stacked rows whose target lies at least ``offset`` periods before its series' end (known at that origin)."""
    return rows.filter(F.col(ACTUAL).isNotNull() & (F.col("periods_left") - F.col(STEP) >= offset))


def as_forecast_rows(scored: DataFrame, family: str, fold: int | None) -> DataFrame:
    """Stacked rows with a ``forecast`` as :data:`FORECAST_ROWS` of ``family`` (no interval yet)."""
    return scored.select(
        SERIES_ID, F.lit(fold).cast("int").alias("fold"), F.lit(family).alias("family"), ORIGIN,
        F.col(STEP).cast("int").alias(STEP), ACTUAL, FORECAST, F.lit(None).cast("double").alias("lower"),
        F.lit(None).cast("double").alias("upper"), F.lit(None).cast("string").alias("error"))


def gbt_backtest(rows: DataFrame, fs: ForecastSettings) -> DataFrame | None:
    """The global GBT refitted at every fold, as forecast rows; ``None`` (logged) when a fold has nothing to train on."""
    results = []
    all_folds = folds(fs)
    for fold in all_folds:
        train = training_rows(rows, fold.offset)
        if train.isEmpty():
            log.warning(
                "the global GBT is left out: backtest fold %d of %d (%d %ss before the end) has nothing to train on "
                "(a series needs %d %ss of history, the longest lag, window or run of seasons, plus one horizon before "
                "that origin); use fewer folds or a shorter horizon, or give more history", fold.number + 1,
                len(all_folds), fold.offset, fs.frequency, history_length(fs), fs.frequency)
            return None
        log.info("GBT backtest fold %d/%d: origin %d %ss before the end, forecasting %d", fold.number + 1,
                 len(all_folds), fold.offset, fs.frequency, fs.horizon)
        model = fit_model(train, fs)
        test = rows.filter((F.col("periods_left") == fold.offset) & F.col(ACTUAL).isNotNull())
        results.append(as_forecast_rows(predict(model, test), GBT, fold.number))
    return reduce(DataFrame.unionByName, results)


def gbt_forecast(rows: DataFrame, fs: ForecastSettings) -> tuple[PipelineModel, DataFrame]:
    """The GBT fitted on every known target, and its forecast rows from each series' end (``fold`` null)."""
    model = fit_model(rows.filter(F.col(ACTUAL).isNotNull()), fs)
    return model, as_forecast_rows(predict(model, rows.filter(F.col("periods_left") == 0)), GBT, None)


def mase_scales(filled: DataFrame, fs: ForecastSettings) -> DataFrame:
    """``series_id``, ``fold``, ``mase_scale``: each series' in-sample seasonal-naive MAE up to each fold's origin."""
    scales = [insample_seasonal_mae(filled.filter(F.col("periods_left") >= fold.offset), fs.season_length)
              .withColumn("fold", F.lit(fold.number)) for fold in folds(fs)]
    return reduce(DataFrame.unionByName, scales)
