"""Local statistical models (statsforecast), each fitted on one series at a time.

A family name maps to a statsforecast model; :func:`forecast_local` fits it on a history and
returns the mean forecast with the model's own interval where it has one (ETS, ARIMA, Theta, CES,
naive and seasonal-naive), or ``None`` bounds (Croston, ADIDA, IMAPA: intervals then come from
backtest residuals). ``combination`` is the mean of the members present among the families run.
Nothing here touches Spark: :mod:`~shoplake.ml.forecast.local_backtest` runs it on the executors
and :mod:`~shoplake.ml.forecast.forecaster` in the registered model.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from shoplake.config.settings import FORECAST_COMBINED

GBT, COMBINATION = "gbt", "combination"


def _models() -> dict[str, Callable[[int], object]]:
    from statsforecast.models import (ADIDA, IMAPA, AutoARIMA, AutoCES, AutoETS, AutoTheta, CrostonOptimized, Naive,
                                      SeasonalNaive)

    return {"naive": lambda m: Naive(), "seasonal_naive": lambda m: SeasonalNaive(season_length=m),
            "auto_ets": lambda m: AutoETS(season_length=m), "auto_arima": lambda m: AutoARIMA(season_length=m),
            "auto_theta": lambda m: AutoTheta(season_length=m), "ces": lambda m: AutoCES(season_length=m),
            "croston": lambda m: CrostonOptimized(), "adida": lambda m: ADIDA(), "imapa": lambda m: IMAPA()}


LOCAL_FAMILIES = ("naive", "seasonal_naive", "auto_ets", "auto_arima", "auto_theta", "ces", "croston", "adida", "imapa")
WITHOUT_INTERVALS = ("croston", "adida", "imapa")


@dataclass(frozen=True)
class LocalForecast:
    """A family's forecast of one history: ``mean``, and ``lower``/``upper`` (``None`` without a native interval)."""

    mean: np.ndarray
    lower: np.ndarray | None
    upper: np.ndarray | None


def local_families(families: Sequence[str]) -> list[str]:
    """The families of ``families`` fitted per series (everything but the GBT and the combination)."""
    return [f for f in families if f in LOCAL_FAMILIES]


def combination_members(families: Sequence[str]) -> list[str]:
    """The families ``combination`` averages when these ``families`` are run."""
    return [f for f in FORECAST_COMBINED if f in families]


def forecast_local(family: str, history: np.ndarray, horizon: int, season_length: int,
                   level: float) -> LocalForecast:
    """Fit ``family`` on ``history`` (one value per period, oldest first) and forecast ``horizon`` periods.

    Raises ``ValueError`` when the model cannot fit this history or forecasts a non-finite value.
    """
    model = _models()[family](season_length)
    percent = int(round(level * 100))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if family in WITHOUT_INTERVALS:
            out = model.forecast(y=history.astype(float), h=horizon)
        else:
            out = model.forecast(y=history.astype(float), h=horizon, level=[percent])
    mean = np.maximum(np.asarray(out["mean"], dtype=float), 0.0)
    if mean.shape != (horizon,) or not np.all(np.isfinite(mean)):
        raise ValueError(f"{family} forecast a value that is not a number")
    if family in WITHOUT_INTERVALS:
        return LocalForecast(mean, None, None)
    lower = np.maximum(np.asarray(out[f"lo-{percent}"], dtype=float), 0.0)
    upper = np.maximum(np.asarray(out[f"hi-{percent}"], dtype=float), 0.0)
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
        return LocalForecast(mean, None, None)
    return LocalForecast(mean, lower, upper)


def combine(forecasts: Sequence[LocalForecast]) -> LocalForecast:
    """The mean of ``forecasts``; bounds the mean of the members' bounds when every member has them."""
    mean = np.mean([f.mean for f in forecasts], axis=0)
    if any(f.lower is None for f in forecasts):
        return LocalForecast(mean, None, None)
    return LocalForecast(mean, np.mean([f.lower for f in forecasts], axis=0), np.mean([f.upper for f in forecasts], axis=0))
