"""The one exception the analyses raise on purpose, and the input checks that raise it (missing columns, too few rows)."""
from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import DataFrame


class AnalyticsError(ValueError):
    """An analysis cannot run on its input (missing table or column, too little data, a bad rule)."""


def require_columns(df: DataFrame, columns: Iterable[str], what: str) -> DataFrame:
    """``df`` unchanged, or :class:`AnalyticsError` naming the columns ``what`` needs and lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise AnalyticsError(f"{what}: missing column(s) {', '.join(missing)} (has {', '.join(df.columns)})")
    return df


def require_rows(df: DataFrame, minimum: int, what: str) -> int:
    """The row count of ``df``, or :class:`AnalyticsError` when it is below ``minimum``."""
    rows = df.count()
    if rows < minimum:
        raise AnalyticsError(f"{what}: {rows} row(s), need at least {minimum}")
    return rows
