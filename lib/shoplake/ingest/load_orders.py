"""Order files → ``bronze.orders`` → ``silver.orders`` (latest state), ``silver.order_lines``, ``silver.customers``."""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.catalog import SILVER_CUSTOMERS, SILVER_ORDER_LINES, SILVER_ORDERS
from shoplake.config import Settings
from shoplake.ingest.incremental import process_new_files, raise_refused
from shoplake.ingest.layers import BatchWriter, LineCounts, derive, land_batch
from shoplake.ingest.orders import latest_state, order_lines, order_rules, pseudonymized_orders
from shoplake.ingest.parse import arrival_time
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.schemas import ORDERS as ORDERS_CONTRACT

log = get_logger(__name__)
JOB = "ingest_orders"


def silver_orders(records: DataFrame, key: bytes) -> DataFrame:
    """Latest state per order in a batch, pseudonymous, with the email's domain instead of the email."""
    with_domain = records.withColumn("email_domain", F.lower(F.substring_index("email", "@", -1)))
    return pseudonymized_orders(latest_state(with_domain), key).withColumn("order_date", F.to_date("order_time"))


def ingest_orders(lake: Lake, settings: Settings, key: bytes, *,
                  audit_key: bytes | None = None, accept_quarantine: bool = False) -> dict:
    """Ingest new order files (later updates win by ``updated_at``); then rebuild lines and customers.

    ``key`` makes the pseudonyms; ``audit_key`` matches lines against the erasure list (by default the lake's).
    A batch with too much of it quarantined is refused (:class:`~shoplake.ingest.errors.QuarantineTooHigh`, after
    the lines and customers of the batches before it are rebuilt) unless ``accept_quarantine``.
    """
    writer = BatchWriter(lake, JOB)
    rules = order_rules(arrival_time(F.col("_source_file")), settings.ingest.future_tolerance_minutes)

    def process(lines: DataFrame, batch_id: int) -> LineCounts:
        with land_batch(writer, lines, batch_id, ORDERS_CONTRACT, rules, settings, audit_key,
                        accept_quarantine) as landed:
            version = writer.merge(silver_orders(landed.records, key).drop("_source_file"), SILVER_ORDERS, batch_id,
                                   ["order_id"], order_by="updated_at", partition_by=["order_date"])
        log.info("%s batch %d: silver.orders at version %d", JOB, batch_id, version)
        return landed.counts

    report = process_new_files(lake.spark, f"{settings.paths.inputs}/orders", lake.checkpoint_path(JOB), process, JOB,
                               settings.ingest.max_batch_mb, file_format=settings.ingest.mapping(ORDERS_CONTRACT.name))
    if lake.exists(SILVER_ORDERS):
        derive(lake, SILVER_ORDERS, SILVER_ORDER_LINES, order_lines)
        derive(lake, SILVER_ORDERS, SILVER_CUSTOMERS, customer_summary)
    raise_refused(report)
    return report.figures() | {"orders": lake.read(SILVER_ORDERS).count() if lake.exists(SILVER_ORDERS) else 0}


def customer_summary(orders: DataFrame) -> DataFrame:
    """One row per (pseudonymous) customer: email domain, first and last order, order count."""
    return orders.groupBy("customer_id").agg(
        F.max_by("email_domain", "updated_at").alias("email_domain"),
        F.min("order_time").alias("first_order_time"),
        F.max("order_time").alias("last_order_time"),
        F.count("*").alias("orders"),
    )
