"""The series contract every forecast reads, how lake and real data map onto it, and its checks.

A series frame has one row per series and period: ``series_id`` (string), ``date`` (the
period's first day), ``y`` (the value to forecast, >= 0), and optional ``price``,
``promotion``, ``category`` and ``list_price``.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

SERIES_ID, DATE, TARGET = "series_id", "date", "y"
OPTIONAL = {"price": "double", "promotion": "boolean", "category": "string", "list_price": "double"}
UNKNOWN_CATEGORY = "unknown"


class ForecastInputError(ValueError):
    """Input that cannot be forecast; the message says what is wrong and what is needed."""


@dataclass(frozen=True)
class SeriesStats:
    """What the checks saw: rows, series and the date range."""

    rows: int
    series: int
    first: object
    last: object


def shop_series(daily_item_sales: DataFrame, products: DataFrame | None = None) -> DataFrame:
    """``gold.daily_item_sales`` as series (units per product and day), with the product's category and list price."""
    sales = daily_item_sales.select(
        F.col("product_id").cast("string").alias(SERIES_ID), F.col("date").cast("date").alias(DATE),
        F.col("units").cast("double").alias(TARGET), F.col("avg_price").cast("double").alias("price"),
        F.col("promotion").cast("boolean").alias("promotion"))
    if products is None:
        return sales
    catalogue = products.select(F.col("product_id").cast("string").alias(SERIES_ID),
                                F.col("category").cast("string").alias("category"),
                                F.col("price").cast("double").alias("list_price")).dropDuplicates([SERIES_ID])
    return sales.join(catalogue, SERIES_ID, "left")


def item_sales_series(item_sales: DataFrame, value: str = "revenue") -> DataFrame:
    """An ``item_sales`` frame (``item_id``, ``date``, ``units``, ``revenue``) as series of ``value``."""
    return item_sales.select(F.col("item_id").cast("string").alias(SERIES_ID), F.col("date").cast("date").alias(DATE),
                             F.col(value).cast("double").alias(TARGET))


def conform(series: DataFrame) -> DataFrame:
    """The contract's columns in order, optional ones added (null, or ``unknown`` category) when missing."""
    missing = [c for c in (SERIES_ID, DATE, TARGET) if c not in series.columns]
    if missing:
        raise ForecastInputError(f"the series need the columns {SERIES_ID}, {DATE}, {TARGET}; missing: {', '.join(missing)}")
    optional = [F.col(c).cast(t).alias(c) if c in series.columns else F.lit(None).cast(t).alias(c)
                for c, t in OPTIONAL.items()]
    out = series.select(F.col(SERIES_ID).cast("string").alias(SERIES_ID), F.col(DATE).cast("date").alias(DATE),
                        F.col(TARGET).cast("double").alias(TARGET), *optional)
    return out.withColumn("category", F.coalesce("category", F.lit(UNKNOWN_CATEGORY)))


def check_series(series: DataFrame, frequency: str) -> SeriesStats:
    """Check a conformed series frame in two passes; raise :class:`ForecastInputError` saying what is wrong.

    Rejected: no rows, missing ids/dates/values, negative values, two rows for one series and
    period, and (monthly, quarterly) dates that are not the first day of their period.
    """
    misaligned = {"month": F.dayofmonth(DATE) != 1,
                  "quarter": (F.dayofmonth(DATE) != 1) | (F.month(DATE) % 3 != 1)}.get(frequency, F.lit(False))
    counts = series.agg(
        F.count("*").alias("rows"), F.countDistinct(SERIES_ID).alias("series"),
        F.min(DATE).alias("first"), F.max(DATE).alias("last"),
        F.sum(F.col(SERIES_ID).isNull().cast("int")).alias("null_ids"),
        F.sum(F.col(DATE).isNull().cast("int")).alias("null_dates"),
        F.sum(F.col(TARGET).isNull().cast("int")).alias("null_values"),
        F.sum((F.col(TARGET) < 0).cast("int")).alias("negative"),
        F.sum(misaligned.cast("int")).alias("misaligned"),
    ).first()
    if counts.rows == 0:
        raise ForecastInputError("there is nothing to forecast: the sales table has no rows")
    problems = [f"{counts[name]} rows {what}" for name, what in (
        ("null_ids", f"without a {SERIES_ID}"), ("null_dates", "without a date"),
        ("null_values", f"without a value ({TARGET})"), ("negative", "with a negative value"),
        ("misaligned", f"dated other than the first day of a {frequency}")) if counts[name]]
    duplicates = series.groupBy(SERIES_ID, DATE).count().filter("count > 1").count()
    if duplicates:
        problems.append(f"{duplicates} series-periods with more than one row (aggregate to one row per period first)")
    if problems:
        raise ForecastInputError(f"the sales series cannot be forecast: {'; '.join(problems)}")
    return SeriesStats(counts.rows, counts.series, counts.first, counts["last"])
