"""Forecast with several model families per series, each series by the family that won its backtest: the shop's
daily item sales into gold.forecasts (and every family's scores into gold.forecast_backtest), logged to MLflow.

``--input retail-series`` forecasts the real monthly retail series instead, and ``--input PATH_OR_TABLE`` a user's own
series (CSV, Parquet, a Delta folder or a lake table such as gold.daily_item_sales) with the id, date and value
columns named by ``--id-column``/``--date-column``/``--value-column``, daily, weekly, monthly or quarterly (inferred
from the dates, or ``--frequency``), into gold.series_forecasts and gold.series_forecast_backtest.
"""
from __future__ import annotations

import sys

from shoplake.config.settings import FORECAST_FREQUENCIES
from shoplake.runner import ConfigFlag, Job, run_job
from shoplake.steps.forecast import train_forecast_step

PROFILES = ("forecast.weekly", "forecast.monthly", "forecast.quarterly")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def add_arguments(parser):
    parser.add_argument("--input", default="shop", metavar="shop|retail-series|PATH_OR_TABLE",
                        help="shop: gold.daily_item_sales -> gold.forecasts (default); retail-series: the real monthly "
                             "retail series from the dataset cache; a CSV or Parquet file or folder, a Delta folder or "
                             "a lake table: your own series -> gold.series_forecasts")
    parser.add_argument("--series", nargs="+", default=(), help="with a series input: only these series (default: all)")
    parser.add_argument("--no-register", action="store_true", help="never register the forecaster")


FLAGS = (ConfigFlag("--horizon", ("forecast.horizon", *(f"{p}.horizon" for p in PROFILES)), _positive,
                    help="periods to forecast"),
         ConfigFlag("--folds", ("forecast.folds", *(f"{p}.folds" for p in PROFILES)), _positive, help="backtest folds"),
         ConfigFlag("--id-column", ("forecast.id_column",), help="your series' id column"),
         ConfigFlag("--date-column", ("forecast.date_column",), help="your series' date column"),
         ConfigFlag("--value-column", ("forecast.value_column",), help="your series' value column"),
         ConfigFlag("--frequency", ("forecast.input_frequency",), choices=("auto", *FORECAST_FREQUENCIES),
                    help="your series' frequency (auto: inferred from the dates)"))

JOB = Job("train_forecast", train_forecast_step, __doc__, add_arguments, FLAGS)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
