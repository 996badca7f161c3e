"""Erase one customer from every table of the lake, vacuum the old files, and audit it in ``ops.erasures``.

An erasure is a durable request (:mod:`shoplake.privacy.requests`): the subject's identifiers are
resolved and recorded as audit-key hashes, with the rows each table holds of them, before
anything is deleted. Then, in this order: the erasure list (so ingest stops bringing them back);
each table, deleted and vacuumed, its progress recorded; ``bronze.orders`` last, since it is the
only link between a customer's ids and emails; a check that no table holds the subject any more;
the audit rows; the request marked done. Run again after a kill at any point, the same erasure
finds its pending request and finishes it, skipping the tables already done.

Which tables hold a customer is found, not listed: every table in the lake is looked at (see
:func:`~shoplake.privacy.all_tables.lake_tables`). In bronze, where records are raw text, a row holds
the customer when a text column, read as a JSON line, names one of their recorded ids or emails
under an identity key of any input contract, or, while the raw identifiers are known, contains
one of them as a whole token (quarantined lines that are not JSON included); quarantined bytes
(base64 of lines or files that were not UTF-8) are searched as the text inside them. In every other
layer, a row holds them when one of its identity columns (``privacy.identity_columns``) holds the
pseudonym of one of their ids. Matching compares audit-key hashes, so it needs no raw identifier.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DateType,
    NumericType,
    StringType,
    StructType,
    TimestampType,
)

from shoplake import catalog
from shoplake.catalog import BRONZE_ORDERS, OPS_ERASURE_LIST, OPS_ERASURE_REQUESTS, OPS_ERASURES
from shoplake.config import Settings
from shoplake.config.settings import IngestSettings
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.privacy.erasure_list import add_to_erasure_list
from shoplake.privacy.errors import ErasureIncomplete, ErasureRequestError, NothingToErase, PrivacyError
from shoplake.privacy.matching import hashed_condition, raw_text_condition, text_of_bytes
from shoplake.privacy.pseudonyms import pseudonym
from shoplake.privacy.requests import DONE, ErasureRequest, Identities, TableStep, requests_naming, save_request
from shoplake.privacy.subjects import Customer, identity_keys, link_customer, order_contacts, raw_identity_values
from shoplake.privacy.all_tables import lake_tables
from shoplake.schemas import CONTRACTS

log = get_logger(__name__)
ERASURES = OPS_ERASURES
RAW_LAYER = "bronze"
PRIVACY_TABLES = (OPS_ERASURES, OPS_ERASURE_LIST, OPS_ERASURE_REQUESTS)
_KEY_TYPES = (StringType, NumericType, BooleanType, DateType, TimestampType)
AUDIT_SCHEMA = catalog.table(OPS_ERASURES).struct()


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
    resumed: bool = False

    @property
    def rows_deleted(self) -> int:
        return sum(t.rows_deleted for t in self.tables)

    def as_dict(self) -> dict:
        return {**asdict(self), "rows_deleted": self.rows_deleted}


@dataclass(frozen=True)
class Subject:
    """What finds one person's rows: recorded hashes, and the raw identifiers while they are known."""

    identities: Identities
    customer: Customer
    audit_key: bytes
    raw_keys: Mapping[str, bool]  # JSON key of raw input lines -> whether it holds an email


@dataclass(frozen=True)
class Target:
    """A table that could hold the subject: the condition on its ``columns`` that finds their rows."""

    table: str
    condition: Column
    columns: tuple[str, ...]


def raw_identity_keys(settings: Settings) -> dict[str, bool]:
    """Every JSON key under which any input contract's raw lines name a person (shop column maps honoured)."""
    keys: dict[str, bool] = {}
    for name, contract in CONTRACTS.items():
        found = identity_keys(contract, settings.privacy.identity_columns, settings.ingest.mapping(name))
        for key, is_email in found.items():
            keys[key] = keys.get(key, False) or is_email
    return keys


def _raw_condition(columns: Sequence[str], subject: Subject) -> Column | None:
    """Raw text, and the text inside quarantined bytes, naming the subject by hash or, if known, by token."""
    texts = [t for c in columns for t in (F.col(f"`{c}`"), text_of_bytes(F.col(f"`{c}`")))]
    parts = []
    if subject.identities.raw and subject.raw_keys:
        values = [v for t in texts for v in raw_identity_values(t, subject.raw_keys)]
        parts.append(hashed_condition(values, subject.identities.raw, subject.audit_key))
    if subject.customer.tokens:
        parts.append(raw_text_condition(texts, subject.customer.ids, subject.customer.emails))
    return reduce(Column.__or__, parts) if parts else None


