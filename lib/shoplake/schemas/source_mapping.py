"""How a shop's own file maps onto an input contract: ``ingest.sources.<source>`` in the config.

    ingest:
      sources:
        orders:
          format: csv                      # json (JSON lines, the default) | csv | parquet
          csv: {delimiter: whitespace, header: false, columns: [customer, day, items, amount]}
          columns:                         # contract column: where its value comes from
            customer_id: customer                                      # a column of the file
            order_time: {column: day, format: yyyyMMdd, time_zone: America/New_York}
            updated_at: {column: day, format: yyyyMMdd}                # one file column, two contract columns
            status: {constant: delivered}
            order_id: {derive: [customer, day]}                        # an id hashed from other columns
          lines: {per: order, product_id: {constant: all}, quantity: items, amount: amount}

A contract column not listed is read from the file's column of the same name. ``lines`` (orders only)
builds the order lines from flat rows: ``per: order`` makes each row an order with one line, ``per: line``
groups the rows of one batch by ``order_id`` into one order. A line's price is ``unit_price``, or
``amount`` (the line's total) divided by its quantity. This module only reads and checks the settings;
:mod:`shoplake.schemas.mapping` applies them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shoplake.errors import ConfigurationError

FORMATS = ("json", "csv", "parquet")
WHITESPACE = "whitespace"  # a CSV delimiter: any run of spaces and tabs
EPOCH_FORMATS = {"epoch_seconds": 1, "epoch_millis": 1000}
LINE_GROUPINGS = ("order", "line")
LINE_FIELDS = ("product_id", "quantity", "unit_price", "discount")
_COLUMN_KEYS = ("column", "constant", "derive", "format", "time_zone")
_SOURCE_KEYS = ("format", "csv", "columns", "lines")
_CSV_KEYS = ("delimiter", "header", "quote", "columns")


class MappingProblems(ConfigurationError):
    """Problems of ``ingest.sources``, each ``ingest.sources.<source>...: <what is wrong>``."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CsvFormat:
    """How a CSV file is split: one character (or ``whitespace``), a header row or named columns, a quote."""

    delimiter: str = ","
    header: bool = True
    quote: str = '"'
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnSource:
    """Where one contract column's value comes from: exactly one of ``column``, ``constant`` and ``derive``.

    ``format`` parses a time column (a Spark datetime pattern such as ``yyyyMMdd``, or ``epoch_seconds`` /
    ``epoch_millis``), read in ``time_zone`` (default UTC) and stored in UTC.
    """

    column: str | None = None
    constant: str | None = None
    derive: tuple[str, ...] = ()
    format: str | None = None
    time_zone: str | None = None

    def reads(self) -> tuple[str, ...]:
        """The file's columns this value is computed from."""
        return (self.column,) if self.column else self.derive

    @property
    def is_plain(self) -> bool:
        """Read from a file column as it is (no parsing)."""
        return bool(self.column) and not self.format and not self.time_zone


@dataclass(frozen=True)
class OrderLines:
    """Order lines from flat rows: ``per`` row kind, where each line field comes from, and an optional total."""

    per: str
    fields: Mapping[str, ColumnSource]
    amount: ColumnSource | None = None


@dataclass(frozen=True)
class SourceMapping:
    """A source's file format and where each contract column comes from (unlisted: the same-named column)."""

    source: str
    format: str = "json"
    csv: CsvFormat = CsvFormat()
    columns: Mapping[str, ColumnSource] = field(default_factory=dict)
    lines: OrderLines | None = None

    @property
    def is_identity(self) -> bool:
        """JSON lines in the contract's own shape: nothing to map."""
        return self.format == "json" and not self.columns and self.lines is None

    def column_source(self, column: str) -> ColumnSource:
        """Where contract column ``column`` comes from."""
        return self.columns.get(column, ColumnSource(column=column))

    def source_key(self, column: str) -> str | None:
        """The file column holding contract column ``column`` as it is, or None when it is computed."""
        spec = self.column_source(column)
        return spec.column if spec.column and not spec.format else None


def source_mapping(source: str, raw: Mapping[str, Any] | None = None,
                   renames: Mapping[str, str] | None = None) -> SourceMapping:
    """``ingest.sources.<source>`` (and the older ``ingest.column_map.<source>`` renames) as a :class:`SourceMapping`.

    Raises :class:`MappingProblems` naming every problem.
    """
    where = f"ingest.sources.{source}"
    raw = dict(raw or {})
    problems = [f"{where}.{key}: unknown key (keys: {', '.join(_SOURCE_KEYS)})" for key in raw if key not in _SOURCE_KEYS]
    fmt = raw.get("format", "json")
    if fmt not in FORMATS:
        problems.append(f"{where}.format: {fmt!r} is not one of {', '.join(FORMATS)}")
    csv = _csv_format(f"{where}.csv", raw.get("csv") or {}, problems)
    if raw.get("csv") and fmt != "csv":
        problems.append(f"{where}.csv: only for format: csv")
    columns: dict[str, ColumnSource] = {}
    for shop_key, column in (renames or {}).items():
        columns[str(column)] = ColumnSource(column=str(shop_key))
    for column, spec in _mapping(f"{where}.columns", raw.get("columns"), problems).items():
        columns[column] = _column_source(f"{where}.columns.{column}", spec, problems)
    lines = None
    if raw.get("lines") is not None:
        lines = _order_lines(f"{where}.lines", raw["lines"], problems)
        if source != "orders":
            problems.append(f"{where}.lines: only the orders source has order lines")
        if "lines" in columns:
            problems.append(f"{where}.columns.lines: built by {where}.lines; map it in one place")
    problems += _unknown_columns(where, source, columns)
    if problems:
        raise MappingProblems(problems)
    return SourceMapping(source, fmt, csv, columns, lines)


