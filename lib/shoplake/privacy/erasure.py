"""Erase one customer from every table of the lake, vacuum the old files, and audit it in ``ops.erasures``.

Which tables hold a customer is found, not listed: every table in the lake is looked at (see
:func:`~shoplake.privacy.tables.lake_tables`). In bronze, where records are raw text, a row holds
the customer when any text column contains one of their raw ids or emails as a whole token
(quarantined lines included). In every other layer, a row holds them when one of its identity
columns (``privacy.identity_columns``) holds the pseudonym of one of their ids.

The audit rows and the erasure list store keyed hashes only, never the raw identifier.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DateType,
    DoubleType,
    LongType,
    NumericType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from shoplake.config import Settings
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.privacy.erasure_list import ERASURE_LIST, add_to_erasure_list
from shoplake.privacy.errors import ErasureRequestError, PrivacyError
from shoplake.privacy.matching import pseudonym_condition, raw_text_condition
from shoplake.privacy.pseudonyms import pseudonym
from shoplake.privacy.subjects import Customer, link_customer, order_contacts
from shoplake.privacy.tables import lake_tables

log = get_logger(__name__)
ERASURES = "ops.erasures"
RAW_LAYER = "bronze"
BRONZE_ORDERS = "bronze.orders"
PRIVACY_TABLES = (ERASURES, ERASURE_LIST)
_KEY_TYPES = (StringType, NumericType, BooleanType, DateType, TimestampType)
AUDIT_SCHEMA = StructType([
    StructField("erasure_id", StringType()),
    StructField("erased_at", TimestampType()),
    StructField("subject_kind", StringType()),
    StructField("subject_hash", StringType()),
    StructField("identifiers", LongType()),
    StructField("table", StringType()),
    StructField("rows_deleted", LongType()),
    StructField("table_version", LongType()),
    StructField("files_vacuumed", LongType()),
    StructField("retention_hours", DoubleType()),
])


@dataclass(frozen=True)
class TableErasure:
    """What an erasure did to one table."""

    table: str
    rows_deleted: int
    table_version: int
    files_vacuumed: int


@dataclass(frozen=True)
class ErasureResult:
    """The outcome of one erasure request (no raw identifier in it)."""

    erasure_id: str
    subject_kind: str
    subject_hash: str
    identifiers: int
    retention_hours: float
    tables: list[TableErasure]

    @property
    def rows_deleted(self) -> int:
        return sum(t.rows_deleted for t in self.tables)

    def as_dict(self) -> dict:
        return {**asdict(self), "rows_deleted": self.rows_deleted}


@dataclass(frozen=True)
class Target:
    """A table that could hold the customer: the SQL condition on its ``columns`` that finds their rows."""

    table: str
    condition: str
    columns: tuple[str, ...]


def erasure_targets(schemas: Mapping[str, StructType], customer: Customer, key: bytes,
                    identity_columns: Sequence[str]) -> list[Target]:
    """Every table that could hold the customer (its schema has text or identity columns), with its condition."""
    pseudonyms = customer.id_pseudonyms(key)
    targets = []
    for table, schema in sorted(schemas.items()):
        text = [f.name for f in schema.fields if isinstance(f.dataType, StringType)]
        if table in PRIVACY_TABLES:
            continue
        if table.split(".")[0] == RAW_LAYER:
            if text and customer.tokens:
                targets.append(Target(table, raw_text_condition(text, customer.ids, customer.emails), tuple(text)))
        else:
            ids = [c for c in text if c in identity_columns]
            if ids and pseudonyms:
                targets.append(Target(table, pseudonym_condition(ids, pseudonyms), tuple(ids)))
    return targets


def delete_rows(lake: Lake, target: Target) -> int:
    """Delete the rows meeting ``target.condition``; return how many there were.

    The delete is a merge keyed on the matched rows' own values (their non-null plain columns),
    so the table's log records column names only; a delete by condition would keep the customer's
    identifiers in the log's commit information for as long as the log is kept.
    """
    matches = lake.read(target.table).where(F.expr(target.condition)).cache()
    try:
        rows = matches.count()
        if rows:
            plain = [f.name for f in matches.schema.fields if isinstance(f.dataType, _KEY_TYPES)]
            nulls = matches.select([F.sum(F.col(f"`{c}`").isNull().cast("int")).alias(c) for c in plain]).first()
            keys = [c for c in plain if not nulls[c]]
            if not set(keys) & set(target.columns):
                raise PrivacyError(f"{target.table}: the customer's rows have nulls in every matched column "
                                   f"({', '.join(target.columns)}), so they cannot be told apart for deletion")
            lake.merge(matches.dropDuplicates(keys), target.table, keys, delete_when="true")
        return rows
    finally:
        matches.unpersist()


def find_customer(lake: Lake, settings: Settings, customer_id: str | None, email: str | None) -> Customer:
    """The raw ids and emails of the customer named by ``customer_id`` or ``email`` (linked through bronze.orders)."""
    ids = {customer_id} if customer_id else set()
    emails = {email.strip().lower()} if email else set()
    if not lake.exists(BRONZE_ORDERS):
        return Customer(frozenset(ids), frozenset(emails))
    contacts = order_contacts(lake.read(BRONZE_ORDERS), settings.ingest.column_map.get("orders"))
    return link_customer(contacts, ids, emails)


def _request(customer_id: str | None, email: str | None) -> tuple[str, str]:
    given = [(kind, value.strip()) for kind, value in (("customer_id", customer_id), ("email", email))
             if value is not None]
    if len(given) != 1 or not given[0][1]:
        raise ErasureRequestError("an erasure names exactly one customer: give a customer id or an email, not "
                                  f"{'both' if len(given) == 2 else 'an empty value'}")
    kind, value = given[0]
    if kind == "email" and "@" not in value:
        raise ErasureRequestError("the email to erase has no '@'; give the customer's email address as it was "
                                  "used in their orders")
    return kind, value.lower() if kind == "email" else value


def erase_customer(lake: Lake, settings: Settings, key: bytes, *, customer_id: str | None = None,
                   email: str | None = None, at: datetime | None = None) -> ErasureResult:
    """Delete the customer's rows from every table, vacuum those tables and record the erasure.

    Order of work: the erasure list first (so ingest stops bringing them back), then per table
    the delete and a vacuum of every table that could hold them (``lake.vacuum_retention_hours``
    of the config; with 0 no older version keeps the data), then one ``ops.erasures`` row per
    table looked at.
    """
    kind, value = _request(customer_id, email)
    at = at or datetime.now(timezone.utc)
    erasure_id = str(uuid.uuid4())
    customer = find_customer(lake, settings, value if kind == "customer_id" else None,
                             value if kind == "email" else None)
    if not customer.ids:
        log.warning("erasure %s: no order in %s has that email; listing it so it is never ingested",
                    erasure_id, BRONZE_ORDERS)
    log.info("erasure %s: %d id(s) and %d email(s) identify the customer", erasure_id, len(customer.ids),
             len(customer.emails))
    add_to_erasure_list(lake, customer, key, erasure_id, at)
    names = [t for t in lake_tables(lake) if t not in PRIVACY_TABLES]
    targets = erasure_targets({t: lake.schema(t) for t in names}, customer, key, settings.privacy.identity_columns)
    retention = float(settings.lake.vacuum_retention_hours)
    done = []
    for target in targets:
        rows = delete_rows(lake, target)
        removed = lake.vacuum(target.table, retention, enforce_retention=False)  # also older versions' leftovers
        done.append(TableErasure(target.table, rows, lake.version(target.table), len(removed)))
        log.info("erasure %s: %s: %d row(s) deleted, %d old file(s) vacuumed", erasure_id, target.table, rows,
                 len(removed))
    result = ErasureResult(erasure_id, kind, pseudonym(value, key), len(customer.tokens), retention, done)
    _audit(lake, result, at)
    log.info("erasure %s: %d row(s) deleted from %d of %d table(s) looked at", erasure_id, result.rows_deleted,
             sum(1 for t in done if t.rows_deleted), len(done))
    return result


def _audit(lake: Lake, result: ErasureResult, at: datetime) -> int:
    rows = [(result.erasure_id, at, result.subject_kind, result.subject_hash, result.identifiers, t.table,
             t.rows_deleted, t.table_version, t.files_vacuumed, result.retention_hours) for t in result.tables]
    if not rows:  # nothing could hold the customer: still record that the request was carried out
        rows = [(result.erasure_id, at, result.subject_kind, result.subject_hash, result.identifiers, None, 0, None,
                 0, result.retention_hours)]
    return lake.append(lake.spark.createDataFrame(rows, AUDIT_SCHEMA), ERASURES)
