"""The quarantine-volume checks of ``bronze.quarantine``: per source, at most ``ingest.max_quarantine_share``
of the records received may be quarantined.

Ingest refuses a batch over that share, so these checks catch what got through anyway: batches
landed with ``--accept-quarantine``, or ingested before the share was lowered. A source's records
received are its ``bronze.<source>`` rows plus its records quarantined as bytes (which never reach
bronze); for a source whose order lines arrive one per row, bronze counts rows, not orders. Each
check, ``<source>_quarantine_volume`` of kind ``rows`` (critical by default), expects the source's
quarantine rows to number at most that share of its records received.
"""
from __future__ import annotations

import great_expectations.expectations as gxe
from pyspark.sql import functions as F

from shoplake.catalog import BRONZE_QUARANTINE, bronze_table
from shoplake.config import Settings
from shoplake.config.settings import INPUT_SOURCES
from shoplake.ingest.decode import INVALID_ENCODING, UNREADABLE_FILE
from shoplake.ingest.quarantine import allowed_quarantine
from shoplake.lake import Lake

KIND = "rows"


def check_name(source: str) -> str:
    """``orders_quarantine_volume``."""
    return f"{source}_quarantine_volume"


def quarantine_limits(lake: Lake, settings: Settings, table: str, version: int) -> dict[str, int]:
    """For ``bronze.quarantine`` at ``version``, the most quarantine rows each source received records of may
    have; nothing for any other table."""
    if table != BRONZE_QUARANTINE:
        return {}
    as_bytes = lake.read(table, version=version).filter(F.col("reason").isin(INVALID_ENCODING, UNREADABLE_FILE))
    unreadable = {row.source: row["count"] for row in as_bytes.groupBy("source").count().collect()}
    limits = {}
    for source in INPUT_SOURCES:
        in_bronze = lake.exists(bronze_table(source))
        received = (lake.read(bronze_table(source)).count() if in_bronze else 0) + unreadable.get(source, 0)
        if in_bronze or received:
            limits[source] = allowed_quarantine(received, settings.ingest.max_quarantine_share)
    return limits

def quarantine_volume(source: str, allowed: int) -> gxe.Expectation:
    """At most ``allowed`` rows of ``source`` in the quarantine table."""
    return gxe.ExpectTableRowCountToBeBetween(max_value=allowed, row_condition=f'source = "{source}"',
                                              condition_parser="spark")
