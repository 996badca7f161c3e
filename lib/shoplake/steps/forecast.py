"""Forecast with the families chosen by backtest: the shop's daily item sales, or any series (the real monthly
retail series, or a user's own file or table)."""
from __future__ import annotations

from shoplake.catalog import GOLD_DAILY_ITEM_SALES
from shoplake.ml.forecast.load import forecast_demand, forecast_series
from shoplake.quality import require_passing
from shoplake.steps.context import StepContext, StepOutcome


def train_forecast_step(ctx: StepContext) -> StepOutcome:
    """``input`` shop (default): ``gold.daily_item_sales`` → ``gold.forecasts``; ``retail-series`` or a path or lake
    table: those series (``series``: only these) → ``gold.series_forecasts``; ``no_register``: never register."""
    register = not ctx.option("no_register", False)
    source = ctx.option("input", "shop")
    if source == "shop":
        require_passing(ctx.lake, ctx.settings, [GOLD_DAILY_ITEM_SALES])  # refuses a version that failed a check
        summary = forecast_demand(ctx.lake, ctx.settings, register=register)
    else:
        summary = forecast_series(ctx.lake, ctx.settings, source, ctx.option("series", ()), register=register)
    return StepOutcome.from_summary(summary, wrote={summary["table"]: summary["version"],
                                                    summary["backtest_table"]: summary["backtest_version"]})
