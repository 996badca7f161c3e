"""Checks on user-item interactions before a recommender is trained on them.

Empty or degenerate inputs become one clear :class:`InteractionsError` instead of an MLlib
stack trace. (The interactions themselves, event weights summed per user and product, are
``gold.user_item_interactions`` from :func:`shoplake.gold.transforms.user_item_interactions`.)
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

MIN_INTERACTIONS = 10


class InteractionsError(ValueError):
    """The interactions cannot train or evaluate a recommender (empty, too small, degenerate)."""


@dataclass(frozen=True)
class InteractionStats:
    """Size of an interactions table."""

    rows: int
    users: int
    items: int


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
