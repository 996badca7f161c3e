"""Planted bad input: each record of a file is corrupted with a configured per-kind probability.

Record kinds (:data:`RECORD_CORRUPTIONS`): malformed JSON (a truncated line), a wrong type, a
missing id, an unknown event type or status, a negative quantity, a negative price, a timestamp
in the future, and an exact duplicate of the line. Kinds that a source has no field for are not
applied to it. Every corrupted record is reported as (line number, original record id, kind).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from shoplake.datasets.generator.config import RECORD_CORRUPTIONS

EPOCH_SECONDS = object()  # wrong-type marker: the record's time as epoch seconds instead of ISO-8601


@dataclass(frozen=True)
class SourceFields:
    """Where a source keeps the fields that corruption touches."""

    id: str
    time: str
    enum: str | None
    unknown: tuple[str, ...]
    wrong_types: tuple[tuple[str, object], ...]
    quantity: str | None = None
    price: str | None = None
    items: str | None = None  # quantity and price live in the first element of this list

    def applicable(self) -> tuple[str, ...]:
        """The corruption kinds this source can carry."""
        missing = {"unknown_event_type": self.enum, "negative_quantity": self.quantity, "negative_price": self.price}
        return tuple(kind for kind in RECORD_CORRUPTIONS if missing.get(kind, True))


SOURCES = {
    "clickstream": SourceFields(
        id="event_id", time="event_time", enum="event_type", unknown=("hover", "wishlist_add", "scroll_depth"),
        wrong_types=(("quantity", "two"), ("price", "n/a"), ("event_time", EPOCH_SECONDS)),
        quantity="quantity", price="price",
    ),
    "orders": SourceFields(
        id="order_id", time="order_time", enum="status", unknown=("lost", "on_hold", "pending_review"),
        wrong_types=(("order_time", EPOCH_SECONDS), ("lines", "see attached")),
        quantity="quantity", price="unit_price", items="lines",
    ),
    "reviews": SourceFields(
        id="review_id", time="review_time", enum=None, unknown=(),
        wrong_types=(("rating", "five"), ("review_time", EPOCH_SECONDS)),
    ),
}


def plan(n: int, rates: dict[str, float], kinds: tuple[str, ...], rng: np.random.Generator) -> np.ndarray:
    """Kind per record: -1 clean, else an index into ``kinds``; each kind with its own rate."""
    bounds = np.cumsum([rates.get(kind, 0.0) for kind in kinds])
    picked = np.searchsorted(bounds, rng.random(n), side="right")
    return np.where(picked < len(kinds), picked, -1)


def corrupt_lines(
    lines: list[str], source: str, rates: dict[str, float], rng: np.random.Generator, future_after: datetime
) -> tuple[list[str], list[tuple[int, str | None, str]]]:
    """The file's lines with corruption planted, and (1-based line, record id, kind) per bad record."""
    fields = SOURCES[source]
    kinds = fields.applicable()
    planted = plan(len(lines), rates, kinds, rng)
    out, report, done = [], [], 0
    for position in np.flatnonzero(planted >= 0):
        out.extend(lines[done:position])
        done = position + 1
        line, kind = lines[position], kinds[planted[position]]
        record = json.loads(line)
        record_id = record.get(fields.id)
        if kind == "duplicate_event":
            out += [line, line]
        elif kind == "malformed_json":
            out.append(line[: int(rng.integers(1, len(line) - 1))])
        else:
            _corrupt_record(record, kind, fields, rng, future_after)
            out.append(json.dumps(record, separators=(",", ":"), ensure_ascii=False))
        report.append((len(out), record_id, kind))
    out.extend(lines[done:])
    return out, report


def _corrupt_record(record: dict, kind: str, fields: SourceFields, rng, future_after: datetime) -> None:
    target = record[fields.items][0] if fields.items and record.get(fields.items) else record
    if kind == "wrong_type":
        name, value = fields.wrong_types[int(rng.integers(len(fields.wrong_types)))]
        if value is EPOCH_SECONDS:
            value = int(datetime.fromisoformat(record[name].replace("Z", "+00:00")).timestamp())
        record[name] = value
    elif kind == "missing_id":
        del record[fields.id]
    elif kind == "unknown_event_type":
        record[fields.enum] = fields.unknown[int(rng.integers(len(fields.unknown)))]
    elif kind == "negative_quantity":
        target[fields.quantity] = -int(target.get(fields.quantity) or 1)
    elif kind == "negative_price":
        target[fields.price] = -abs(float(target.get(fields.price) or 1.0))
    elif kind == "future_timestamp":
        when = future_after + timedelta(days=int(rng.integers(30, 1000)), seconds=int(rng.integers(86_400)))
        record[fields.time] = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
