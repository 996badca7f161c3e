"""A forecast run end to end: check, fill, featurize, backtest against the baselines, fit the final
model, forecast with intervals, and track it all in MLflow (family ``forecast``).

The final model is fitted on every known target and registered only when its backtest MASE
beats seasonal-naive's.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import mlflow
import pandas as pd
import pyspark
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.config import Settings
from shoplake.config.settings import ForecastSettings
from shoplake.log import get_logger
from shoplake import tracking
from shoplake.ml.forecast import plots
from shoplake.ml.forecast.backtest import backtest
from shoplake.ml.forecast.calendar import fill_calendar, recent_history
from shoplake.ml.forecast.features import history_length, origin_features
from shoplake.ml.forecast.intervals import coverage, residual_quantiles, with_intervals
from shoplake.ml.forecast.metrics import METRICS, accuracy
from shoplake.ml.forecast.model import FORECAST, feature_importances, fit_model, predict
from shoplake.ml.forecast.series import DATE, SERIES_ID, TARGET, ForecastInputError, check_series, conform
from shoplake.ml.forecast.strategy import ACTUAL, ORIGIN, STEP, TARGET_DATE, model_inputs, stack_horizons

log = get_logger(__name__)
FAMILY = "forecast"
MODELS = ["gbt", "naive", "seasonal_naive"]
FORECAST_COLUMNS = [SERIES_ID, "category", DATE, STEP, ORIGIN, FORECAST, "lower", "upper", "interval_level"]


@dataclass
class ForecastRun:
    """What a run produced: the forecasts (``FORECAST_COLUMNS``), backtest accuracy and the MLflow entries."""

    forecasts: DataFrame
    metrics: dict[str, float]
    by_category: list[dict]
    by_series: list[dict]
    importances: dict[str, float]
    short_series: list[str]
    run_id: str
    model_version: str | None


def train_forecast(series: DataFrame, settings: Settings, fs: ForecastSettings | None = None, *,
                   until: str = "table", table_versions: Mapping[str, int] | None = None,
                   run_name: str = "train_forecast", register: bool = True) -> ForecastRun:
    """Backtest, fit and forecast ``series`` (the :mod:`~shoplake.ml.forecast.series` contract); log the run.

    ``until`` says where each series' calendar ends (see :func:`fill_calendar`). Raises
    :class:`ForecastInputError` for input that cannot be forecast (see ``check_series``),
    when no series is long enough for the lags and horizon, or when the first backtest fold has
    nothing to train on. Shorter series are left out, logged and listed in the run.
    """
    fs = fs or settings.forecast
    series = conform(series)
    stats = check_series(series, fs.frequency)
    log.info("forecasting %d series (%d rows, %s to %s), horizon %d %ss", stats.series, stats.rows, stats.first,
             stats.last, fs.horizon, fs.frequency)
    filled = fill_calendar(series, fs.frequency, until).cache()
    needed = history_length(fs) + fs.horizon
    lengths = filled.groupBy(SERIES_ID).agg(F.count("*").alias("periods"), F.sum(F.col("filled").cast("int")).alias("gaps"))
    summary = lengths.agg(F.sum("gaps").alias("filled"), F.max("periods").alias("longest"),
                          F.sum((F.col("periods") < needed).cast("int")).alias("short")).first()
    short = [r[SERIES_ID] for r in lengths.filter(F.col("periods") < needed).select(SERIES_ID).limit(1000).collect()]
    if summary.short == stats.series:
        raise ForecastInputError(
            f"no series is long enough to forecast: each needs at least {needed} {fs.frequency}s ({history_length(fs)} of "
            f"history for the lags {list(fs.lags)}, windows {list(fs.windows)} and {fs.seasonal_cycles} seasons of "
            f"{fs.season_length}, plus the horizon {fs.horizon}); the longest has {summary.longest}")
    if short:
        log.warning("%d of %d series are shorter than %d %ss and get no forecast (e.g. %s)", summary.short, stats.series,
                    needed, fs.frequency, ", ".join(short[:5]))
    log.info("calendar filled: %d periods without a row were set to 0", summary.filled)
    usable = filled.join(lengths.filter(F.col("periods") >= needed).select(SERIES_ID), SERIES_ID, "left_semi")
    origins = origin_features(usable, fs).cache()
    rows = stack_horizons(origins, fs)
    with tracking.start_run(settings.mlflow, FAMILY, run_name=run_name, tags={"frequency": fs.frequency}) as run:
        mlflow.log_params({k: v for k, v in asdict(fs).items() if k != "monthly"})
        tracking.log_table_versions(table_versions or {})
        mlflow.log_metrics({"rows": stats.rows, "series": stats.series, "filled_periods": summary.filled,
                            "short_series": summary.short})
        if short:
            mlflow.log_text("\n".join(short) + "\n", "short_series.txt")
        results = backtest(rows, filled, fs).cache()
        overall = accuracy(results, MODELS)[0]
        by_category = accuracy(results, MODELS, by=["category"])
        by_series = accuracy(results, MODELS, by=[SERIES_ID])
        metrics = {k: v for k, v in overall.items() if v is not None}
        quantiles = residual_quantiles(results, fs.interval_level)
        if fs.folds > 1:  # honest coverage: the last fold's intervals from the earlier folds' residuals
            last = F.col("fold") == fs.folds - 1
            earlier = residual_quantiles(results.filter(~last), fs.interval_level)
            metrics["interval_coverage"] = coverage(with_intervals(results.filter(last), earlier))
        mlflow.log_metrics(metrics)
        _log_group_metrics(by_category, "category")
        mlflow.log_text(pd.DataFrame(by_category).to_csv(index=False), "metrics_by_category.csv")
        mlflow.log_text(pd.DataFrame(by_series).to_csv(index=False), "metrics_by_series.csv")
        mlflow.log_figure(plots.accuracy_figure(overall, MODELS), "backtest_accuracy.png")
        log.info("backtest MASE: gbt %.3f, naive %.3f, seasonal-naive %.3f; WAPE: gbt %.3f, seasonal-naive %.3f",
                 *(overall[f"{m}_mase"] or float("nan") for m in MODELS), overall["gbt_wape"] or float("nan"),
                 overall["seasonal_naive_wape"] or float("nan"))
        log.info("fitting the final model on every known target")
        model = fit_model(rows.filter(F.col(ACTUAL).isNotNull()), fs)
        importances = feature_importances(model, fs)
        mlflow.log_text(pd.Series(importances, name="importance").to_csv(index_label="feature"), "feature_importances.csv")
        mlflow.log_figure(plots.importance_figure(importances), "feature_importances.png")
        ahead = with_intervals(predict(model, rows.filter(F.col("periods_left") == 0)), quantiles)
        forecasts = ahead.select(SERIES_ID, "category", F.col(TARGET_DATE).alias(DATE), F.col(STEP).cast("int").alias(STEP),
                                 ORIGIN, FORECAST, "lower", "upper", F.lit(fs.interval_level).alias("interval_level"))
        forecasts = forecasts.cache()
        mlflow.log_metric("forecast_rows", forecasts.count())
        mlflow.log_figure(_forecast_plot(filled, results, forecasts, fs), "forecast_vs_actual.png")
        beats = metrics.get("gbt_mase", float("inf")) < metrics.get("seasonal_naive_mase", float("-inf"))
        mlflow.set_tag("beats_seasonal_naive", str(beats).lower())
        version = _log_model(model, fs, register and beats)
        log.info("model %s", f"registered as {fs.registered_model} v{version}" if version else
                 "not registered" + ("" if beats else " (does not beat seasonal-naive on MASE)"))
    results.unpersist()
    origins.unpersist()
    filled.unpersist()
    return ForecastRun(forecasts, metrics, by_category, by_series, importances, short, run.info.run_id, version)


def _log_group_metrics(groups: list[dict], key: str) -> None:
    """``<key>.<group>.<metric>`` metrics of every model, for groups with a metric-safe name."""
    safe = {}
    for group in groups:
        name = "".join(ch if ch.isalnum() or ch in "-_. " else "_" for ch in str(group[key]))
        safe.update({f"{key}.{name}.{k}": v for k, v in group.items()
                     if k.endswith(METRICS) and v is not None and not k.startswith("series")})
    mlflow.log_metrics(safe)


def _forecast_plot(filled: DataFrame, results: DataFrame, forecasts: DataFrame, fs: ForecastSettings):
    """Forecast vs actual of the ``plot_items`` series with the most volume (only their rows are collected)."""
    top = filled.groupBy(SERIES_ID).agg(F.sum(TARGET).alias("volume")).orderBy(F.desc("volume"), SERIES_ID)
    top = [r[SERIES_ID] for r in top.limit(fs.plot_items).collect()]
    actuals = recent_history(filled, top, fs.horizon * (fs.folds + 3)).toPandas().sort_values(DATE)
    backtests = results.filter(F.col(SERIES_ID).isin(top)).select(SERIES_ID, "fold", TARGET_DATE, FORECAST).toPandas()
    future = forecasts.filter(F.col(SERIES_ID).isin(top)).select(SERIES_ID, DATE, FORECAST, "lower", "upper").toPandas()
    order = {name: i for i, name in enumerate(top)}
    actuals = actuals.sort_values(SERIES_ID, key=lambda s: s.map(order), kind="stable")
    return plots.forecast_figure(actuals, backtests, future, f"forecast vs actual, top {len(top)} series by volume")


def _log_model(model, fs: ForecastSettings, register: bool) -> str | None:
    """Log the fitted pipeline with its signature; register it when asked. Returns the registered version."""
    signature = ModelSignature(
        inputs=Schema([ColSpec("string" if name == "category" else "double", name) for name in model_inputs(fs)]),
        outputs=Schema([ColSpec("double", "scaled_prediction")]))
    info = mlflow.spark.log_model(model, "model", signature=signature,
                                  pip_requirements=[f"pyspark=={pyspark.__version__}"])
    return tracking.register_model(info.model_uri, fs.registered_model) if register else None
