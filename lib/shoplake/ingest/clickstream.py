"""Clickstream transforms: contract rules, de-duplication and sessionization (no I/O)."""
from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from shoplake.ingest.parse import Rule, future_timestamp
from shoplake.schemas import EVENT_TYPES


def clickstream_rules(now: Column, future_tolerance_minutes: int) -> list[Rule]:
    """Domain rules of the clickstream contract; ``now`` is the ingest time (a price of 0 is a free product)."""
    return [
        Rule("unknown_event_type", ~F.col("event_type").isin(*EVENT_TYPES)),
        Rule("nonpositive_quantity", F.col("quantity") <= 0),
        Rule("negative_price", F.col("price") < 0),
        future_timestamp(F.col("event_time"), now, future_tolerance_minutes),
    ]


def first_per_key(df: DataFrame, key: str, order: list[Column]) -> DataFrame:
    """Keep one row per ``key``: the first by ``order`` (deterministic de-duplication)."""
    rank = Window.partitionBy(key).orderBy(*order)
    return df.withColumn("_rank", F.row_number().over(rank)).filter("_rank = 1").drop("_rank")


def sessionize(events: DataFrame, gap_minutes: int) -> DataFrame:
    """Add ``session_key``: a user's events split where more than ``gap_minutes`` pass between two.

    The key is derived from the user and the session's first event time, so re-computing it
    over more events of the same session gives the same key.
    """
    by_user = Window.partitionBy("user_id").orderBy("event_time", "event_id")
    gap = F.col("event_time").cast("long") - F.lag(F.col("event_time").cast("long")).over(by_user)
    starts = events.withColumn("_new", F.when(gap.isNull() | (gap > gap_minutes * 60), 1).otherwise(0))
    numbered = starts.withColumn("_n", F.sum("_new").over(by_user.rowsBetween(Window.unboundedPreceding, 0)))
    session_start = F.min("event_time").over(Window.partitionBy("user_id", "_n"))
    return numbered.withColumn(
        "session_key", F.sha2(F.concat_ws("|", "user_id", session_start.cast("string")), 256).substr(1, 32)
    ).drop("_new", "_n")


def sessions(events: DataFrame) -> DataFrame:
    """One row per session of sessionized events: span, event counts and whether it converted."""
    counts = [F.sum(F.when(F.col("event_type") == t, 1).otherwise(0)).alias(f"n_{t}") for t in EVENT_TYPES]
    return events.groupBy("session_key", "user_id").agg(
        F.min("event_time").alias("session_start"),
        F.max("event_time").alias("session_end"),
        F.count("*").alias("n_events"),
        F.first("device", ignorenulls=True).alias("device"),
        F.first("channel", ignorenulls=True).alias("channel"),
        *counts,
    ).withColumn("converted", F.col("n_purchase") > 0).withColumn(
        "duration_s", F.col("session_end").cast("long") - F.col("session_start").cast("long")
    ).withColumn("session_date", F.to_date("session_start"))
