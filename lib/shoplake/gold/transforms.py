"""Gold transforms: daily item sales, user-item interactions, user features, daily funnel (no I/O).

A shop without clickstream has interactions from its purchases (:func:`purchase_interactions`) and user
features from its orders alone (:func:`user_features` without sessions), as of :func:`orders_end`.
"""
from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.schemas import FUNNEL_STEPS, REVENUE_STATUSES


def daily_item_sales(order_lines: DataFrame) -> DataFrame:
    """Units, revenue, orders, average price and a promotion flag per product and order day.

    Only lines of orders whose latest status counts as revenue (not cancelled or refunded).
    """
    counted = order_lines.filter(F.col("status").isin(*REVENUE_STATUSES))
    return counted.groupBy("product_id", F.to_date("order_time").alias("date")).agg(
        F.sum("quantity").cast("long").alias("units"),
        F.round(F.sum("net_amount"), 2).alias("revenue"),
        F.countDistinct("order_id").alias("orders"),
        F.round(F.sum("net_amount") / F.sum("quantity"), 4).alias("avg_price"),
        F.max(F.col("discount") > 0).alias("promotion"),
    )


def user_item_interactions(events: DataFrame, weights: Mapping[str, float]) -> DataFrame:
    """Implicit feedback per user and product: the sum of event weights (kept when positive)."""
    weight = F.lit(0.0)
    for event_type, value in weights.items():
        weight = F.when(F.col("event_type") == event_type, F.lit(float(value))).otherwise(weight)
    scored = events.filter(F.col("product_id").isNotNull() & F.col("event_type").isin(*weights)).withColumn("w", weight)
    return scored.groupBy("user_id", "product_id").agg(
        F.sum("w").alias("weight"),
        F.count("*").alias("n_events"),
        F.sum(F.when(F.col("event_type") == "purchase", 1).otherwise(0)).alias("n_purchases"),
        F.max("event_time").alias("last_event_time"),
    ).filter(F.col("weight") > 0)


def purchase_interactions(order_lines: DataFrame, weight: float) -> DataFrame:
    """Implicit feedback from orders alone: each order line is a purchase of ``weight``, as a purchase event is.

    The columns of :func:`user_item_interactions`; the customer is the user, the order time the event time.
    """
    if weight <= 0:
        raise ValueError(f"interactions from orders alone need a positive purchase weight, got {weight}")
    lines = order_lines.filter(F.col("product_id").isNotNull() & F.col("customer_id").isNotNull())
    return lines.groupBy(F.col("customer_id").alias("user_id"), "product_id").agg(
        (F.count("*") * F.lit(float(weight))).alias("weight"),
        F.count("*").alias("n_events"),
        F.count("*").alias("n_purchases"),
        F.max("order_time").alias("last_event_time"),
    )


def orders_end(order_lines: DataFrame):
    """The ``as_of`` of a shop without clickstream: midnight after the day of its last order (None without one)."""
    return order_lines.agg(F.date_add(F.to_date(F.max("order_time")), 1).cast("timestamp")).first()[0]


def user_features(sessions: DataFrame | None, order_lines: DataFrame, as_of) -> DataFrame:
    """Recency, frequency, monetary value, sessions and conversion per user, as of a time.

    ``as_of`` is a timestamp literal or Column; only sessions and orders before it count. Without
    ``sessions`` (a shop without clickstream) the users are the customers who ordered, and the columns
    only a clickstream tells (``days_since_seen``, ``sessions``, ``conversion_rate``) are null.
    """
    as_of = F.lit(as_of) if not hasattr(as_of, "_jc") else as_of
    placed = order_lines.filter(F.col("order_time") < as_of)
    bought = placed.filter(F.col("status").isin(*REVENUE_STATUSES))
    purchases = bought.groupBy(F.col("customer_id").alias("user_id")).agg(
        F.countDistinct("order_id").alias("frequency"),
        F.round(F.sum("net_amount"), 2).alias("monetary"),
        F.max("order_time").alias("last_order_time"),
    )
    if sessions is None:
        joined = placed.select(F.col("customer_id").alias("user_id")).distinct().join(purchases, "user_id", "left")
        clicks = [F.lit(None).cast(t).alias(c) for c, t in (("days_since_seen", "int"), ("sessions", "long"),
                                                             ("conversion_rate", "double"))]
    else:
        activity = sessions.filter(F.col("session_start") < as_of).groupBy("user_id").agg(
            F.count("*").alias("sessions"),
            F.avg(F.col("converted").cast("double")).alias("conversion_rate"),
            F.max("session_end").alias("last_seen"),
        )
        joined = activity.join(purchases, "user_id", "full")
        last = F.greatest("last_seen", "last_order_time")
        clicks = [F.floor((as_of.cast("long") - last.cast("long")) / 86400).cast("int").alias("days_since_seen"),
                  F.coalesce("sessions", F.lit(0)).cast("long").alias("sessions"),
                  F.coalesce("conversion_rate", F.lit(0.0)).alias("conversion_rate")]
    days_since_seen, n_sessions, conversion_rate = clicks
    return joined.select(
        "user_id",
        F.floor((as_of.cast("long") - F.col("last_order_time").cast("long")) / 86400).cast("int").alias("recency_days"),
        days_since_seen,
        F.coalesce("frequency", F.lit(0)).cast("long").alias("frequency"),
        F.coalesce("monetary", F.lit(0.0)).alias("monetary"),
        n_sessions,
        conversion_rate,
        as_of.alias("as_of"),
    )


def funnel_daily(sessions: DataFrame) -> DataFrame:
    """Sessions reaching each funnel step per day, channel and device, with step conversion."""
    reached = [F.sum(F.when(F.col(f"n_{step}") > 0, 1).otherwise(0)).alias(step) for step in FUNNEL_STEPS]
    funnel = sessions.groupBy("session_date", "channel", "device").agg(F.count("*").alias("sessions"), *reached)
    previous = ("sessions",) + FUNNEL_STEPS[:-1]
    for step, before in zip(FUNNEL_STEPS, previous):
        funnel = funnel.withColumn(
            f"{step}_rate", F.when(F.col(before) > 0, F.round(F.col(step) / F.col(before), 4))
        )
    return funnel.withColumnRenamed("session_date", "date")