def mapping_problems(sources: Mapping[str, Any], column_map: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Every problem of the config's ``ingest.sources`` and ``ingest.column_map``; empty when they are valid."""
    found = []
    for source in sorted(set(sources) | set(column_map)):
        if not isinstance(sources.get(source, {}), Mapping):
            found.append(f"ingest.sources.{source}: must be a mapping")
            continue
        try:
            source_mapping(source, sources.get(source), column_map.get(source))
        except MappingProblems as exc:
            found += exc.problems
    return found


def _mapping(where: str, value: Any, problems: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{where}: must be a mapping")
        return {}
    return {str(k): v for k, v in value.items()}


def _csv_format(where: str, raw: Any, problems: list[str]) -> CsvFormat:
    options = _mapping(where, raw, problems)
    problems += [f"{where}.{key}: unknown key (keys: {', '.join(_CSV_KEYS)})" for key in options if key not in _CSV_KEYS]
    csv = CsvFormat(**{k: v for k, v in options.items() if k in _CSV_KEYS and k != "columns"},
                    columns=tuple(str(c) for c in options.get("columns") or ()))
    if csv.delimiter != WHITESPACE and len(str(csv.delimiter)) != 1:
        problems.append(f"{where}.delimiter: one character, or {WHITESPACE!r}, got {csv.delimiter!r}")
    if len(str(csv.quote)) != 1:
        problems.append(f"{where}.quote: one character, got {csv.quote!r}")
    if not isinstance(csv.header, bool):
        problems.append(f"{where}.header: must be true or false, got {csv.header!r}")
    if not csv.header and not csv.columns:
        problems.append(f"{where}.columns: a file without a header row needs its column names")
    if len(set(csv.columns)) != len(csv.columns):
        problems.append(f"{where}.columns: a name given twice")
    return csv


def _column_source(where: str, spec: Any, problems: list[str]) -> ColumnSource:
    """One column's spec: a file column's name, or a mapping of ``_COLUMN_KEYS``."""
    if isinstance(spec, str):
        return ColumnSource(column=spec)
    options = _mapping(where, spec, problems)
    problems += [f"{where}.{key}: unknown key (keys: {', '.join(_COLUMN_KEYS)})" for key in options
                 if key not in _COLUMN_KEYS]
    derive = options.get("derive") or ()
    source = ColumnSource(
        column=_text_or_none(options.get("column")), constant=_text_or_none(options.get("constant")),
        derive=tuple(str(c) for c in derive) if isinstance(derive, (list, tuple)) else (str(derive),),
        format=_text_or_none(options.get("format")), time_zone=_text_or_none(options.get("time_zone")))
    given = [k for k in ("column", "constant", "derive") if options.get(k) not in (None, "", [], ())]
    if len(given) != 1:
        problems.append(f"{where}: give exactly one of column, constant, derive (got {', '.join(given) or 'none'})")
    if (source.format or source.time_zone) and not source.column:
        problems.append(f"{where}: format and time_zone apply to a column")
    if source.time_zone:
        try:
            ZoneInfo(source.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"{where}.time_zone: unknown time zone {source.time_zone!r} (e.g. Europe/Berlin, UTC)")
    return source


def _order_lines(where: str, raw: Any, problems: list[str]) -> OrderLines:
    options = _mapping(where, raw, problems)
    per = options.pop("per", None)
    if per not in LINE_GROUPINGS:
        problems.append(f"{where}.per: {per!r} is not one of {', '.join(LINE_GROUPINGS)} "
                        "(one row per order, or one row per order line)")
    amount = options.pop("amount", None)
    unknown = [k for k in options if k not in LINE_FIELDS]
    problems += [f"{where}.{k}: unknown key (keys: per, amount, {', '.join(LINE_FIELDS)})" for k in unknown]
    fields = {k: _column_source(f"{where}.{k}", v, problems) for k, v in options.items() if k in LINE_FIELDS}
    for needed in ("product_id", "quantity"):
        if needed not in fields:
            problems.append(f"{where}.{needed}: needed to build a line")
    if ("unit_price" in fields) == (amount is not None):
        problems.append(f"{where}: give exactly one of unit_price and amount (the line's total)")
    return OrderLines(str(per), fields, _column_source(f"{where}.amount", amount, problems) if amount else None)


def _unknown_columns(where: str, source: str, columns: Mapping[str, ColumnSource]) -> list[str]:
    from shoplake.schemas import CONTRACTS  # pyspark's types: imported only when there are columns to check

    if source not in CONTRACTS:
        return [f"{where}: unknown source (sources: {', '.join(CONTRACTS)})"]
    known = CONTRACTS[source].schema.fieldNames()
    return [f"{where}.columns.{c}: not a column of the {source} contract (columns: {', '.join(known)})"
            for c in columns if c not in known]


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
