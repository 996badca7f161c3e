"""Rebuild the gold tables (daily item sales, user-item interactions, user features, daily funnel) from silver."""
from __future__ import annotations

import sys

from shoplake.gold.build import SOURCES, build_gold
from shoplake.lake import open_lake
from shoplake.quality import require_passing
from shoplake.runner import JobContext, run_job


def main(ctx: JobContext) -> None:
    lake = open_lake(ctx.spark, ctx.settings)
    require_passing(lake, ctx.settings, SOURCES)  # refuses silver versions that failed a critical check
    build_gold(lake, ctx.settings)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__))
