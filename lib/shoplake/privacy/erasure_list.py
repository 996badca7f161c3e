"""The erasure list (``ops.erasure_list``): keyed hashes of erased customers' ids and emails, honoured at ingest.

The list holds HMACs under the audit key only (see :mod:`shoplake.privacy.keys`), never a raw
identifier nor a pseudonym: without the audit key it identifies nobody, not even with the
pseudonym key. :func:`drop_erased` removes the raw input lines of listed customers before they
reach bronze, so re-ingesting old input files does not bring an erased customer back.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from shoplake.catalog import OPS_ERASURE_LIST, table
from shoplake.config import Settings
from shoplake.schemas.source_mapping import SourceMapping
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.privacy.pseudonyms import pseudonymize
from shoplake.privacy.requests import ErasureRequest
from shoplake.privacy.subjects import EMAIL, identity_keys, raw_identity_values
from shoplake.schemas import Contract

log = get_logger(__name__)
ERASURE_LIST = OPS_ERASURE_LIST
SCHEMA = table(OPS_ERASURE_LIST).struct()


def erasure_list_rows(spark: SparkSession, request: ErasureRequest, at: datetime) -> DataFrame:
    """The list entries of one request: the audit hash of each raw id and of each email it recorded."""
    rows = [(h, "customer_id", request.erasure_id, at) for h in sorted(request.identities.ids)]
    rows += [(h, EMAIL, request.erasure_id, at) for h in sorted(request.identities.emails)]
    return spark.createDataFrame(rows, SCHEMA)


def add_to_erasure_list(lake: Lake, request: ErasureRequest, at: datetime) -> int:
    """Merge the request's entries into ``ops.erasure_list`` (a repeated erasure adds nothing); return its version."""
    return lake.merge(erasure_list_rows(lake.spark, request, at), ERASURE_LIST, ["subject_hash"])


def drop_erased(lines: DataFrame, erased: DataFrame, contract: Contract, audit_key: bytes,
                identity_columns: Sequence[str], mapping: SourceMapping | None = None) -> DataFrame:
    """Raw JSON ``lines`` (column ``value``) without those whose id or email is on the erasure list ``erased``.

    The contract's identity columns and its ``email`` are read from each line under the shop's own
    keys (its source ``mapping``) and hashed with ``audit_key``; a line matching any listed hash is dropped.
    Lines that do not parse, or hold no identity, pass unchanged (they land in quarantine as usual).
    """
    keys = identity_keys(contract, identity_columns, mapping)
    if not keys:
        return lines
    listed = erased.select("subject_hash").distinct()
    kept = lines
    for number, value in enumerate(raw_identity_values(F.col("value"), keys)):
        hashed = f"_erasure_hash_{number}"
        kept = kept.withColumn(hashed, pseudonymize(value, audit_key))
        kept = kept.join(listed.withColumnRenamed("subject_hash", hashed), hashed, "left_anti").drop(hashed)
    return kept


def without_erased(lake: Lake, lines: DataFrame, contract: Contract, settings: Settings, audit_key: bytes) -> DataFrame:
    """``lines`` of ``contract`` minus those of erased customers (unchanged while nobody was erased).

    ``audit_key`` is the key of the erasure records (:func:`shoplake.privacy.keys.resolve_audit_key`),
    not the pseudonym key.
    """
    if not lake.exists(ERASURE_LIST):
        return lines
    log.info("%s: dropping input lines of customers on %s", contract.name, ERASURE_LIST)
    return drop_erased(lines, lake.read(ERASURE_LIST), contract, audit_key, settings.privacy.identity_columns,
                       settings.ingest.mapping(contract.name))
