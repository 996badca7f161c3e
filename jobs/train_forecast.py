"""Forecast demand with one global GBTRegressor: backtest against naive and seasonal-naive, write gold.forecasts, log to MLflow.

``--input retail-series`` runs the same code on the real monthly retail series instead.
"""
from __future__ import annotations

import sys
from dataclasses import replace

from shoplake.lake import open_lake
from shoplake.ml.forecast.load import SALES, forecast_demand, forecast_retail_series
from shoplake.quality import require_passing
from shoplake.runner import JobContext, run_job


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def add_arguments(parser):
    parser.add_argument("--input", choices=("shop", "retail-series"), default="shop",
                        help="shop: gold.daily_item_sales -> gold.forecasts (default); retail-series: the real monthly "
                             "retail series from the dataset cache -> gold.retail_series_forecasts")
    parser.add_argument("--series", nargs="+", default=(),
                        help="with --input retail-series: only these series (default: all)")
    parser.add_argument("--horizon", type=_positive, help="periods to forecast (default: forecast.horizon, "
                                                          "forecast.monthly.horizon for monthly series)")
    parser.add_argument("--folds", type=_positive, help="backtest folds (default: forecast.folds)")
    parser.add_argument("--no-register", action="store_true", help="never register the model")


def main(ctx: JobContext) -> dict:
    args, settings = ctx.args, ctx.settings
    overrides = {k: v for k, v in (("horizon", args.horizon), ("folds", args.folds)) if v is not None}
    if overrides:
        monthly = {**settings.forecast.monthly, **overrides}
        settings = replace(settings, forecast=replace(settings.forecast, **overrides, monthly=monthly))
    lake = open_lake(ctx.spark, settings)
    if args.input == "retail-series":
        return forecast_retail_series(ctx.spark, lake, settings, args.series, register=not args.no_register)
    require_passing(lake, settings, [SALES])  # refuses a version that failed a critical check
    return forecast_demand(lake, settings, register=not args.no_register)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
