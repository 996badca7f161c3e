"""User-item interactions: weighted clickstream events summed per pair, and input checks.

Implicit feedback is the sum of per-event-type weights for each (user, item) pair; the
checks turn empty or degenerate inputs into one clear :class:`InteractionsError` instead of
an MLlib stack trace.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

#: Weight of each clickstream event type; types not listed (page_view, search, ...) are ignored.
DEFAULT_EVENT_WEIGHTS: Mapping[str, float] = {
    "product_view": 1.0,
    "add_to_cart": 3.0,
    "begin_checkout": 4.0,
    "purchase": 5.0,
}
MIN_INTERACTIONS = 10


class InteractionsError(ValueError):
    """The interactions cannot train or evaluate a recommender (empty, too small, degenerate)."""


@dataclass(frozen=True)
class InteractionStats:
    """Size of an interactions table."""

    rows: int
    users: int
    items: int


def event_strength(
    events: DataFrame,
    weights: Mapping[str, float] = DEFAULT_EVENT_WEIGHTS,
    user_col: str = "user_id",
    item_col: str = "product_id",
    event_col: str = "event_type",
    time_col: str = "event_time",
) -> DataFrame:
    """Sum the weights of each pair's events: ``(user_col, item_col, strength, last_time)``.

    Events without a user or an item, and event types absent from ``weights``, are dropped.
    """
    weight = F.create_map(*[F.lit(x) for x in chain.from_iterable(weights.items())])[F.col(event_col)]
    return (
        events.where(F.col(user_col).isNotNull() & F.col(item_col).isNotNull())
        .withColumn("_weight", weight.cast("double"))
        .where(F.col("_weight").isNotNull())
        .groupBy(user_col, item_col)
        .agg(F.sum("_weight").alias("strength"), F.max(time_col).alias("last_time"))
    )


def check_interactions(
    df: DataFrame, user_col: str, item_col: str, min_rows: int = MIN_INTERACTIONS
) -> InteractionStats:
    """Count rows, users and items; raise :class:`InteractionsError` when they cannot train ALS."""
    row = df.agg(
        F.count(F.lit(1)).alias("rows"),
        F.countDistinct(user_col).alias("users"),
        F.countDistinct(item_col).alias("items"),
    ).first()
    stats = InteractionStats(rows=row["rows"], users=row["users"], items=row["items"])
    if stats.rows == 0:
        raise InteractionsError("no interactions: the input table is empty")
    if stats.users < 2:
        raise InteractionsError(f"only {stats.users} user in {stats.rows} interactions: need at least 2 users")
    if stats.items < 2:
        raise InteractionsError(f"only {stats.items} item in {stats.rows} interactions: need at least 2 items")
    if stats.rows < min_rows:
        raise InteractionsError(f"only {stats.rows} interactions: need at least {min_rows} to train and evaluate")
    return stats
