"""Erasure requests (``ops.erasure_requests``): who is to be erased, recorded before anything is deleted, and
how far the erasure got, so that an erasure killed at any point is finished by running it again.

A request records keyed hashes under the audit key only: of each raw id and email of the subject
(what raw bronze lines and the erasure list are matched by) and of each id's pseudonym (what
silver and gold identity columns are matched by). Without the audit key they identify nobody,
not even with the pseudonym key; and finishing a request needs no raw identifier, so it can be
finished after the link between ids and emails (``bronze.orders``) is gone.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from pyspark.sql import functions as F

from shoplake.catalog import OPS_ERASURE_REQUESTS, table
from shoplake.lake import Lake
from shoplake.privacy.pseudonyms import pseudonym
from shoplake.privacy.subjects import Customer

REQUESTS = OPS_ERASURE_REQUESTS
PENDING, DONE = "pending", "done"
SCHEMA = table(OPS_ERASURE_REQUESTS).struct()


@dataclass(frozen=True)
class Identities:
    """One person's identifiers as audit-key hashes: raw ids, emails, and the ids' pseudonyms."""

    ids: frozenset[str]
    emails: frozenset[str]
    pseudonyms: frozenset[str]

    @classmethod
    def of(cls, customer: Customer, key: bytes, audit_key: bytes) -> Identities:
        """The hashes of ``customer``'s identifiers (``key`` makes the pseudonyms, ``audit_key`` hashes everything)."""
        return cls(frozenset(pseudonym(i, audit_key) for i in customer.ids),
                   frozenset(pseudonym(e, audit_key) for e in customer.emails),
                   frozenset(pseudonym(p, audit_key) for p in customer.id_pseudonyms(key)))

    @property
    def raw(self) -> frozenset[str]:
        """The hashes raw input is matched by (ids and emails)."""
        return self.ids | self.emails

    def __len__(self) -> int:
        return len(self.ids) + len(self.emails)


@dataclass(frozen=True)
class TableStep:
    """One table of a request: rows holding the subject when it was planned, and what its erasure did."""

    table: str
    rows_found: int
    done: bool = False
    rows_deleted: int = 0
    table_version: int | None = None
    files_vacuumed: int = 0


@dataclass(frozen=True)
class ErasureRequest:
    """One erasure request and its progress (no raw identifier in it)."""

    erasure_id: str
    subject_kind: str
    subject_hash: str
    identities: Identities
    requested_at: datetime
    steps: dict[str, TableStep] = field(default_factory=dict)
    status: str = PENDING

    @classmethod
    def new(cls, subject_kind: str, subject_hash: str, identities: Identities, found: dict[str, int],
            at: datetime) -> ErasureRequest:
        """A pending request that plans every table of ``found`` (table -> rows holding the subject)."""
        steps = {t: TableStep(t, rows) for t, rows in found.items()}
        return cls(str(uuid.uuid4()), subject_kind, subject_hash, identities, at, steps)

    def step(self, table: str) -> TableStep:
        """The table's step; a table the plan did not know (created since) starts with nothing found."""
        return self.steps.get(table, TableStep(table, 0))

    def with_step(self, step: TableStep) -> ErasureRequest:
        return replace(self, steps={**self.steps, step.table: step})

    def finished(self) -> ErasureRequest:
        return replace(self, status=DONE)


def save_request(lake: Lake, request: ErasureRequest, at: datetime) -> int:
    """Write ``request`` (its identities and progress) to ``ops.erasure_requests`` in one commit; return the version."""
    steps = [(s.table, s.rows_found, s.done, s.rows_deleted, s.table_version, s.files_vacuumed)
             for s in sorted(request.steps.values(), key=lambda s: s.table)]
    ids = request.identities
    row = (request.erasure_id, request.subject_kind, request.subject_hash, sorted(ids.ids), sorted(ids.emails),
           sorted(ids.pseudonyms), steps, request.status, request.requested_at, at)
    return lake.merge(lake.spark.createDataFrame([row], SCHEMA), REQUESTS, ["erasure_id"])


def requests_naming(lake: Lake, subject_hash: str) -> list[ErasureRequest]:
    """Every recorded request whose subject or identifiers include ``subject_hash``, oldest first."""
    if not lake.exists(REQUESTS):
        return []
    named = (F.col("subject_hash") == subject_hash) | F.array_contains("id_hashes", subject_hash) | F.array_contains(
        "email_hashes", subject_hash)
    rows = lake.read(REQUESTS).where(named).orderBy("requested_at", "erasure_id").collect()
    return [_request(r) for r in rows]


def _request(row) -> ErasureRequest:
    steps = {s.table: TableStep(s.table, s.rows_found, s.done, s.rows_deleted, s.table_version, s.files_vacuumed)
             for s in row.tables or []}
    identities = Identities(frozenset(row.id_hashes or []), frozenset(row.email_hashes or []),
                            frozenset(row.pseudonym_hashes or []))
    return ErasureRequest(row.erasure_id, row.subject_kind, row.subject_hash, identities, row.requested_at, steps,
                          row.status)
