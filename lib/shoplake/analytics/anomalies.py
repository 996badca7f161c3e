"""Order anomalies: unusual orders flagged with a score and the reasons.

Signals, each divided by its configured threshold (1 means "as unusual as the threshold"):

- ``high_amount``, ``many_items``: modified z-score (0.6745 (x - median) / MAD) of log(1 + amount)
  and log(1 + items) over all orders, against ``anomaly_amount_z`` / ``anomaly_items_z``;
- ``order_velocity``: the customer's orders within ``anomaly_velocity_minutes`` either side,
  against ``anomaly_velocity_orders``;
- ``refund_burst``: for a refunded order, the customer's refunds within ``anomaly_refund_days``
  either side, against ``anomaly_refund_orders``.

The score is the strongest signal plus ``anomaly_no_browsing_weight`` when the customer had no
session in the ``anomaly_browse_minutes`` before the order; an order is flagged at score >= 1.
Without sessions (a shop without clickstream) ``no_browsing`` is unknown (null) and adds nothing.
Item counts are small integers (most orders hold one or two units), so each extra unit moves
their z-score a big step: ``anomaly_items_z`` defaults higher than ``anomaly_amount_z``.
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from shoplake.analytics.errors import require_columns
from shoplake.analytics.quantiles import QUANTILE_ERROR
from shoplake.config.settings import AnalyticsSettings

MAD_TO_Z = 0.6745
MEAN_AD_TO_Z = 0.7979  # used when the MAD is 0 (more than half the values equal)
LINE_COLUMNS = ("order_id", "customer_id", "order_time", "status", "updated_at", "quantity", "net_amount")


def order_facts(order_lines: DataFrame) -> DataFrame:
    """One row per order: customer, times, latest status, ``amount`` (net), ``items`` (units) and ``lines``."""
    require_columns(order_lines, LINE_COLUMNS, "anomaly order lines")
    return order_lines.groupBy("order_id").agg(
        F.first("customer_id").alias("customer_id"), F.min("order_time").alias("order_time"),
        F.max_by("status", "updated_at").alias("status"), F.max("updated_at").alias("updated_at"),
        F.round(F.sum("net_amount"), 2).alias("amount"), F.sum("quantity").cast("long").alias("items"),
        F.count("*").alias("lines"),
    )


def modified_z(df: DataFrame, column: str) -> Column:
    """Modified z-score of log(1 + ``column``); 0 everywhere when all values are equal."""
    logged = df.select(F.log1p(F.greatest(F.col(column), F.lit(0))).alias("v"))
    median = logged.approxQuantile("v", [0.5], QUANTILE_ERROR)[0]
    spread = logged.select(F.abs(F.col("v") - median).alias("d"))
    mad = spread.approxQuantile("d", [0.5], QUANTILE_ERROR)[0]
    scale = MAD_TO_Z / mad if mad > 0 else MEAN_AD_TO_Z / (spread.agg(F.avg("d")).first()[0] or float("inf"))
    return (F.log1p(F.greatest(F.col(column), F.lit(0))) - F.lit(median)) * F.lit(scale)


def _around(column: str, seconds: int) -> Window:
    return Window.partitionBy("customer_id").orderBy(F.col(column).cast("long")).rangeBetween(-seconds, seconds)


def _browsed(orders: DataFrame, sessions: DataFrame, minutes: int) -> DataFrame:
    """``order_id`` of orders whose customer had a session in the ``minutes`` before them."""
    o, s = orders.alias("o"), sessions.alias("s")
    overlap = ((F.col("o.customer_id") == F.col("s.user_id")) & (F.col("s.session_start") <= F.col("o.order_time"))
               & (F.col("s.session_end") >= F.col("o.order_time") - F.make_interval(mins=F.lit(minutes))))
    return o.join(s, overlap, "left_semi").select("order_id").withColumn("_browsed", F.lit(True))


def score_orders(orders: DataFrame, sessions: DataFrame | None, cfg: AnalyticsSettings) -> DataFrame:
    """Every order of :func:`order_facts` with its signals, ``score``, ``reasons``, ``reason`` and ``flagged``."""
    refunded = (F.col("status") == "refunded").cast("int")
    signals = orders.select(
        "*",
        F.round(modified_z(orders, "amount"), 4).alias("amount_z"),
        F.round(modified_z(orders, "items"), 4).alias("items_z"),
        F.count("*").over(_around("order_time", cfg.anomaly_velocity_minutes * 60)).alias("velocity_orders"),
        (refunded * F.sum(refunded).over(_around("updated_at", cfg.anomaly_refund_days * 86400))).alias(
            "refund_orders"),
    )
    if sessions is None:
        signals = signals.withColumn("no_browsing", F.lit(None).cast("boolean"))
    else:
        require_columns(sessions, ("user_id", "session_start", "session_end"), "anomaly sessions")
        signals = signals.join(_browsed(orders, sessions, cfg.anomaly_browse_minutes), "order_id", "left").withColumn(
            "no_browsing", F.col("_browsed").isNull()).drop("_browsed")
    ratios = {
        "high_amount": F.col("amount_z") / cfg.anomaly_amount_z,
        "many_items": F.col("items_z") / cfg.anomaly_items_z,
        "order_velocity": F.col("velocity_orders") / cfg.anomaly_velocity_orders,
        "refund_burst": F.col("refund_orders") / cfg.anomaly_refund_orders,
    }
    strongest = F.greatest(*ratios.values())
    score = F.round(F.greatest(strongest, F.lit(0.0))
                    + F.coalesce(F.col("no_browsing").cast("double"), F.lit(0.0)) * cfg.anomaly_no_browsing_weight, 4)
    top = F.coalesce(*[F.when(ratio == strongest, F.lit(name)) for name, ratio in ratios.items()])
    over = F.array_compact(F.array(*[F.when(ratio >= 1, F.lit(name)) for name, ratio in ratios.items()]))
    main = F.when(F.size(over) > 0, over).otherwise(F.array(top))
    browsing = F.when(F.col("no_browsing"), F.array(F.lit("no_browsing"))).otherwise(F.array().cast("array<string>"))
    flagged = F.col("score") >= 1
    return signals.withColumn("score", score).withColumn("flagged", flagged).withColumn(
        "reasons", F.when(flagged, F.concat(main, browsing)).otherwise(F.array().cast("array<string>"))
    ).withColumn("reason", F.array_join("reasons", ", ")).withColumn("order_date", F.to_date("order_time"))


def evaluate_flags(scored: DataFrame, planted: DataFrame) -> dict[str, float]:
    """Precision and recall of ``flagged`` against known anomalous orders (``order_id``, ``kind``).

    Only known anomalies present among the scored orders count; ``recall_<kind>`` per kind.
    """
    kinds = [r["kind"] for r in planted.select("kind").distinct().collect()]
    joined = scored.select("order_id", "flagged").join(planted.select("order_id", "kind"), "order_id", "left")
    hit = F.col("flagged") & F.col("kind").isNotNull()
    counts = joined.agg(
        F.sum(F.col("flagged").cast("int")).alias("flagged"), F.sum(hit.cast("int")).alias("hits"),
        F.sum(F.col("kind").isNotNull().cast("int")).alias("planted"),
        *[F.sum((F.col("kind") == k).cast("int")).alias(f"planted_{k}") for k in kinds],
        *[F.sum((hit & (F.col("kind") == k)).cast("int")).alias(f"hits_{k}") for k in kinds],
    ).first().asDict()
    counts = {k: v or 0 for k, v in counts.items()}
    metrics = {
        "flagged": float(counts["flagged"]), "planted": float(counts["planted"]),
        "precision": counts["hits"] / counts["flagged"] if counts["flagged"] else 0.0,
        "recall": counts["hits"] / counts["planted"] if counts["planted"] else 0.0,
    }
    for k in kinds:
        metrics[f"recall_{k}"] = counts[f"hits_{k}"] / counts[f"planted_{k}"] if counts[f"planted_{k}"] else 0.0
    return metrics
