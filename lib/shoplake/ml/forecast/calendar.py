"""Explicit calendars: every period of every series, with the periods that had no row filled in.

A shop's sales tables hold only the days an item sold, so a missing period means no sales:
each series runs from its first row to the last date of the whole table (``until="table"``, a
shop's items) or to its own last row (``until="series"``, independent series such as published
retail series), and a period without a row gets ``y = 0`` and ``filled = true``. Price and promotion are carried forward from the
series' last row (the last price a customer saw); category and list price are per series.
"""
from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from shoplake.ml.forecast.series import DATE, SERIES_ID, TARGET

STEP = {"day": "INTERVAL 1 DAY", "week": "INTERVAL 7 DAYS", "month": "INTERVAL 1 MONTH", "quarter": "INTERVAL 3 MONTHS"}
DAYS, MONTHS = {"day": 1, "week": 7}, {"month": 1, "quarter": 3}
UNTIL = ("table", "series")


def add_periods(date: Column, periods: Column | int, frequency: str) -> Column:
    """``date`` moved by ``periods`` periods of ``frequency`` (day, week, month or quarter)."""
    periods = periods if isinstance(periods, Column) else F.lit(periods)
    if frequency in DAYS:
        return F.date_add(date, periods * DAYS[frequency])
    return F.add_months(date, periods * MONTHS[frequency])


def fill_calendar(series: DataFrame, frequency: str, until: str = "table") -> DataFrame:
    """Every period of each series from its first row to the end (see the module), gaps filled with zero.

    Adds ``filled`` (the period had no row), ``t`` (the period's index within its series, from
    0) and ``periods_left`` (periods from this one to the series' end).
    """
    if until not in UNTIL:
        raise ValueError(f"until must be one of {', '.join(UNTIL)}, got {until!r}")
    bounds = series.groupBy(SERIES_ID).agg(
        F.min(DATE).alias("first_date"), F.max(DATE).alias("end_date"),
        F.first("category", ignorenulls=True).alias("category"),
        F.first("list_price", ignorenulls=True).alias("list_price"))
    if until == "table":
        bounds = bounds.drop("end_date").crossJoin(series.agg(F.max(DATE).alias("end_date")))
    calendar = bounds.select(
        SERIES_ID, "category", "list_price",
        F.explode(F.sequence("first_date", "end_date", F.expr(STEP[frequency]))).alias(DATE))
    observed = series.select(SERIES_ID, DATE, TARGET, "price", "promotion")
    joined = calendar.join(observed, [SERIES_ID, DATE], "left")
    so_far = Window.partitionBy(SERIES_ID).orderBy(DATE).rowsBetween(Window.unboundedPreceding, 0)
    t = F.row_number().over(Window.partitionBy(SERIES_ID).orderBy(DATE)) - 1
    return joined.select(
        SERIES_ID, DATE, "category", "list_price",
        F.coalesce(TARGET, F.lit(0.0)).alias(TARGET),
        F.last("price", ignorenulls=True).over(so_far).alias("price"),
        F.coalesce(F.last("promotion", ignorenulls=True).over(so_far), F.lit(False)).alias("promotion"),
        F.col(TARGET).isNull().alias("filled"),
        t.alias("t"), (F.count("*").over(Window.partitionBy(SERIES_ID)) - 1 - t).alias("periods_left"),
    )


def recent_history(filled: DataFrame, ids: Sequence[str], periods: int) -> DataFrame:
    """``series_id``, ``date``, ``y`` of the series ``ids`` over their last ``periods`` periods of ``filled``
    (a :func:`fill_calendar` result, so a period without sales is there as 0): the actuals a forecast panel
    draws. A line over the days with sales alone would join them and read as continuous demand.
    """
    chosen = F.col(SERIES_ID).isin(list(ids)) & (F.col("periods_left") < periods)
    return filled.filter(chosen).select(SERIES_ID, DATE, TARGET)
