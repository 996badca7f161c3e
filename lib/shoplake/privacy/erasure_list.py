"""The erasure list (``ops.erasure_list``): keyed hashes of erased customers' ids and emails, honoured at ingest.

The list holds pseudonyms only, never a raw identifier. :func:`drop_erased` removes the raw
input lines of listed customers before they reach bronze, so re-ingesting old input files
does not bring an erased customer back.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType, TimestampType

from shoplake.config import Settings
from shoplake.ingest.parse import json_keys
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.privacy.pseudonyms import pseudonymize
from shoplake.privacy.subjects import Customer, normalised_email
from shoplake.schemas import Contract

log = get_logger(__name__)
ERASURE_LIST = "ops.erasure_list"
EMAIL = "email"
SCHEMA = StructType([
    StructField("subject_hash", StringType()),
    StructField("kind", StringType()),
    StructField("erasure_id", StringType()),
    StructField("erased_at", TimestampType()),
])


def erasure_list_rows(spark: SparkSession, customer: Customer, key: bytes, erasure_id: str, at: datetime) -> DataFrame:
    """The list entries of one erased customer: the pseudonym of each id and of each email."""
    rows = [(h, "customer_id", erasure_id, at) for h in sorted(customer.id_pseudonyms(key))]
    rows += [(h, EMAIL, erasure_id, at) for h in sorted(customer.email_pseudonyms(key))]
    return spark.createDataFrame(rows, SCHEMA)


def add_to_erasure_list(lake: Lake, customer: Customer, key: bytes, erasure_id: str, at: datetime) -> int:
    """Merge the customer's entries into ``ops.erasure_list`` (a repeated erasure adds nothing); return its version."""
    return lake.merge(erasure_list_rows(lake.spark, customer, key, erasure_id, at), ERASURE_LIST, ["subject_hash"])


def drop_erased(lines: DataFrame, erased: DataFrame, contract: Contract, key: bytes,
                identity_columns: Sequence[str], column_map: dict[str, str] | None = None) -> DataFrame:
    """Raw JSON ``lines`` (column ``value``) without those whose id or email is on the erasure list ``erased``.

    The contract's identity columns and its ``email`` are read from each line under the shop's own
    keys (``column_map``) and pseudonymised with ``key``; a line matching any listed hash is dropped.
    Lines that do not parse, or hold no identity, pass unchanged (they land in quarantine as usual).
    """
    fields = [c for c in contract.schema.fieldNames() if c in identity_columns or c == EMAIL]
    if not fields:
        return lines
    keys = json_keys(contract, column_map)
    parsed = F.from_json("value", StructType([StructField(keys[c], StringType()) for c in fields]))
    kept = lines
    for number, column in enumerate(fields):
        raw = parsed[keys[column]]
        hashed = f"_erasure_hash_{number}"
        listed = erased.select(F.col("subject_hash").alias(hashed)).distinct()
        kept = kept.withColumn(hashed, pseudonymize(normalised_email(raw) if column == EMAIL else raw, key))
        kept = kept.join(listed, hashed, "left_anti").drop(hashed)
    return kept


def without_erased(lake: Lake, lines: DataFrame, contract: Contract, settings: Settings, key: bytes) -> DataFrame:
    """``lines`` of ``contract`` minus those of erased customers (unchanged while nobody was erased)."""
    if not lake.exists(ERASURE_LIST):
        return lines
    log.info("%s: dropping input lines of customers on %s", contract.name, ERASURE_LIST)
    return drop_erased(lines, lake.read(ERASURE_LIST), contract, key, settings.privacy.identity_columns,
                       settings.ingest.column_map.get(contract.name))
