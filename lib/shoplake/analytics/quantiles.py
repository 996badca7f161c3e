"""Quantile bands and scores computed by Spark (only cut points, a few numbers, reach the driver)."""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

QUANTILE_ERROR = 0.001
PERCENTILES = [i / 100 for i in range(1, 100)]


def quantile_cuts(df: DataFrame, column: str, bands: int) -> list[float]:
    """The distinct cut points among the ``bands - 1`` that split ``column`` into equally populated bands."""
    return sorted(set(df.approxQuantile(column, [i / bands for i in range(1, bands)], QUANTILE_ERROR)))


def _count(cuts: list[float], test) -> Column:
    """How many cut points pass ``test(cut)`` (a compact expression however many cuts there are)."""
    return F.size(F.filter(F.array(*[F.lit(float(c)) for c in cuts]), test)) if cuts else F.lit(0)


def cuts_below(column: str, cuts: list[float]) -> Column:
    """How many cut points lie below the value (0..len(cuts))."""
    return _count(cuts, lambda cut: cut < F.col(column))


def percentile_cuts(df: DataFrame, column: str) -> list[float]:
    """The 1st to 99th percentiles of ``column`` (approximate)."""
    return df.approxQuantile(column, PERCENTILES, QUANTILE_ERROR)


def quantile_score(column: str, percentiles: list[float], levels: int, lower_is_better: bool = False) -> Column:
    """1..levels by the value's mid-rank among the ``percentiles`` of :func:`percentile_cuts`.

    Tied values share the score of the middle of their run, so a value most rows share lands in
    the middle levels instead of all at the bottom; ``levels`` is the best score (the lowest
    values' when ``lower_is_better``).
    """
    at_or_below = _count(percentiles, lambda cut: cut <= F.col(column))
    position = (cuts_below(column, percentiles) + at_or_below) / F.lit(2 * len(percentiles))
    level = F.least(F.floor(position * levels), F.lit(levels - 1))
    return (F.lit(levels) - level) if lower_is_better else (level + F.lit(1))
