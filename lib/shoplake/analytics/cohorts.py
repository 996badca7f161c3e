"""Cohort retention: customers grouped by the period (week or month) of their first purchase.

A purchase is an order whose latest status counts as revenue (not cancelled or refunded). For
each cohort and each later period the matrix holds the share of the cohort that purchased in
that period (period 0 is the first purchase itself, so always 1), up to the last period the
data reaches; the repeat-purchase rate is the share of customers with two or more orders.
"""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.analytics.errors import require_columns
from shoplake.schemas import REVENUE_STATUSES

PERIOD_DAYS = {"week": 7}


def purchases(order_lines: DataFrame) -> DataFrame:
    """One row per counted order: ``customer_id``, ``order_id``, ``order_time``."""
    require_columns(order_lines, ("order_id", "customer_id", "order_time", "status"), "cohort order lines")
    counted = order_lines.filter(F.col("status").isin(*REVENUE_STATUSES) & F.col("customer_id").isNotNull())
    return counted.groupBy("customer_id", "order_id").agg(F.min("order_time").alias("order_time"))


def _periods_between(start: F.Column, end: F.Column, period: str) -> F.Column:
    """Whole periods from the period starting at ``start`` to the one starting at ``end``."""
    if period == "month":
        return F.months_between(end, start).cast("int")
    return F.floor(F.datediff(end, start) / PERIOD_DAYS[period]).cast("int")


def cohort_retention(orders: DataFrame, period: str, max_periods: int) -> DataFrame:
    """The retention matrix in long form, one row per cohort and period index (zeros included).

    Columns: ``cohort`` (first day of the cohort's period), ``period`` (0, 1, ...; at most
    ``max_periods``), ``cohort_size``, ``active_customers`` (cohort members with a purchase in that
    period), ``retention`` (their share) and ``cohort_repeat_rate`` (share with 2+ orders ever).
    """
    require_columns(orders, ("customer_id", "order_time"), "cohort orders")
    start = lambda c: F.to_date(F.date_trunc(period, c))  # noqa: E731
    dated = orders.select("customer_id", start(F.col("order_time")).alias("period_start"))
    customers = orders.groupBy("customer_id").agg(
        start(F.min("order_time")).alias("cohort"), F.count("*").alias("orders"))
    last_period = dated.agg(F.max("period_start").alias("last_period"))
    sizes = customers.groupBy("cohort").agg(
        F.count("*").alias("cohort_size"),
        F.round(F.avg((F.col("orders") >= 2).cast("double")), 4).alias("cohort_repeat_rate"),
    )
    reach = F.least(_periods_between(F.col("cohort"), F.col("last_period"), period), F.lit(max_periods))
    grid = sizes.crossJoin(last_period).withColumn("period", F.explode(F.sequence(F.lit(0), reach)))
    active = dated.join(customers.select("customer_id", "cohort"), "customer_id").withColumn(
        "period", _periods_between(F.col("cohort"), F.col("period_start"), period)
    ).groupBy("cohort", "period").agg(F.countDistinct("customer_id").alias("active_customers"))
    return grid.join(active, ["cohort", "period"], "left").select(
        "cohort", "period", "cohort_size",
        F.coalesce("active_customers", F.lit(0)).cast("long").alias("active_customers"),
        F.round(F.coalesce("active_customers", F.lit(0)) / F.col("cohort_size"), 4).alias("retention"),
        "cohort_repeat_rate",
    )


def repeat_purchase_rate(orders: DataFrame) -> float:
    """Share of customers with two or more counted orders (0.0 without customers)."""
    per_customer = orders.groupBy("customer_id").count()
    rate = per_customer.agg(F.avg((F.col("count") >= 2).cast("double"))).first()[0]
    return float(rate or 0.0)
