"""Purchase funnel: product view → add to cart → checkout → purchase, with step conversion and drop-off.

A unit (a session, or a user from a day's first product view on) reaches a step only after the
steps before it, in time order. Two variants:

- ``session``: units are sessions (events split where ``gap_minutes`` pass without an event, the
  same sessionization as ``silver.sessions``); a session's day, channel and device are its first.
- ``within_<N>d``: units are (user, day) entries: the user's first product view of a day, and every
  funnel event of that user in the ``N`` days from it; channel and device are the entry view's.
"""
from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from shoplake.analytics.errors import require_columns
from shoplake.ingest.clickstream import sessionize
from shoplake.schemas import FUNNEL_STEPS

EVENT_COLUMNS = ("event_id", "event_time", "user_id", "event_type", "device", "channel")
SEGMENT_COLUMNS = ("date", "channel", "device")
UNKNOWN = "unknown"


def _known_segments(events: DataFrame) -> DataFrame:
    """The funnel's input columns, with a missing channel or device as ``unknown``."""
    require_columns(events, EVENT_COLUMNS, "funnel events")
    return events.select("event_id", "event_time", "user_id", "event_type",
                         F.coalesce("channel", F.lit(UNKNOWN)).alias("channel"),
                         F.coalesce("device", F.lit(UNKNOWN)).alias("device"))


def _with_step(events: DataFrame) -> DataFrame:
    """``events`` with ``step``: 0 = product_view .. 3 = purchase, null for other event types."""
    step = F.array_position(F.array(*map(F.lit, FUNNEL_STEPS)), F.col("event_type")) - 1
    return events.withColumn("step", F.when(step >= 0, step.cast("int")))


def steps_reached(events: DataFrame, unit: Sequence[str], *extra: Column) -> DataFrame:
    """Per unit, ``steps_reached``: how many funnel steps its events reached in order (plus ``extra`` aggregates).

    Events without a ``step`` (not funnel events) are ignored.
    """
    ordered = F.array_sort(F.collect_list(F.when(F.col("step").isNotNull(), F.struct("event_time", "step"))))
    walk = F.aggregate(ordered, F.lit(0), lambda done, e: F.when(e["step"] == done, done + 1).otherwise(done))
    return events.groupBy(*unit).agg(walk.alias("steps_reached"), *extra)


def session_units(events: DataFrame, gap_minutes: int) -> DataFrame:
    """One row per session that viewed a product: day, channel, device and steps reached in order."""
    keyed = sessionize(_known_segments(events), gap_minutes)
    first = F.min(F.struct("event_time", "event_id", "channel", "device")).alias("_first")
    units = steps_reached(_with_step(keyed), ["user_id", "session_key"], first)  # clustered by user: no shuffle
    return units.filter(F.col("steps_reached") > 0).select(
        "session_key", F.to_date("_first.event_time").alias("date"), "_first.channel", "_first.device",
        "steps_reached")


def window_units(events: DataFrame, within_days: int) -> DataFrame:
    """One row per user and day with a product view: steps reached in order within ``within_days`` of it."""
    funnel = _with_step(_known_segments(events)).filter(F.col("step").isNotNull())
    first_view = Window.partitionBy("user_id", F.to_date("event_time")).orderBy("event_time", "event_id")
    entries = funnel.filter(F.col("step") == 0).withColumn("_n", F.row_number().over(first_view)).filter(
        "_n = 1").select("user_id", F.col("event_time").alias("entry_time"), F.to_date("event_time").alias("date"),
                         "channel", "device")
    later = funnel.select("user_id", "event_time", "step")
    joined = entries.join(later, "user_id").filter(
        (F.col("event_time") >= F.col("entry_time"))
        & (F.col("event_time") < F.col("entry_time") + F.make_interval(days=F.lit(within_days)))
    )
    return steps_reached(joined, ["user_id", "entry_time", *SEGMENT_COLUMNS])


def step_counts(units: DataFrame, variant: str, keys: Sequence[str] = SEGMENT_COLUMNS) -> DataFrame:
    """Wide counts per ``keys``: ``reached_<i>`` = units that reached step ``i``, plus ``variant``."""
    reached = [F.sum(F.when(F.col("steps_reached") > i, 1).otherwise(0)).cast("long").alias(f"reached_{i}")
               for i in range(len(FUNNEL_STEPS))]
    return units.groupBy(*keys).agg(*reached).withColumn("variant", F.lit(variant))


def step_rows(counts: DataFrame, keys: Sequence[str]) -> DataFrame:
    """Long form of :func:`step_counts`: one row per step with conversion from the previous and first step.

    Columns: ``keys``, ``step``, ``step_index``, ``units``, ``previous_units``, ``step_conversion``
    (units / previous step's; null for the first step), ``overall_conversion`` (units / first step's),
    ``drop_off`` (previous step's units that did not reach this one) and ``drop_off_rate``.
    """
    rows = F.array(*[F.struct(
        F.lit(name).alias("step"), F.lit(i).alias("step_index"), F.col(f"reached_{i}").alias("units"),
        (F.col(f"reached_{i - 1}") if i else F.lit(None).cast("long")).alias("previous_units"),
    ) for i, name in enumerate(FUNNEL_STEPS)])
    long = counts.select(*keys, F.col("reached_0").alias("_entered"), F.explode(rows).alias("r")).select(
        *keys, "_entered", "r.*")
    ratio = lambda num, den: F.when(F.col(den) > 0, F.round(F.col(num) / F.col(den), 4))  # noqa: E731
    return long.select(
        *keys, "step", "step_index", "units", "previous_units",
        ratio("units", "previous_units").alias("step_conversion"),
        ratio("units", "_entered").alias("overall_conversion"),
        (F.col("previous_units") - F.col("units")).alias("drop_off"),
        F.when(F.col("previous_units") > 0,
               F.round((F.col("previous_units") - F.col("units")) / F.col("previous_units"), 4)).alias("drop_off_rate"),
    )


def funnel_counts(events: DataFrame, gap_minutes: int, within_days: int) -> DataFrame:
    """:func:`step_counts` of both variants (``session`` and ``within_<N>d``) per day, channel and device."""
    return step_counts(session_units(events, gap_minutes), "session").unionByName(
        step_counts(window_units(events, within_days), f"within_{within_days}d"))


def funnel_by_segment(counts: DataFrame) -> DataFrame:
    """``gold.funnel``: :func:`step_rows` per variant, day, channel and device."""
    return step_rows(counts, ["variant", *SEGMENT_COLUMNS])


def funnel_totals(counts: DataFrame) -> DataFrame:
    """``gold.funnel_steps``: :func:`step_rows` per variant over all days, channels and devices."""
    totals = counts.groupBy("variant").agg(*[F.sum(f"reached_{i}").alias(f"reached_{i}")
                                              for i in range(len(FUNNEL_STEPS))])
    return step_rows(totals, ["variant"])
