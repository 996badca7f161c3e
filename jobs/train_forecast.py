"""Forecast demand with one global GBTRegressor: backtest against naive and seasonal-naive, write gold.forecasts, log to MLflow.

``--input retail-series`` runs the same code on the real monthly retail series instead.
"""
from __future__ import annotations

import sys

from shoplake.runner import ConfigFlag, Job, run_job
from shoplake.steps.forecast import train_forecast_step



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
    parser.add_argument("--no-register", action="store_true", help="never register the model")


FLAGS = (ConfigFlag("--horizon", ("forecast.horizon", "forecast.monthly.horizon"), _positive,
                    help="periods to forecast"),
         ConfigFlag("--folds", ("forecast.folds", "forecast.monthly.folds"), _positive, help="backtest folds"))

JOB = Job("train_forecast", train_forecast_step, __doc__, add_arguments, FLAGS)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
