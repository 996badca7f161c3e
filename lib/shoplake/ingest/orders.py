"""Order transforms: contract rules, latest state per order, order lines and customers (no I/O)."""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from shoplake.ingest.clickstream import first_per_key
from shoplake.ingest.parse import Rule, future_timestamp
from shoplake.privacy.pseudonyms import pseudonymize
from shoplake.schemas import ORDER_STATUSES


def order_rules(now: Column, future_tolerance_minutes: int) -> list[Rule]:
    """Domain rules of the orders contract; ``now`` is the ingest time. A line may be free (a unit price of 0:
    a gift, a promotion), not negative."""
    lines = F.coalesce(F.col("lines"), F.array())
    return [
        Rule("unknown_status", ~F.col("status").isin(*ORDER_STATUSES)),
        Rule("no_order_lines", F.size(lines) == 0),
        Rule("missing_product_id", F.exists(lines, lambda line: line["product_id"].isNull())),
        Rule("nonpositive_quantity", F.exists(lines, lambda line: F.coalesce(line["quantity"], F.lit(0)) <= 0)),
        Rule("missing_unit_price", F.exists(lines, lambda line: line["unit_price"].isNull())),
        Rule("negative_price", F.exists(lines, lambda line: line["unit_price"] < 0)),
        Rule("bad_discount", F.exists(lines, lambda line: (line["discount"] < 0) | (line["discount"] > line["unit_price"]))),
        future_timestamp(F.greatest("order_time", "updated_at"), now, future_tolerance_minutes),
        Rule("update_before_order", F.col("updated_at") < F.col("order_time")),
    ]


def latest_state(order_records: DataFrame) -> DataFrame:
    """One row per order: the record with the latest ``updated_at`` (ties: the later-ingested)."""
    return first_per_key(order_records, "order_id", [F.col("updated_at").desc(), F.col("_ingested_at").desc(),
                                                     F.col("_source_file").desc()])


def pseudonymized_orders(orders: DataFrame, key: bytes) -> DataFrame:
    """Orders without PII: the customer id replaced by its keyed pseudonym, contact fields dropped."""
    return orders.withColumn("customer_id", pseudonymize(F.col("customer_id"), key)).drop(
        "email", "name", "phone", "address"
    )


def order_lines(orders: DataFrame) -> DataFrame:
    """One row per order line of (pseudonymized) orders, with its net amount.

    ``discount`` is money off each unit, so a line's net amount is quantity x (unit price - discount).
    """
    exploded = orders.select(
        "order_id", "customer_id", "order_time", "status", "updated_at", F.posexplode("lines").alias("line_no", "line")
    )
    return exploded.select(
        "order_id", "line_no", "customer_id", "order_time", "status", "updated_at",
        F.col("line.product_id").alias("product_id"),
        F.col("line.quantity").alias("quantity"),
        F.col("line.unit_price").alias("unit_price"),
        F.coalesce(F.col("line.discount"), F.lit(0.0)).alias("discount"),
    ).withColumn("net_amount", F.round(F.col("quantity") * (F.col("unit_price") - F.col("discount")), 2))

