"""Time decay of interactions: a weight that halves every ``half_life_days`` before a reference time.

Recent behaviour predicts the next purchases better than old behaviour when tastes and trends move;
the recommenders weight interaction strength and item popularity by this factor. A half-life of 0
means no decay (every interaction counts fully).
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

SECONDS_PER_DAY = 86_400.0
#: The column of indexed interactions holding each user-item pair's latest interaction time.
TIME = "last_time"


def latest_time(df: DataFrame, time_col: str) -> float | None:
    """The latest ``time_col`` of ``df`` as epoch seconds (the reference a decay is measured from)."""
    latest = df.agg(F.max(F.col(time_col).cast("double"))).first()[0]
    return None if latest is None else float(latest)


def decay(time_col: str, half_life_days: float, reference_s: float | None) -> Column:
    """``0.5 ** (age in days / half_life_days)``, age measured back from ``reference_s``; 1 without decay."""
    if not half_life_days or reference_s is None:
        return F.lit(1.0)
    age_days = (F.lit(reference_s) - F.col(time_col).cast("double")) / SECONDS_PER_DAY
    return F.pow(F.lit(0.5), F.greatest(age_days, F.lit(0.0)) / F.lit(float(half_life_days)))
