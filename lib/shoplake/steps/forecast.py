"""Forecast demand with the backtested model: the shop's daily item sales, or the real monthly retail series."""
from __future__ import annotations

from shoplake.catalog import GOLD_DAILY_ITEM_SALES
from shoplake.ml.forecast.load import forecast_demand, forecast_retail_series
from shoplake.quality import require_passing
from shoplake.steps.context import StepContext, StepOutcome


def train_forecast_step(ctx: StepContext) -> StepOutcome:
    """``input`` shop (default): ``gold.daily_item_sales`` → ``gold.forecasts``; ``retail-series``: the real monthly
    series (``series``: only these) → ``gold.retail_series_forecasts``; ``no_register``: never register."""
    register = not ctx.option("no_register", False)
    if ctx.option("input", "shop") == "retail-series":
        summary = forecast_retail_series(ctx.lake, ctx.settings, ctx.option("series", ()), register=register)
    else:
        require_passing(ctx.lake, ctx.settings, [GOLD_DAILY_ITEM_SALES])  # refuses a version that failed a check
        summary = forecast_demand(ctx.lake, ctx.settings, register=register)
    return StepOutcome.from_summary(summary, wrote={summary["table"]: summary["version"]})
