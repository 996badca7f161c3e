"""Bronze: the input files' raw lines as received, and the records that broke their contract."""
from __future__ import annotations

from shoplake.catalog.ddl import ddl_columns
from shoplake.catalog.table import Table
from shoplake.config.settings import INPUT_SOURCES

BRONZE_CLICKSTREAM = "bronze.clickstream"
BRONZE_ORDERS = "bronze.orders"
BRONZE_PRODUCTS = "bronze.products"
BRONZE_REVIEWS = "bronze.reviews"
BRONZE_QUARANTINE = "bronze.quarantine"


def _raw(name: str, step: str) -> Table:
    source = name.split(".", 1)[1]
    return Table(
        name, f"raw {source} input lines as received, one row per line",
        columns=ddl_columns("value string, _source_file string, _ingested_at timestamp, _batch_id bigint"),
        written_by=(step,), checked=True,
        required=("value", "_source_file", "_batch_id"),
        not_future=("_ingested_at",),
    )


TABLES = (
    _raw(BRONZE_CLICKSTREAM, "ingest_clickstream"),
    _raw(BRONZE_ORDERS, "ingest_orders"),
    _raw(BRONZE_PRODUCTS, "ingest_catalog"),
    _raw(BRONZE_REVIEWS, "ingest_catalog"),
    Table(
        BRONZE_QUARANTINE, "input records that broke their contract or could not be read as text, with the reason",
        columns=ddl_columns("source string, raw string, _source_file string, reason string, _ingested_at timestamp, "
                            "_batch_id bigint"),
        written_by=("ingest_clickstream", "ingest_orders", "ingest_catalog"), checked=True,
        required=("source", "reason", "_batch_id"),
        allowed={"source": INPUT_SOURCES},
        not_future=("_ingested_at",),
    ),
)
