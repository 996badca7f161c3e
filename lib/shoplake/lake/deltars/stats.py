"""Delta file statistics (``numRecords``, ``minValues``, ``maxValues``, ``nullCount``) of the Arrow data a file holds.

Values are written in the formats of Delta's own writers: numbers and decimals as JSON numbers,
dates as ``YYYY-MM-DD``, timestamps as ISO-8601 UTC with milliseconds (``2024-01-02T03:04:05.678Z``,
truncated to the millisecond as Delta does), timestamps without time zone without the ``Z``.
Which columns get statistics follows Delta's table properties: the columns named in
``delta.dataSkippingStatsColumns``, else the first ``delta.dataSkippingNumIndexedCols`` (32)
leaf columns. A bound that cannot be exact (NaN or infinite floats, decimals a JSON number cannot
hold, string bytes that are not UTF-8, binary data) is left out: no bound means no file skipping,
never a wrong skip.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc

from shoplake.lake.properties import STATS_COLUMNS

# Delta's dataSkippingStringPrefixLength: string bounds keep at most this many characters, so raw
# records (bronze text, PII) never end up whole in the log, where deletes and vacuum cannot reach.
STRING_PREFIX = 32
DEFAULT_INDEXED_COLUMNS = 32
INDEXED_COLUMNS_PROPERTY = "delta.dataSkippingNumIndexedCols"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class StatsColumns:
    """Which columns get statistics: those under ``names`` (column paths) when given, else the first ``limit`` leaves (-1: all)."""

    names: tuple[tuple[str, ...], ...] | None = None
    limit: int = DEFAULT_INDEXED_COLUMNS

    @classmethod
    def from_properties(cls, properties: dict[str, str | None]) -> StatsColumns:
        """The selection a table's ``delta.dataSkipping*`` properties ask for."""
        listed = properties.get(STATS_COLUMNS)
        if listed is not None:
            return cls(names=tuple(_path(n) for n in listed.split(",") if n.strip()))
        return cls(limit=int(properties.get(INDEXED_COLUMNS_PROPERTY) or DEFAULT_INDEXED_COLUMNS))

    def leaves(self, schema: pa.Schema) -> set[tuple[str, ...]]:
        """The leaf column paths of ``schema`` that get statistics."""
        every = list(_leaf_paths(schema))
        if self.names is not None:
            return {p for p in every if any(p[: len(n)] == n for n in self.names)}
        return set(every if self.limit < 0 else every[: self.limit])


class FileStats:
    """Running statistics of the batches written to one data file."""

    def __init__(self, schema: pa.Schema, columns: StatsColumns):
        self.schema = schema
        self.indexed = columns.leaves(schema)
        self.rows = 0
        self.bounds: dict[tuple[str, ...], _Bounds] = {}

    def add(self, batch: pa.RecordBatch) -> None:
        """Fold ``batch`` (with the schema given at construction) into the statistics."""
        self.rows += batch.num_rows
        for field, column in zip(self.schema, batch.columns):
            self._add(field, column, (field.name,))

    def _add(self, field: pa.Field, column: pa.Array, path: tuple[str, ...]) -> None:
        if pa.types.is_struct(field.type):
            for child, values in zip(field.type, column.flatten()):  # children with the struct's nulls
                self._add(child, values, (*path, child.name))
            return
        if path in self.indexed:
            self.bounds.setdefault(path, _Bounds()).add(column)

    def to_json(self) -> str:
        """The ``stats`` string of the file's add action."""
        stats: dict = {"numRecords": self.rows, "minValues": {}, "maxValues": {}, "nullCount": {}}
        for path, bounds in self.bounds.items():
            _put(stats["nullCount"], path, bounds.nulls)
            low, high = bounds.low_high()
            if low is not None:
                _put(stats["minValues"], path, low)
            if high is not None:
                _put(stats["maxValues"], path, high)
        return json.dumps(stats)


class _Bounds:
    """Null count and min/max of one leaf column; the bounds turn None once they cannot be exact."""

    def __init__(self):
        self.nulls = 0
        self.low: object = None
        self.high: object = None
        self.exact = True
        self.to_log = _plain

    def add(self, column: pa.Array) -> None:
        self.nulls += column.null_count
        if not self.exact or column.null_count == len(column):
            return
        comparable = _comparable(column)
        if comparable is None:
            self.exact = False
            return
        values, self.to_log = comparable
        found = pc.min_max(values)
        try:
            low, high = found["min"].as_py(), found["max"].as_py()
        except UnicodeDecodeError:  # string bytes that are not UTF-8: no bounds for this column
            self.exact = False
            return
        self.low = low if self.low is None else min(self.low, low)
        self.high = high if self.high is None else max(self.high, high)

    def low_high(self) -> tuple[object, object]:
        if not self.exact or self.low is None:
            return None, None
        return self.to_log(self.low, False), self.to_log(self.high, True)


def _comparable(column: pa.Array) -> tuple[pa.Array, Callable[[object, bool], object]] | None:
    """``column`` as values to take min/max of, and how a bound is written; None when bounds cannot be exact."""
    kind = column.type
    if pa.types.is_timestamp(kind):  # as microseconds, so any year Delta allows fits
        micros = column.cast(pa.timestamp("us", kind.tz)).cast(pa.int64())
        return micros, partial(_timestamp, utc=kind.tz is not None)
    if pa.types.is_floating(kind):
        return (column, _plain) if pc.all(pc.fill_null(pc.is_finite(column), True)).as_py() else None
    if pa.types.is_decimal(kind):
        return column, _decimal
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column, _string
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_date(kind):
        return column, _plain
    return None  # binary, lists, maps: null counts only


def _plain(value: object, is_max: bool) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _timestamp(micros: int, is_max: bool, utc: bool) -> str:
    """Microseconds since the epoch as Delta writes a timestamp bound: cut to the millisecond."""
    moment = _EPOCH + timedelta(microseconds=micros // 1000 * 1000)
    text = moment.replace(tzinfo=None).isoformat(timespec="milliseconds")
    return f"{text}Z" if utc else text


def _decimal(value: Decimal, is_max: bool) -> float | None:
    """A decimal as a JSON number, when the number's text is the decimal's exact value."""
    number = float(value)
    return number if math.isfinite(number) and Decimal(repr(number)) == value else None


def _string(value: str, is_max: bool) -> str | None:
    if is_max:
        return value if len(value) <= STRING_PREFIX else None  # a cut max would not bound the values
    return value[:STRING_PREFIX]  # a prefix is still a lower bound


def _leaf_paths(schema: pa.Schema | pa.StructType, prefix: tuple[str, ...] = ()) -> Iterable[tuple[str, ...]]:
    for field in schema:
        path = (*prefix, field.name)
        if pa.types.is_struct(field.type):
            yield from _leaf_paths(field.type, path)
        else:
            yield path


def _path(name: str) -> tuple[str, ...]:
    """``a.b`` or ``a.`odd name``` as the tuple of its parts."""
    return tuple(quoted or plain for quoted, plain in re.findall(r"`([^`]*)`|([^.`]+)", name.strip()))


def _put(target: dict, path: tuple[str, ...], value: object) -> None:
    for name in path[:-1]:
        target = target.setdefault(name, {})
    target[path[-1]] = value
