"""Frequently bought together: MLlib FPGrowth association rules on order baskets.

A basket is the set of distinct products of one order (every status: what was ordered together).
Rules ``antecedent → consequent`` are kept when their support, confidence and lift reach the
configured minimums.
"""
from __future__ import annotations

from pyspark.ml.fpm import FPGrowth
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.analytics.errors import require_columns


def baskets(order_lines: DataFrame) -> DataFrame:
    """One row per order: ``order_id`` and ``items``, its distinct products (sorted)."""
    require_columns(order_lines, ("order_id", "product_id"), "bundle order lines")
    lines = order_lines.filter(F.col("product_id").isNotNull())
    return lines.groupBy("order_id").agg(F.array_sort(F.collect_set("product_id")).alias("items"))


def bundle_rules(baskets: DataFrame, min_support: float, min_confidence: float, min_lift: float) -> DataFrame:
    """Association rules of ``baskets`` with support, confidence and lift at or above the minimums.

    Columns: ``antecedent`` (array), ``consequent``, ``items`` (all the rule's products, sorted),
    ``support`` (share of baskets holding all of them), ``orders`` (how many), ``confidence``, ``lift``.
    """
    model = FPGrowth(itemsCol="items", minSupport=min_support, minConfidence=min_confidence).fit(baskets)
    total = baskets.count()
    rules = model.associationRules.filter(F.col("lift") >= min_lift)
    return rules.select(
        F.array_sort("antecedent").alias("antecedent"),
        F.col("consequent")[0].alias("consequent"),
        F.array_sort(F.concat("antecedent", "consequent")).alias("items"),
        F.round("support", 6).alias("support"),
        F.round(F.col("support") * total).cast("long").alias("orders"),
        F.round("confidence", 4).alias("confidence"),
        F.round("lift", 4).alias("lift"),
    )


def pair_recovery(rules: DataFrame, pairs: DataFrame) -> dict[str, float]:
    """How well two-product rules recover known pairs (``product_a``, ``product_b``).

    ``pair_recall``: share of known pairs found as a rule (either direction); ``pair_precision``:
    share of distinct two-product bundles that are known pairs.
    """
    found = rules.filter(F.size("items") == 2).select(
        F.col("items")[0].alias("a"), F.col("items")[1].alias("b")).distinct()
    known = pairs.select(F.least("product_a", "product_b").alias("a"),
                         F.greatest("product_a", "product_b").alias("b")).distinct()
    hits = found.join(known, ["a", "b"]).count()
    n_found, n_known = found.count(), known.count()
    return {"pair_recall": hits / n_known if n_known else 0.0, "pair_precision": hits / n_found if n_found else 0.0,
            "pairs_found": float(n_found), "pairs_known": float(n_known)}