def erasure_targets(schemas: Mapping[str, StructType], subject: Subject, identity_columns: Sequence[str]) -> list[Target]:
    """Every table that could hold the subject, with its condition, in deletion order (``bronze.orders`` last)."""
    targets = []
    for table, schema in schemas.items():
        text = [f.name for f in schema.fields if isinstance(f.dataType, StringType)]
        if table in PRIVACY_TABLES or not text:
            continue
        if table.split(".")[0] == RAW_LAYER:
            condition = _raw_condition(text, subject)
            if condition is not None:
                targets.append(Target(table, condition, tuple(text)))
        else:
            ids = [c for c in text if c in identity_columns]
            if ids and subject.identities.pseudonyms:
                condition = hashed_condition([F.col(f"`{c}`") for c in ids], subject.identities.pseudonyms,
                                             subject.audit_key)
                targets.append(Target(table, condition, tuple(ids)))
    return sorted(targets, key=lambda t: (t.table == BRONZE_ORDERS, t.table.split(".")[0] == RAW_LAYER, t.table))


def rows_holding(lake: Lake, targets: Sequence[Target]) -> dict[str, int]:
    """``{table: rows}`` of the rows each target's condition finds (tables without any left out), in one Spark job."""
    if not targets:
        return {}
    parts = [lake.read(t.table).where(t.condition).select(F.lit(t.table).alias("table")) for t in targets]
    counted = reduce(DataFrame.unionByName, parts).groupBy("table").count().collect()
    return {r["table"]: r["count"] for r in counted}


def delete_rows(lake: Lake, target: Target) -> int:
    """Delete the rows meeting ``target.condition``; return how many there were.

    The delete is a merge keyed on the matched rows' own values (their non-null plain columns),
    so the table's log records column names only; a delete by condition would keep the customer's
    identifiers in the log's commit information for as long as the log is kept.
    """
    matches = lake.read(target.table).where(target.condition).cache()
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


def find_customer(lake: Lake, ingest: IngestSettings, customer_id: str | None, email: str | None) -> Customer:
    """The raw ids and emails of the customer named by ``customer_id`` or ``email`` (linked through bronze.orders)."""
    ids = {customer_id} if customer_id else set()
    emails = {email.strip().lower()} if email else set()
    if not lake.exists(BRONZE_ORDERS):
        return Customer(frozenset(ids), frozenset(emails))
    contacts = order_contacts(lake.read(BRONZE_ORDERS), ingest.mapping("orders"))
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


