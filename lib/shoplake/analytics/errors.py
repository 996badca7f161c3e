"""The exceptions the analyses raise on purpose, and the input checks that raise them (missing columns, too few
rows, an input the shop does not send)."""
from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import DataFrame


class AnalyticsError(ValueError):
    """An analysis cannot run on its input (missing table or column, too little data, a bad rule)."""


class PartNotRun(Exception):
    """An analysis that needs an input this shop does not send: ``reason`` (``"no clickstream"``) says which,
    ``detail`` what is missing; the other parts run."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason} ({detail})")
        self.reason = reason


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
