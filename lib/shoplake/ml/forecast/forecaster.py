"""The registered forecaster: each series' chosen family as an MLflow ``python_function`` model.

Given histories (``series_id``, ``date``, ``y``: one row per period, oldest first, no gaps), it
refits each series' family and forecasts the horizon, with the family's own interval where it has
one. A series whose backtest went to the global GBT (which needs Spark and every series' features)
uses its best local family here; a series the run never saw uses the family that won most series.
The model is logged as code (:data:`PYFUNC_CODE`) with the selection as a JSON artifact, never pickled.
"""
from __future__ import annotations

import json
import tempfile
from importlib import resources
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake import tracking
from shoplake.config.settings import ForecastSettings
from shoplake.ml.forecast.local_models import COMBINATION, GBT, combination_members, combine, forecast_local
from shoplake.ml.forecast.selection import winners, won_shares
from shoplake.ml.forecast.series import SERIES_ID

PYFUNC_CODE, SELECTION = "forecaster_code.py", "selection"
SIGNATURE = ModelSignature(
    inputs=Schema([ColSpec("string", "series_id"), ColSpec("datetime", "date"), ColSpec("double", "y")]),
    outputs=Schema([ColSpec("string", "series_id"), ColSpec("datetime", "date"), ColSpec("long", "horizon"),
                    ColSpec("string", "family"), ColSpec("double", "forecast"), ColSpec("double", "lower"),
                    ColSpec("double", "upper")]))
OFFSETS = {"day": lambda k: pd.DateOffset(days=k), "week": lambda k: pd.DateOffset(weeks=k),
           "month": lambda k: pd.DateOffset(months=k), "quarter": lambda k: pd.DateOffset(months=3 * k)}


def selection_document(scores: DataFrame, chosen: DataFrame, fs: ForecastSettings, margin: float) -> dict:
    """What the forecaster needs: the profile, and each series' family (the best local one where the GBT won)."""
    without_gbt = [f for f in fs.families if f != GBT]
    local = winners(scores.filter(F.col("family") != GBT), without_gbt, margin).select(
        SERIES_ID, F.col("family").alias("local"))
    picked = chosen.join(local, SERIES_ID, "left").select(
        SERIES_ID, F.when(F.col("family") == GBT, F.col("local")).otherwise(F.col("family")).alias("family"))
    series = {row[SERIES_ID]: row.family for row in picked.collect() if row.family}
    return {"frequency": fs.frequency, "horizon": fs.horizon, "season_length": fs.season_length,
            "interval_level": fs.interval_level, "families": list(fs.families),
            "default": next(iter(won_shares(picked.filter(F.col("family").isNotNull()))), without_gbt[0]),
            "series": series}


def log_forecaster(scores: DataFrame, chosen: DataFrame, fs: ForecastSettings, margin: float,
                   register: bool) -> str | None:
    """Log the forecaster to the active run as ``model``; register it when asked. Returns the registered version."""
    with tempfile.TemporaryDirectory() as folder:
        selection = Path(folder) / "selection.json"
        selection.write_text(json.dumps(selection_document(scores, chosen, fs, margin)))
        code = Path(folder) / PYFUNC_CODE
        code.write_text(resources.files(__package__).joinpath(PYFUNC_CODE).read_text())
        info = mlflow.pyfunc.log_model(name="model", python_model=str(code), artifacts={SELECTION: str(selection)},
                                       signature=SIGNATURE, pip_requirements=_requirements())
    return tracking.register_model(info.model_uri, fs.registered_model) if register else None


def _requirements() -> list[str]:
    from importlib import metadata

    return [f"{name}=={metadata.version(name)}" for name in ("statsforecast", "pandas", "numpy")]


class SelectedForecaster(mlflow.pyfunc.PythonModel):
    """The ``python_function`` face of a forecast run's selection: histories in, forecasts with intervals out."""

    def load_context(self, context) -> None:
        self.selection = json.loads(Path(context.artifacts[SELECTION]).read_text())

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return forecast_histories(self.selection, model_input)


def forecast_histories(selection: dict, histories: pd.DataFrame) -> pd.DataFrame:
    """``series_id``, ``date``, ``horizon``, ``family``, ``forecast``, ``lower``, ``upper`` for every series."""
    horizon, frames = selection["horizon"], []
    for name, history in histories.sort_values("date").groupby("series_id", sort=True):
        family = selection["series"].get(str(name), selection["default"])
        fitted = _fit(selection, family, history["y"].to_numpy(dtype=float))
        last = pd.Timestamp(history["date"].iloc[-1])
        frames.append(pd.DataFrame({
            "series_id": name, "date": [(last + OFFSETS[selection["frequency"]](k)).date() for k in range(1, horizon + 1)],
            "horizon": range(1, horizon + 1), "family": family, "forecast": fitted.mean,
            "lower": fitted.lower if fitted.lower is not None else np.nan,
            "upper": fitted.upper if fitted.upper is not None else np.nan}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["series_id", "date", "horizon", "family", "forecast", "lower", "upper"])


def _fit(selection: dict, family: str, values: np.ndarray):
    args = (values, selection["horizon"], selection["season_length"], selection["interval_level"])
    if family == COMBINATION:
        return combine([forecast_local(m, *args) for m in combination_members(selection["families"])])
    return forecast_local(family, *args)
