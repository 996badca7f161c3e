"""Rebuild the gold tables from silver, once silver's versions passed their critical checks."""
from __future__ import annotations

from shoplake.catalog import CLICKSTREAM, GOLD_FUNNEL_DAILY, inputs_of, without_absent
from shoplake.gold.build import build_gold
from shoplake.quality import require_passing
from shoplake.steps.context import StepContext, StepOutcome


def build_gold_step(ctx: StepContext) -> StepOutcome:
    """Daily item sales, user-item interactions, user features and the daily funnel, from gated silver (the
    clickstream's tables only when the shop has them)."""
    inputs = without_absent(inputs_of("build_gold"), ctx.lake.exists)
    require_passing(ctx.lake, ctx.settings, inputs)  # refuses versions that failed a critical check
    wrote = build_gold(ctx.lake, ctx.settings)
    figures = {table.split(".")[1]: version for table, version in wrote.items()}
    if GOLD_FUNNEL_DAILY not in wrote:
        figures[GOLD_FUNNEL_DAILY.split(".")[1]] = CLICKSTREAM.reason
    return StepOutcome(wrote=wrote, figures=figures)
