"""A forecast run end to end: check and fill the series, backtest every family on every series, choose each
series' family, forecast with intervals, and track it all in MLflow (experiment family ``forecast``).

The forecaster (:mod:`~shoplake.ml.forecast.forecaster`) is registered only when the selected
forecasts beat seasonal-naive's backtest MASE on the same folds.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import mlflow
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake import tracking
from shoplake.config import Settings
from shoplake.config.settings import ForecastSettings
from shoplake.log import get_logger
from shoplake.ml.forecast import plots
from shoplake.ml.forecast.backtest import gbt_backtest, gbt_forecast, mase_scales
from shoplake.ml.forecast.calendar import add_periods, fill_calendar, recent_history
from shoplake.ml.forecast.features import history_length, origin_features
from shoplake.ml.forecast.forecaster import log_forecaster
from shoplake.ml.forecast.intervals import coverage, residual_quantiles, with_intervals
from shoplake.ml.forecast.local_backtest import local_backtest
from shoplake.ml.forecast.local_models import GBT
from shoplake.ml.forecast.metrics import METRICS, accuracy, fold_scores
from shoplake.ml.forecast.model import FORECAST, feature_importances
from shoplake.ml.forecast.selection import (SELECTED, best_margin, margin_scores, scored_folds, selected_rows, winners,
                                            won_shares)
from shoplake.ml.forecast.series import DATE, SERIES_ID, TARGET, ForecastInputError, check_series, conform
from shoplake.ml.forecast.strategy import ORIGIN, STEP, TARGET_DATE, stack_horizons

log = get_logger(__name__)
FAMILY = "forecast"
BASELINE = "seasonal_naive"
FORECAST_COLUMNS = [SERIES_ID, "category", DATE, STEP, ORIGIN, "family", FORECAST, "lower", "upper", "interval_level"]
BACKTEST_COLUMNS = [SERIES_ID, "fold", "family", "n", "volume", "abs_error", "mae", "rmse", "wape", "smape", "mase",
                    "mase_scale", "failed", "error", "chosen"]


@dataclass
class ForecastRun:
    """What a run produced: forecasts (``FORECAST_COLUMNS``), every family's backtest scores (``BACKTEST_COLUMNS``),
    accuracy on the scored folds, the share of series each family won, the selection margin, and the MLflow entries."""

    forecasts: DataFrame
    backtest: DataFrame
    metrics: dict[str, float]
    by_category: list[dict]
    by_series: list[dict]
    won: dict[str, float]
    margin: float
    importances: dict[str, float]
    short_series: list[str]
    run_id: str
    model_version: str | None


def train_forecast(series: DataFrame, settings: Settings, fs: ForecastSettings | None = None, *,
                   until: str = "table", table_versions: Mapping[str, int] | None = None,
                   run_name: str = "train_forecast", register: bool = True) -> ForecastRun:
    """Backtest every family on ``series`` (the :mod:`~shoplake.ml.forecast.series` contract), forecast each series
    with the family that won its backtest, and log the run.

    ``until`` says where each series' calendar ends (see :func:`fill_calendar`). Raises
    :class:`ForecastInputError` for input that cannot be forecast (see ``check_series``) and when no
    series is long enough for the lags and horizon. Shorter series are left out, logged and listed in the run.
    """
    fs = fs or settings.forecast
    series = conform(series)
    stats = check_series(series, fs.frequency)
    log.info("forecasting %d series (%d rows, %s to %s), horizon %d %ss, families %s", stats.series, stats.rows,
             stats.first, stats.last, fs.horizon, fs.frequency, ", ".join(fs.families))
    filled = fill_calendar(series, fs.frequency, until).cache()
    usable, short, summary = _long_enough(filled, fs, stats.series)
    origins = origin_features(usable, fs).cache()
    rows = stack_horizons(origins, fs).cache()
    with tracking.start_run(settings.mlflow, FAMILY, run_name=run_name, tags={"frequency": fs.frequency}) as run:
        mlflow.log_params({k: v for k, v in asdict(fs).items() if k not in ("weekly", "monthly", "quarterly")})
        tracking.log_table_versions(table_versions or {})
        mlflow.log_metrics({"rows": stats.rows, "series": stats.series, "filled_periods": summary.filled,
                            "short_series": summary.short})
        if short:
            mlflow.log_text("\n".join(short) + "\n", "short_series.txt")
        forecasts_all, families = _family_forecasts(usable, rows, fs)
        # every family's forecasts are computed once, and the plans built on them stay short (checkpoints)
        context = _with_context(forecasts_all, filled, origins, fs).localCheckpoint()
        backtest_rows = context.filter(F.col("fold").isNotNull()).join(mase_scales(filled, fs), [SERIES_ID, "fold"],
                                                                        "left").localCheckpoint()
        scores = fold_scores(backtest_rows, keep=("category",)).localCheckpoint()
        _log_failures(scores)
        margins = margin_scores(scores, families, fs.folds, fs.selection_margin)
        margin = best_margin(margins, fs.selection_margin)
        chosen = winners(scores, families, margin).localCheckpoint()
        won = won_shares(chosen)
        _log_margins(margins, margin)
        metrics, by_category, by_series = _evaluate(backtest_rows, scores, families, won, margins, fs)
        final, importances = context.filter(F.col("fold").isNull()), {}
        if GBT in won:
            log.info("fitting the GBT on every known target for the %.0f%% of series it won", 100 * won[GBT])
            model, gbt_rows = gbt_forecast(rows, fs)
            importances = feature_importances(model, fs)
            mlflow.log_text(pd.Series(importances, name="importance").to_csv(index_label="feature"),
                            "feature_importances.csv")
            mlflow.log_figure(plots.importance_figure(importances), "feature_importances.png")
            final = final.unionByName(_with_context(gbt_rows, filled, origins, fs))
        quantiles = residual_quantiles(backtest_rows, fs.interval_level)
        picked = final.join(chosen.select(SERIES_ID, "family"), [SERIES_ID, "family"], "left_semi")
        forecasts = with_intervals(picked, quantiles).select(
            SERIES_ID, "category", F.col(TARGET_DATE).alias(DATE), STEP, ORIGIN, "family", FORECAST, "lower", "upper",
            F.lit(fs.interval_level).alias("interval_level")).cache()
        mlflow.log_metric("forecast_rows", forecasts.count())
        mlflow.log_figure(_forecast_plot(filled, backtest_rows, chosen, forecasts, fs), "forecast_vs_actual.png")
        backtest = scores.join(chosen.select(SERIES_ID, "family", F.lit(True).alias("chosen")), [SERIES_ID, "family"],
                               "left").fillna({"chosen": False}).select(*BACKTEST_COLUMNS).cache()
        beats = metrics.get(f"{SELECTED}_mase", float("inf")) < metrics.get(f"{BASELINE}_mase", float("-inf"))
        mlflow.set_tag("beats_seasonal_naive", str(beats).lower())
        version = log_forecaster(scores, chosen, fs, margin, register and beats)
        log.info("forecaster %s", f"registered as {fs.registered_model} v{version}" if version else
                 "not registered" + ("" if beats else " (the selected forecasts do not beat seasonal-naive on MASE)"))
    for frame in (rows, origins, filled):
        frame.unpersist()
    return ForecastRun(forecasts, backtest, metrics, by_category, by_series, won, margin, importances, short,
                       run.info.run_id, version)


def _log_margins(margins: dict[tuple[int, float], float], margin: float) -> None:
    """The selection margin chosen, and what each candidate scored per fold."""
    mlflow.log_param("selection_margin_chosen", margin)
    mlflow.log_metrics({f"selection.margin_{m:g}.fold_{fold}_mase": value for (fold, m), value in margins.items()
                        if value != float("inf")})
    by_margin = {m: [v for (_, mm), v in margins.items() if mm == m] for m in sorted({m for _, m in margins})}
    log.info("selection margin %g (mean MASE of the choices on the later folds by margin: %s)", margin,
             ", ".join(f"{m:g} {sum(v) / len(v):.3f}" for m, v in by_margin.items() if v) or "one fold: not scored")


def _evaluate(backtest_rows: DataFrame, scores: DataFrame, families: list[str], won: dict[str, float],
              margins: dict[tuple[int, float], float], fs: ForecastSettings) -> tuple[dict, list[dict], list[dict]]:
    """Every family's and the selected forecast's accuracy on the scored folds (overall, per category, per series),
    the honest interval coverage, all logged with the share of series each family won."""
    per_fold = {fold: best_margin(margins, fs.selection_margin, before=fold) for fold in scored_folds(fs.folds)}
    selected = selected_rows(backtest_rows, scores, families, fs.folds, per_fold).localCheckpoint()
    evaluated = backtest_rows.filter(F.col("fold").isin(scored_folds(fs.folds))).unionByName(selected.drop("chosen"))
    evaluated_scores = fold_scores(evaluated, keep=("category",)).localCheckpoint()
    metrics = {k: v for k, v in accuracy(evaluated_scores)[0].items() if v is not None}
    by_category = accuracy(evaluated_scores, by=["category"])
    by_series = accuracy(evaluated_scores, by=[SERIES_ID])
    metrics.update({f"won_share.{family}": share for family, share in won.items()})
    if fs.folds > 1:  # honest coverage: the last fold's intervals from the earlier folds' residuals
        last = F.col("fold") == fs.folds - 1
        earlier = residual_quantiles(backtest_rows.filter(~last), fs.interval_level)
        selected_last = selected.filter(last).withColumn("family", F.col("chosen"))
        metrics["interval_coverage"] = coverage(with_intervals(selected_last, earlier))
    mlflow.log_metrics(metrics)
    mlflow.set_tags({"scored_folds": ",".join(map(str, scored_folds(fs.folds))),
                     "selection_scored_in_sample": str(fs.folds == 1).lower()})
    _log_group_metrics(by_category, "category")
    mlflow.log_text(pd.DataFrame(by_category).to_csv(index=False), "metrics_by_category.csv")
    mlflow.log_text(pd.DataFrame(by_series).to_csv(index=False), "metrics_by_series.csv")
    mlflow.log_figure(plots.accuracy_figure(metrics, [*families, SELECTED]), "backtest_accuracy.png")
    mlflow.log_figure(plots.won_figure(won), "families_won.png")
    log.info("backtest MASE on folds %s: selected %s, %s; families won: %s", scored_folds(fs.folds),
             _fmt(metrics.get(f"{SELECTED}_mase")), ", ".join(f"{f} {_fmt(metrics.get(f'{f}_mase'))}" for f in families),
             ", ".join(f"{f} {share:.0%}" for f, share in won.items()))
    return metrics, by_category, by_series


def _long_enough(filled: DataFrame, fs: ForecastSettings, total: int):
    """The series long enough for the lags and horizon, the names of the others (up to 1000), and counts."""
    needed = history_length(fs) + fs.horizon
    lengths = filled.groupBy(SERIES_ID).agg(F.count("*").alias("periods"), F.sum(F.col("filled").cast("int")).alias("gaps"))
    summary = lengths.agg(F.sum("gaps").alias("filled"), F.max("periods").alias("longest"),
                          F.sum((F.col("periods") < needed).cast("int")).alias("short")).first()
    short = [r[SERIES_ID] for r in lengths.filter(F.col("periods") < needed).select(SERIES_ID).limit(1000).collect()]
    if summary.short == total:
        raise ForecastInputError(
            f"no series is long enough to forecast: each needs at least {needed} {fs.frequency}s ({history_length(fs)} of "
            f"history for the lags {list(fs.lags)}, windows {list(fs.windows)} and {fs.seasonal_cycles} seasons of "
            f"{fs.season_length}, plus the horizon {fs.horizon}); the longest has {summary.longest}")
    if short:
        log.warning("%d of %d series are shorter than %d %ss and get no forecast (e.g. %s)", summary.short, total,
                    needed, fs.frequency, ", ".join(short[:5]))
    log.info("calendar filled: %d periods without a row were set to 0", summary.filled)
    usable = filled.join(lengths.filter(F.col("periods") >= needed).select(SERIES_ID), SERIES_ID, "left_semi")
    return usable, short, summary


def _family_forecasts(usable: DataFrame, rows: DataFrame, fs: ForecastSettings) -> tuple[DataFrame, list[str]]:
    """Every family's forecast rows (backtest folds and, for the local families, the final forecast), and the
    families that could run (the GBT is left out when a fold has nothing to train on)."""
    families = list(fs.families)
    out = local_backtest(usable, fs)
    if GBT in families:
        gbt = gbt_backtest(rows, fs)
        if gbt is None:
            families.remove(GBT)
            mlflow.set_tag("gbt_left_out", "a backtest fold had nothing to train on")
        else:
            out = out.unionByName(gbt)
    if not families:
        raise ForecastInputError("no forecast family can run on these series: add families to forecast.families")
    return out, families


def _with_context(forecast_rows: DataFrame, filled: DataFrame, origins: DataFrame, fs: ForecastSettings) -> DataFrame:
    """Forecast rows with their ``target_date``, the series' ``category`` and its level ``scale`` at the origin."""
    categories = filled.select(SERIES_ID, "category").dropDuplicates([SERIES_ID])
    scales = origins.select(SERIES_ID, F.col(DATE).alias(ORIGIN), "scale")
    return (forecast_rows.withColumn(TARGET_DATE, add_periods(F.col(ORIGIN), F.col(STEP), fs.frequency))
            .join(categories, SERIES_ID, "left").join(scales, [SERIES_ID, ORIGIN], "left"))