def erase_customer(lake: Lake, settings: Settings, key: bytes, audit_key: bytes, *, customer_id: str | None = None,
                   email: str | None = None, allow_unknown: bool = False, at: datetime | None = None) -> ErasureResult:
    """Delete the customer's rows from every table, vacuum those tables and record the erasure.

    ``key`` is the pseudonym key, ``audit_key`` the key of the erasure records. A pending request
    for the same customer (an erasure that was killed) is finished rather than started anew.
    When no table holds the customer, :class:`NothingToErase` is raised before anything is
    written, unless ``allow_unknown`` (then the customer is only put on the erasure list). Each
    table is vacuumed with ``lake.vacuum_retention_hours`` (with 0 no older version keeps the
    data); ``ops.erasures`` gets one row per table, once, after every table was found clean.
    """
    kind, value = _request(customer_id, email)
    at = at or datetime.now(timezone.utc)
    subject_hash = pseudonym(value, audit_key)
    named = requests_naming(lake, subject_hash)
    pending = next((r for r in named if r.status != DONE), None)
    customer = find_customer(lake, settings.ingest, value if kind == "customer_id" else None,
                             value if kind == "email" else None)
    raw_keys = raw_identity_keys(settings)
    names = [t for t in lake_tables(lake) if t not in PRIVACY_TABLES]
    schemas = {t: lake.schema(t) for t in names}
    if pending is None:
        subject = Subject(Identities.of(customer, key, audit_key), customer, audit_key, raw_keys)
        targets = erasure_targets(schemas, subject, settings.privacy.identity_columns)
        found = rows_holding(lake, targets)
        if not found and not allow_unknown:
            raise NothingToErase(_nothing_message(kind, named, len(targets)))
        request = ErasureRequest.new(kind, subject_hash, subject.identities, found, at)
        save_request(lake, request, at)
        log.info("erasure %s: %d id(s) and %d email(s) identify the customer; %d row(s) in %d table(s) hold them",
                 request.erasure_id, len(customer.ids), len(customer.emails), sum(found.values()), len(found))
    else:
        request = pending
        subject = Subject(request.identities, customer.keeping(request.identities.raw, audit_key), audit_key, raw_keys)
        targets = erasure_targets(schemas, subject, settings.privacy.identity_columns)
        log.info("erasure %s: finishing the request recorded at %s (%d of %d table(s) done)", request.erasure_id,
                 request.requested_at, sum(s.done for s in request.steps.values()), len(targets))
    add_to_erasure_list(lake, request, at)
    retention = float(settings.lake.vacuum_retention_hours)
    for target in targets:
        if not request.step(target.table).done:
            request = _erase_table(lake, request, target, retention, at)
    _check_clean(lake, request, targets)
    result = ErasureResult(request.erasure_id, request.subject_kind, request.subject_hash, len(request.identities),
                           retention, [_table_erasure(request.step(t.table)) for t in targets], pending is not None)
    _audit(lake, result, at)
    save_request(lake, request.finished(), at)
    log.info("erasure %s: %d row(s) deleted from %d of %d table(s) looked at", result.erasure_id, result.rows_deleted,
             sum(1 for t in result.tables if t.rows_deleted), len(result.tables))
    return result


def _nothing_message(kind: str, named: list[ErasureRequest], tables: int) -> str:
    done = [r for r in named if r.status == DONE]
    earlier = f" (erasure {done[-1].erasure_id} of {done[-1].requested_at:%Y-%m-%d %H:%M} erased them)" if done else ""
    what = "customer id" if kind == "customer_id" else "email"
    return f"nothing to erase: no row of the {tables} table(s) that could hold a customer has that {what}{earlier}"


def _erase_table(lake: Lake, request: ErasureRequest, target: Target, retention: float, at: datetime) -> ErasureRequest:
    """Delete and vacuum one table, then record it as done in the request."""
    step = request.step(target.table)
    rows = delete_rows(lake, target)
    removed = lake.vacuum(target.table, retention, enforce_retention=False)  # also older versions' leftovers
    # a delete that committed before a kill left nothing to find now: the planned count stands
    done = TableStep(target.table, step.rows_found, True, max(rows, step.rows_found), lake.version(target.table),
                     len(removed))
    request = request.with_step(done)
    save_request(lake, request, at)
    log.info("erasure %s: %s: %d row(s) deleted, %d old file(s) vacuumed", request.erasure_id, target.table,
             done.rows_deleted, len(removed))
    return request


def _check_clean(lake: Lake, request: ErasureRequest, targets: Sequence[Target]) -> None:
    left = rows_holding(lake, targets)
    if left:
        listed = ", ".join(f"{t} ({n})" for t, n in sorted(left.items()))
        raise ErasureIncomplete(f"erasure {request.erasure_id}: rows of the customer remain after deletion in "
                                f"{listed}; the request stays pending: run the same erasure again to finish it")


def _table_erasure(step: TableStep) -> TableErasure:
    return TableErasure(step.table, step.rows_deleted, step.table_version, step.files_vacuumed)


def _audit(lake: Lake, result: ErasureResult, at: datetime) -> int:
    """One ``ops.erasures`` row per table of the request, appended exactly once however often it is finished."""
    rows = [(result.erasure_id, at, result.subject_kind, result.subject_hash, result.identifiers, t.table,
             t.rows_deleted, t.table_version, t.files_vacuumed, result.retention_hours) for t in result.tables]
    if not rows:  # nothing could hold the customer: still record that the request was carried out
        rows = [(result.erasure_id, at, result.subject_kind, result.subject_hash, result.identifiers, None, 0, None,
                 0, result.retention_hours)]
    return lake.append(lake.spark.createDataFrame(rows, AUDIT_SCHEMA), ERASURES,
                       txn_app_id=f"erasure-{result.erasure_id}", txn_version=0)
