"""A series' frequency (day, week, month, quarter): inferred from the gaps between its dates, and its dates
moved to each period's first day.

Inference looks at the gaps between consecutive distinct dates of each series (a series with one date
says nothing): a 1-day gap anywhere means daily data with days missing; dates all on the first (or all
on the last) day of a month are monthly, or quarterly when every gap is a multiple of 3 months; gaps
that are all whole weeks, the smallest one week, are weekly. Anything else is an error naming a gap.
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from shoplake.config.settings import FORECAST_FREQUENCIES
from shoplake.ml.forecast.series import DATE, SERIES_ID, ForecastInputError

FREQUENCIES = FORECAST_FREQUENCIES


def infer_frequency(series: DataFrame) -> str:
    """The frequency of ``series`` (see the module); :class:`ForecastInputError` when it cannot be told."""
    gaps = _gaps(series)
    seen = gaps.agg(
        F.count("*").alias("gaps"), F.min("days").alias("smallest"),
        F.bool_and((F.dayofmonth(DATE) == 1) & (F.dayofmonth("previous") == 1)).alias("firsts"),
        F.bool_and(_month_end(DATE) & _month_end("previous")).alias("ends"),
        F.bool_and(F.col("months") % 3 == 0).alias("quarterly"),
        F.bool_and(F.col("days") % 7 == 0).alias("whole_weeks"),
    ).first()
    if not seen.gaps:
        raise ForecastInputError("cannot tell the frequency: no series has two dates (a frequency cannot be "
                                 "inferred from single dates); give --frequency")
    if seen.smallest == 1:
        return "day"
    if seen.firsts or seen.ends:
        return "quarter" if seen.quarterly else "month"
    if seen.whole_weeks and seen.smallest == 7:
        return "week"
    odd = gaps.orderBy((F.col("days") % 7 == 0), "days", SERIES_ID, DATE).first()
    raise ForecastInputError(
        f"cannot tell the frequency: series {odd[SERIES_ID]!r} has dates {odd.previous} and {odd[DATE]}, "
        f"{odd.days} days apart, which is not daily, weekly, monthly or quarterly; aggregate to one of those "
        f"({', '.join(FREQUENCIES)}), or give --frequency")


def align_to_frequency(series: DataFrame, frequency: str) -> DataFrame:
    """``series`` with each date moved to its period's first day (a week starts on Monday).

    Raises :class:`ForecastInputError` when weekly dates fall on different weekdays within a series, or
    when two rows of one series fall into one week, month or quarter.
    """
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}, got {frequency!r}")
    if frequency == "day":
        return series
    if frequency == "week":
        _require_one_weekday(series)
    aligned = series.withColumn(DATE, F.trunc(DATE, frequency))
    crowded = aligned.groupBy(SERIES_ID, DATE).count().filter("count > 1").agg(
        F.count("*").alias("periods"), F.min(F.struct(SERIES_ID, DATE, "count")).alias("example")).first()
    if crowded.periods:
        example = crowded.example
        raise ForecastInputError(
            f"series {example[SERIES_ID]!r} has {example['count']} rows in the {frequency} starting "
            f"{example[DATE]} ({crowded.periods} series-periods have more than one row); aggregate to one row "
            f"per {frequency} first, or give a finer --frequency")
    return aligned


def _gaps(series: DataFrame) -> DataFrame:
    """One row per consecutive pair of distinct dates of a series: ``previous``, ``date``, ``days``, ``months``."""
    dates = series.select(SERIES_ID, DATE).where(F.col(DATE).isNotNull()).distinct()
    previous = F.lag(DATE).over(Window.partitionBy(SERIES_ID).orderBy(DATE))
    month = F.year(DATE) * 12 + F.month(DATE)
    return (dates.select(SERIES_ID, DATE, previous.alias("previous"))
            .where(F.col("previous").isNotNull())
            .select(SERIES_ID, "previous", DATE, F.datediff(DATE, "previous").alias("days"),
                    (month - (F.year("previous") * 12 + F.month("previous"))).alias("months")))


def _month_end(column: str) -> Column:
    return F.last_day(column) == F.col(column)


def _require_one_weekday(series: DataFrame) -> None:
    """Raise :class:`ForecastInputError` naming a series whose dates fall on more than one weekday."""
    weekday = F.struct(F.dayofweek(DATE).alias("number"), F.date_format(DATE, "EEEE").alias("name"))
    mixed = (series.where(F.col(DATE).isNotNull()).groupBy(SERIES_ID)
             .agg(F.min(weekday).alias("first"), F.max(weekday).alias("second"))
             .where(F.col("first.number") != F.col("second.number"))
             .orderBy(SERIES_ID).first())
    if mixed:
        raise ForecastInputError(
            f"series {mixed[SERIES_ID]!r} has dates on a {mixed.first.name} and on a {mixed.second.name}: weekly "
            "series have one date a week, on one weekday; aggregate to one row per week first, or give "
            "another --frequency")
