"""Silver → gold: daily item sales, user-item interactions, user features and the daily funnel.

Each gold table is recomputed from the current silver tables and replaced in one commit, so
a re-run on the same silver versions leaves the same gold tables. Orders are required; the
clickstream is not: a shop without it gets interactions from its purchases, user features from
its orders alone (as of the day after its last order) and no daily funnel.
"""
from __future__ import annotations

from pyspark.sql import functions as F

from shoplake.catalog import (CLICKSTREAM, GOLD_DAILY_ITEM_SALES, GOLD_FUNNEL_DAILY, GOLD_USER_FEATURES,
                              GOLD_USER_ITEM_INTERACTIONS, SILVER_EVENTS, SILVER_ORDER_LINES, SILVER_SESSIONS, table,
                              tables_written_by)
from shoplake.config import Settings
from shoplake.gold.transforms import (daily_item_sales, funnel_daily, orders_end, purchase_interactions, user_features,
                                      user_item_interactions)
from shoplake.lake import Lake
from shoplake.log import get_logger

log = get_logger(__name__)
GOLD_TABLES = tables_written_by("build_gold")


def build_gold(lake: Lake, settings: Settings) -> dict:
    """Rebuild the gold tables from silver; return the version each gold table was left at (without
    clickstream, ``gold.funnel_daily`` is not built)."""
    if not lake.exists(SILVER_ORDER_LINES):
        raise RuntimeError(f"build_gold needs {SILVER_ORDER_LINES}: run ingest_orders first")
    lines = lake.read(SILVER_ORDER_LINES)
    weights = settings.gold.interaction_weights
    if CLICKSTREAM.present(lake.exists):
        events, sessions = lake.read(SILVER_EVENTS), lake.read(SILVER_SESSIONS)
        as_of = sessions.agg(F.max("session_end")).first()[0]
        frames = {
            GOLD_DAILY_ITEM_SALES: daily_item_sales(lines),
            GOLD_USER_ITEM_INTERACTIONS: user_item_interactions(events, weights),
            GOLD_USER_FEATURES: user_features(sessions, lines, as_of),
            GOLD_FUNNEL_DAILY: funnel_daily(sessions),
        }
    else:
        as_of = orders_end(lines)
        frames = {
            GOLD_DAILY_ITEM_SALES: daily_item_sales(lines),
            GOLD_USER_ITEM_INTERACTIONS: purchase_interactions(lines, weights.get("purchase", 0.0)),
            GOLD_USER_FEATURES: user_features(None, lines, as_of),
        }
        log.info("build_gold: %s (%s not in the lake): interactions from purchases, user features from orders as of "
                 "%s (days_since_seen, sessions, conversion_rate null), %s not built", CLICKSTREAM.reason,
                 " and ".join(CLICKSTREAM.tables), as_of, GOLD_FUNNEL_DAILY)
    versions = {}
    for name, df in frames.items():
        versions[name] = lake.overwrite(df, name, partition_by=list(table(name).partition_by))
        log.info("%s: version %d", name, versions[name])
    return versions