def _log_failures(scores: DataFrame) -> None:
    """Warn about (and log) every family that could not forecast some series' folds, with an example reason."""
    failed = scores.filter("failed").groupBy("family").agg(
        F.count("*").alias("folds"), F.first(SERIES_ID).alias("series"), F.first("error").alias("error")).collect()
    for row in failed:
        log.warning("%s could not forecast %d series-folds (e.g. %s: %s); it cannot win those series", row.family,
                    row.folds, row.series, row.error)
        mlflow.log_metric(f"failed_folds.{row.family}", row.folds)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _log_group_metrics(groups: list[dict], key: str) -> None:
    """``<key>.<group>.<metric>`` metrics of every family, for groups with a metric-safe name."""
    safe = {}
    for group in groups:
        name = "".join(ch if ch.isalnum() or ch in "-_. " else "_" for ch in str(group[key]))
        safe.update({f"{key}.{name}.{k}": v for k, v in group.items()
                     if k.endswith(METRICS) and v is not None and not k.startswith("series")})
    mlflow.log_metrics(safe)


def _forecast_plot(filled: DataFrame, backtest_rows: DataFrame, chosen: DataFrame, forecasts: DataFrame,
                   fs: ForecastSettings):
    """Forecast vs actual of the ``plot_items`` series with the most volume, each by its chosen family."""
    top = filled.groupBy(SERIES_ID).agg(F.sum(TARGET).alias("volume")).join(chosen, SERIES_ID, "left_semi")
    top = [r[SERIES_ID] for r in top.orderBy(F.desc("volume"), SERIES_ID).limit(fs.plot_items).collect()]
    actuals = recent_history(filled, top, fs.horizon * (fs.folds + 3)).toPandas().sort_values(DATE)
    mine = backtest_rows.filter(F.col(SERIES_ID).isin(top)).join(chosen.select(SERIES_ID, "family"),
                                                                 [SERIES_ID, "family"], "left_semi")
    backtests = mine.select(SERIES_ID, "fold", TARGET_DATE, FORECAST).toPandas()
    future = forecasts.filter(F.col(SERIES_ID).isin(top)).select(SERIES_ID, DATE, "family", FORECAST, "lower",
                                                                 "upper").toPandas()
    order = {name: i for i, name in enumerate(top)}
    actuals = actuals.sort_values(SERIES_ID, key=lambda s: s.map(order), kind="stable")
    return plots.forecast_figure(actuals, backtests, future, f"forecast vs actual, top {len(top)} series by volume")
