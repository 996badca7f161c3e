"""Rolling-origin backtest: refit at several origins, forecast the next ``horizon`` periods, score.

Origins are counted back from each series' end: the last fold's test window is the series'
last ``horizon`` periods and each earlier fold's origin is ``fold_step`` periods earlier
(default: the horizon, so test windows do not overlap). When every series ends on the table's
last date (a shop's items), the folds are calendar dates shared by all series. Each fold's
model sees only targets up to its origin; the baselines are scored on the same rows and MASE is
scaled by each series' in-sample seasonal-naive error up to the origin.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.config.settings import ForecastSettings
from shoplake.log import get_logger
from shoplake.ml.forecast.baselines import insample_seasonal_mae, with_baselines
from shoplake.ml.forecast.features import history_length
from shoplake.ml.forecast.model import FORECAST, fit_model, predict
from shoplake.ml.forecast.series import SERIES_ID, ForecastInputError
from shoplake.ml.forecast.strategy import ACTUAL, STEP

log = get_logger(__name__)


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


def backtest(rows: DataFrame, filled: DataFrame, fs: ForecastSettings) -> DataFrame:
    """Forecasts of every fold (``gbt``) beside the actuals and the baselines, with ``fold`` and ``mase_scale``."""
    results = []
    all_folds = folds(fs)
    for fold in all_folds:
        train = training_rows(rows, fold.offset)
        if train.isEmpty():
            raise ForecastInputError(
                f"backtest fold {fold.number + 1} of {len(all_folds)} ({fold.offset} {fs.frequency}s before the end) has "
                f"nothing to train on: a series needs {history_length(fs)} {fs.frequency}s of history (the longest lag, "
                f"window or run of seasons) plus one horizon before that origin; use fewer folds or a shorter horizon, "
                f"or give more history")
        log.info("backtest fold %d/%d: origin %d %ss before the end, forecasting %d", fold.number + 1, len(all_folds),
                 fold.offset, fs.frequency, fs.horizon)
        model = fit_model(train, fs)
        test = rows.filter((F.col("periods_left") == fold.offset) & F.col(ACTUAL).isNotNull())
        scored = with_baselines(predict(model, test)).withColumn("gbt", F.col(FORECAST))
        scale = insample_seasonal_mae(filled.filter(F.col("periods_left") >= fold.offset), fs.season_length)
        results.append(scored.withColumn("fold", F.lit(fold.number)).join(scale, SERIES_ID, "left"))
    out = results[0]
    for more in results[1:]:
        out = out.unionByName(more)
    return out
