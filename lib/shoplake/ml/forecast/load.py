"""Lake in, forecasts out: the pipeline's forecast steps.

``forecast_demand`` reads ``gold.daily_item_sales`` (and ``silver.products`` for categories and
list prices), runs :func:`~shoplake.ml.forecast.train.train_forecast` and replaces
``gold.forecasts`` and ``gold.forecast_backtest``. ``forecast_series`` does the same for any
series: the real monthly retail series from the dataset cache (``retail-series``), or a user's
own CSV, Parquet or Delta data or lake table, each series ending on its own last period, into
``gold.series_forecasts`` and ``gold.series_forecast_backtest``.
"""
from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.catalog import (GOLD_DAILY_ITEM_SALES, GOLD_FORECAST_BACKTEST, GOLD_FORECASTS,
                              GOLD_SERIES_FORECAST_BACKTEST, GOLD_SERIES_FORECASTS, SILVER_PRODUCTS)
from shoplake.config import Settings
from shoplake.datasets.convert import convert
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.ml.forecast.frequency import align_to_frequency, infer_frequency
from shoplake.ml.forecast.series import SERIES_ID, ForecastInputError, item_sales_series, shop_series
from shoplake.ml.forecast.source import SeriesColumns, is_lake_table, read_series
from shoplake.ml.forecast.train import BACKTEST_COLUMNS, FORECAST_COLUMNS, ForecastRun, train_forecast

log = get_logger(__name__)
RETAIL_SERIES = "retail-series"


def forecast_demand(lake: Lake, settings: Settings, register: bool = True) -> dict:
    """Forecast every product's daily units into ``gold.forecasts``; return the run's summary."""
    if not lake.exists(GOLD_DAILY_ITEM_SALES):
        raise ForecastInputError(f"forecasting needs {GOLD_DAILY_ITEM_SALES}: run build_gold first")
    versions = {GOLD_DAILY_ITEM_SALES: lake.version(GOLD_DAILY_ITEM_SALES)}
    products = None
    if lake.exists(SILVER_PRODUCTS):
        versions[SILVER_PRODUCTS] = lake.version(SILVER_PRODUCTS)
        products = lake.read(SILVER_PRODUCTS, version=versions[SILVER_PRODUCTS])
    series = shop_series(lake.read(GOLD_DAILY_ITEM_SALES, version=versions[GOLD_DAILY_ITEM_SALES]), products)
    run = train_forecast(series, settings, until="table", table_versions=versions, register=register)
    return _write(lake, run, GOLD_FORECASTS, GOLD_FORECAST_BACKTEST, "product_id")


def forecast_series(lake: Lake, settings: Settings, source: str = RETAIL_SERIES, names: Sequence[str] = (),
                    register: bool = False) -> dict:
    """Forecast the series of ``source`` (all, or those in ``names``) into ``gold.series_forecasts``.

    ``source`` is ``retail-series`` (the real monthly retail series) or a path or lake table read with the
    columns and frequency of ``forecast.id_column`` … ``forecast.input_frequency`` (``auto``: inferred, and logged).
    """
    fs = settings.forecast
    if source == RETAIL_SERIES:
        frame = convert(RETAIL_SERIES, settings.paths.cache)["item_sales"].astype({"units": "float64"})
        series, frequency, versions = item_sales_series(lake.spark.createDataFrame(frame)), "month", {}
    else:
        series = read_series(lake, source, SeriesColumns(fs.id_column, fs.date_column, fs.value_column))
        versions = {source: lake.version(source)} if is_lake_table(lake, source) else {}
        frequency = fs.input_frequency
        if frequency == "auto":
            frequency = infer_frequency(series)
            log.info("%s: the series are %s (inferred from the dates; give --frequency to say otherwise)", source,
                     {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly"}[frequency])
        series = align_to_frequency(series, frequency)
    series = _only(series, names, source)
    run = train_forecast(series, settings, fs.for_frequency(frequency), until="series", table_versions=versions,
                         run_name=f"train_forecast_{frequency}", register=register)
    summary = _write(lake, run, GOLD_SERIES_FORECASTS, GOLD_SERIES_FORECAST_BACKTEST, SERIES_ID)
    return {**summary, "frequency": frequency}


def _only(series: DataFrame, names: Sequence[str], source: str) -> DataFrame:
    """The series named ``names`` (all without names); unknown names are an error listing some known ones."""
    if not names:
        return series
    known = {r[SERIES_ID] for r in series.select(SERIES_ID).distinct().limit(10_000).collect()}
    unknown = sorted(set(names) - known)
    if unknown:
        shown = sorted(known)[:20]
        raise ForecastInputError(f"unknown series {', '.join(unknown)} in {source}; known: {', '.join(shown)}"
                                 + (" …" if len(known) > len(shown) else ""))
    return series.filter(F.col(SERIES_ID).isin(list(names)))


def _write(lake: Lake, run: ForecastRun, table: str, backtest_table: str, id_column: str) -> dict:
    """Replace ``table`` and ``backtest_table`` with the run's forecasts and backtest; the summary the pipeline reports."""
    version = lake.overwrite(run.forecasts.select(*FORECAST_COLUMNS).withColumnRenamed(SERIES_ID, id_column), table)
    backtest_version = lake.overwrite(run.backtest.select(*BACKTEST_COLUMNS).withColumnRenamed(SERIES_ID, id_column),
                                      backtest_table)
    run.forecasts.unpersist()
    run.backtest.unpersist()
    log.info("%s: version %d; %s: version %d", table, version, backtest_table, backtest_version)
    summary = {"table": table, "version": version, "backtest_table": backtest_table, "backtest_version": backtest_version, "run_id": run.run_id,
               "model_version": run.model_version, "short_series": len(run.short_series), "selection_margin": run.margin}
    summary.update({k: round(v, 4) for k, v in run.metrics.items() if k.endswith(("mase", "wape", "coverage"))})
    summary.update({f"won_{family}": round(share, 3) for family, share in run.won.items()})
    return summary
