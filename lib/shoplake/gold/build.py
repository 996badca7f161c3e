"""Silver → gold: daily item sales, user-item interactions, user features and the daily funnel.

Each gold table is recomputed from the current silver tables and replaced in one commit, so
a re-run on the same silver versions leaves the same gold tables.
"""
from __future__ import annotations

from pyspark.sql import functions as F

from shoplake.catalog import (GOLD_DAILY_ITEM_SALES, GOLD_FUNNEL_DAILY, GOLD_USER_FEATURES, GOLD_USER_ITEM_INTERACTIONS,
                              SILVER_EVENTS, SILVER_ORDER_LINES, SILVER_SESSIONS, inputs_of, table,
                              tables_written_by)
from shoplake.config import Settings
from shoplake.gold.transforms import daily_item_sales, funnel_daily, user_features, user_item_interactions
from shoplake.lake import Lake
from shoplake.log import get_logger

log = get_logger(__name__)
SOURCES = inputs_of("build_gold")
GOLD_TABLES = tables_written_by("build_gold")


def build_gold(lake: Lake, settings: Settings) -> dict:
    """Rebuild every gold table from silver; return the version each gold table was left at."""
    missing = [t for t in SOURCES if not lake.exists(t)]
    if missing:
        raise RuntimeError(f"build_gold needs {', '.join(missing)}: run the ingest jobs first")
    events, sessions, lines = (lake.read(t) for t in (SILVER_EVENTS, SILVER_SESSIONS, SILVER_ORDER_LINES))
    as_of = sessions.agg(F.max("session_end")).first()[0]
    frames = {
        GOLD_DAILY_ITEM_SALES: daily_item_sales(lines),
        GOLD_USER_ITEM_INTERACTIONS: user_item_interactions(events, settings.gold.interaction_weights),
        GOLD_USER_FEATURES: user_features(sessions, lines, as_of),
        GOLD_FUNNEL_DAILY: funnel_daily(sessions),
    }
    versions = {}
    for name, df in frames.items():
        versions[name] = lake.overwrite(df, name, partition_by=list(table(name).partition_by))
        log.info("%s: version %d", name, versions[name])
    return versions
