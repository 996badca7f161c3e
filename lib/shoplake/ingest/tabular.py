"""CSV and Parquet files as records: each row one JSON object keyed by the file's own column names.

Rows become JSON text so that bronze keeps every source's records in one form, and the mapping onto
the contract (:mod:`shoplake.schemas.mapping`) reads them all alike. CSV values stay text (an empty
field is null); Parquet values keep their JSON types (times as ISO-8601 text, bytes as base64). A CSV
row with more or fewer fields than the header is a ``wrong_field_count`` record kept as bytes; a
Parquet file that cannot be read is one ``unreadable_file`` record.
"""
from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import json
import re
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from shoplake.schemas.source_mapping import WHITESPACE, CsvFormat, SourceMapping
from shoplake.ingest.decode import UNREADABLE_FILE, Line, decode_lines

WRONG_FIELD_COUNT = "wrong_field_count"
_SPACES = re.compile(r"[ \t]+")


def decode_file(data: bytes, mapping: SourceMapping) -> Iterator[Line]:
    """The records of one file in ``mapping``'s format: JSON lines as they are, CSV and Parquet rows as JSON."""
    if mapping.format == "csv":
        return csv_records(data, mapping.csv)
    if mapping.format == "parquet":
        return parquet_records(data)
    return decode_lines(data)


def csv_records(data: bytes, options: CsvFormat) -> Iterator[Line]:
    """Rows of a CSV file as JSON objects; its lines that are not UTF-8 come back as they do from JSON files."""
    names = list(options.columns)
    for number, text in _rows(decode_lines(data), options):
        if isinstance(text, Line):
            yield text
            continue
        fields = _split(text, options)
        if not names:
            names = [name.strip() for name in fields]
            continue
        if len(fields) != len(names):
            yield Line(text, base64.b64encode(text.encode("utf-8")).decode("ascii"), WRONG_FIELD_COUNT,
                       f"line {number}: {len(fields)} field(s), expected {len(names)} ({', '.join(names)})")
            continue
        yield Line(json.dumps({n: (v if v.strip() else None) for n, v in zip(names, fields)}, ensure_ascii=False))


def _rows(lines: Iterator[Line], options: CsvFormat) -> Iterator[tuple[int, str | Line]]:
    """``(first line number, row text)`` per CSV row: a quoted field may span lines; blank lines are skipped.

    Lines that are not UTF-8 come back as the :class:`Line` that says so.
    """
    pending, start = None, 0
    for number, line in enumerate(lines, start=1):
        if line.reason:
            yield number, line
            continue
        if pending is None:
            if not line.value.strip():
                continue
            pending, start = line.value, number
        else:
            pending += "\n" + line.value
        if options.delimiter == WHITESPACE or pending.count(options.quote) % 2 == 0:
            yield start, pending
            pending = None
    if pending is not None:
        yield start, pending


def _split(text: str, options: CsvFormat) -> list[str]:
    if options.delimiter == WHITESPACE:
        return _SPACES.split(text.strip())
    return next(csv.reader([text], delimiter=options.delimiter, quotechar=options.quote), [])


def parquet_records(data: bytes) -> Iterator[Line]:
    """Rows of a Parquet file as JSON objects, or one ``unreadable_file`` record when it is not Parquet."""
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        yield Line(None, base64.b64encode(data).decode("ascii"), UNREADABLE_FILE, f"not a Parquet file: {exc}")
        return
    for batch in table.to_batches(max_chunksize=10_000):
        for row in batch.to_pylist():
            yield Line(json.dumps(row, default=_json_value, ensure_ascii=False))


def _json_value(value):
    """A Parquet value JSON does not know: times as ISO-8601, decimals as numbers, bytes as base64."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    raise TypeError(f"{type(value).__name__} is not a value a record can hold")
