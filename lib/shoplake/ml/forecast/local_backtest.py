"""The local families on the executors: every series' backtest folds and final forecast in one ``applyInPandas``.

Series are grouped by ``series_id`` and each group (one series' filled calendar, a few hundred
rows) is fitted in a Python worker, so a million series scale out like any grouped job. A model
that fails on a series gives a row with ``error`` set and no forecast: that family cannot win
the series, and the run counts and names such failures.
"""
from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame

from shoplake.config.settings import ForecastSettings
from shoplake.ml.forecast.backtest import FORECAST_ROWS, folds
from shoplake.ml.forecast.features import history_length
from shoplake.ml.forecast.local_models import (COMBINATION, LocalForecast, combination_members, combine, forecast_local,
                                               local_families)
from shoplake.ml.forecast.series import DATE, SERIES_ID, TARGET

COLUMNS = [c.split()[0] for c in FORECAST_ROWS.split(", ")]


def local_backtest(filled: DataFrame, fs: ForecastSettings) -> DataFrame:
    """Forecast rows (:data:`~shoplake.ml.forecast.backtest.FORECAST_ROWS`) of the local families and the
    combination: one per fold whose origin has ``history_length`` periods behind it, and the final one (fold null)."""
    families = local_families(fs.families)
    members = combination_members(fs.families) if COMBINATION in fs.families else []
    origins = [(fold.number, fold.offset) for fold in folds(fs)] + [(None, 0)]
    horizon, season, level, least = fs.horizon, fs.season_length, fs.interval_level, history_length(fs)

    def fit(history) -> dict[str, LocalForecast | str]:
        return {family: _attempt(family, history, horizon, season, level) for family in families}

    def per_series(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.sort_values(DATE)
        values, dates, name = frame[TARGET].to_numpy(dtype=float), frame[DATE].tolist(), frame[SERIES_ID].iloc[0]
        rows = []
        for number, offset in origins:
            end = len(values) - offset
            if end < least:
                continue
            fitted = fit(values[:end])
            if COMBINATION in fs.families:
                usable = [fitted[m] for m in members if isinstance(fitted[m], LocalForecast)]
                fitted[COMBINATION] = combine(usable) if usable else "no member of the combination could fit"
            actual = [float(v) for v in values[end:end + horizon]] if number is not None else [None] * horizon
            for family in [f for f in fs.families if f in fitted]:
                rows += _rows(name, number, family, dates[end - 1], actual, fitted[family])
        return pd.DataFrame(rows, columns=COLUMNS)

    return filled.select(SERIES_ID, DATE, TARGET).groupBy(SERIES_ID).applyInPandas(per_series, FORECAST_ROWS)


def _attempt(family: str, history, horizon: int, season: int, level: float) -> LocalForecast | str:
    """The family's forecast, or why it could not fit (one line)."""
    try:
        return forecast_local(family, history, horizon, season, level)
    except Exception as exc:  # any model may fail on some series: recorded on the row, never fatal to the run
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]


def _rows(name: str, fold: int | None, family: str, origin, actual, fitted: LocalForecast | str) -> list[tuple]:
    if isinstance(fitted, str):
        return [(name, fold, family, origin, h + 1, actual[h], None, None, None, fitted) for h in range(len(actual))]
    lower = fitted.lower if fitted.lower is not None else [None] * len(actual)
    upper = fitted.upper if fitted.upper is not None else [None] * len(actual)
    return [(name, fold, family, origin, h + 1, actual[h], float(fitted.mean[h]),
             None if lower[h] is None else float(lower[h]), None if upper[h] is None else float(upper[h]), None)
            for h in range(len(actual))]
