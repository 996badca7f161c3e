"""Silver → gold: daily item sales, user-item interactions, user features and the daily funnel.

Each gold table is recomputed from the current silver tables and replaced in one commit, so
a re-run on the same silver versions leaves the same gold tables.
"""
from __future__ import annotations

from pyspark.sql import functions as F

from shoplake.config import Settings
from shoplake.gold.transforms import daily_item_sales, funnel_daily, user_features, user_item_interactions
from shoplake.lake import Lake
from shoplake.log import get_logger

log = get_logger(__name__)
SOURCES = ("silver.events", "silver.sessions", "silver.order_lines")
GOLD_TABLES = ("gold.daily_item_sales", "gold.user_item_interactions", "gold.user_features", "gold.funnel_daily")


def build_gold(lake: Lake, settings: Settings) -> dict:
    """Rebuild every gold table from silver; return the version each gold table was left at."""
    missing = [t for t in SOURCES if not lake.exists(t)]
    if missing:
        raise RuntimeError(f"build_gold needs {', '.join(missing)}: run the ingest jobs first")
    events, sessions, lines = (lake.read(t) for t in SOURCES)
    as_of = sessions.agg(F.max("session_end")).first()[0]
    sales, interactions, features, funnel = GOLD_TABLES
    tables = {
        sales: (daily_item_sales(lines), ["date"]),
        interactions: (user_item_interactions(events, settings.gold.interaction_weights), []),
        features: (user_features(sessions, lines, as_of), []),
        funnel: (funnel_daily(sessions), []),
    }
    versions = {}
    for name, (df, partitions) in tables.items():
        versions[name] = lake.overwrite(df, name, partition_by=partitions)
        log.info("%s: version %d", name, versions[name])
    return versions
