"""Rebuild the gold tables from silver, once silver's versions passed their critical checks."""
from __future__ import annotations

from shoplake.catalog import inputs_of
from shoplake.gold.build import build_gold
from shoplake.quality import require_passing
from shoplake.steps.context import StepContext, StepOutcome


def build_gold_step(ctx: StepContext) -> StepOutcome:
    """Daily item sales, user-item interactions, user features and the daily funnel, from gated silver."""
    require_passing(ctx.lake, ctx.settings, inputs_of("build_gold"))  # refuses versions that failed a critical check
    wrote = build_gold(ctx.lake, ctx.settings)
    return StepOutcome(wrote=wrote, figures={table.split(".")[1]: version for table, version in wrote.items()})
