"""Lake in, forecasts out: the pipeline's forecast steps.

``forecast_demand`` reads ``gold.daily_item_sales`` (and ``silver.products`` for categories and
list prices), runs :func:`~shoplake.ml.forecast.train.train_forecast` and replaces
``gold.forecasts``. ``forecast_retail_series`` does the same for the real monthly retail
series from the dataset cache (each series ends on its own last month) into
``gold.retail_series_forecasts``.
"""
from __future__ import annotations

from collections.abc import Sequence

from shoplake.catalog import GOLD_DAILY_ITEM_SALES, GOLD_FORECASTS, GOLD_RETAIL_SERIES_FORECASTS, SILVER_PRODUCTS
from shoplake.config import Settings
from shoplake.datasets.convert import convert
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.ml.forecast.series import SERIES_ID, ForecastInputError, item_sales_series, shop_series
from shoplake.ml.forecast.train import FORECAST_COLUMNS, ForecastRun, train_forecast

log = get_logger(__name__)
FORECASTS, RETAIL_FORECASTS = GOLD_FORECASTS, GOLD_RETAIL_SERIES_FORECASTS


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
    return _write(lake, run, FORECASTS, "product_id")


def forecast_retail_series(lake: Lake, settings: Settings, names: Sequence[str] = (),
                           register: bool = False) -> dict:
    """Forecast the real monthly retail series (all, or those in ``names``) into ``gold.retail_series_forecasts``."""
    frame = convert("retail-series", settings.paths.cache)["item_sales"]
    known = sorted(frame["item_id"].unique())
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ForecastInputError(f"unknown retail series {', '.join(unknown)}; known: {', '.join(known)}")
    if names:
        frame = frame[frame["item_id"].isin(names)]
    frame = frame.astype({"units": "float64"})
    series = item_sales_series(lake.spark.createDataFrame(frame))
    run = train_forecast(series, settings, settings.forecast.for_frequency("month"), until="series",
                         run_name="train_forecast_retail", register=register)
    return _write(lake, run, RETAIL_FORECASTS, SERIES_ID)


def _write(lake: Lake, run: ForecastRun, table: str, id_column: str) -> dict:
    """Replace ``table`` with the run's forecasts; the summary the pipeline reports."""
    forecasts = run.forecasts.select(*FORECAST_COLUMNS).withColumnRenamed(SERIES_ID, id_column)
    version = lake.overwrite(forecasts, table)
    run.forecasts.unpersist()
    log.info("%s: version %d", table, version)
    summary = {"table": table, "version": version, "run_id": run.run_id, "model_version": run.model_version,
               "short_series": len(run.short_series)}
    summary.update({k: round(v, 4) for k, v in run.metrics.items() if k.endswith(("mase", "wape", "coverage"))})
    return summary
