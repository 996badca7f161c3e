"""A user's own series, read from a lake table, a Delta folder, CSV or Parquet, as ``series_id``, ``date``, ``y``.

The id, date and value columns are picked by name (``--id-column``, ``--date-column``,
``--value-column``). Dates are date or timestamp columns, or ``yyyy-MM-dd`` text; values are
numbers. A row whose date or value does not parse is an error that counts them and shows one.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields

from py4j.protocol import Py4JJavaError
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, StringType, TimestampNTZType, TimestampType

from shoplake.ingest.hadoop_folder import HadoopFolder
from shoplake.lake import InvalidTableName, Lake, TableName
from shoplake.ml.forecast.series import DATE, SERIES_ID, TARGET, ForecastInputError
from shoplake.session import delta_jvm_available
from shoplake.session.preflight import local_path

ACCEPTED = ("a lake table (layer.name), a Delta folder (with _delta_log), a .csv or .parquet file, "
            "or a folder of .csv or .parquet files")
FLAGS = {"series_id": "--id-column", "date": "--date-column", "value": "--value-column"}
_FORMATS = (".csv", ".parquet")


@dataclass(frozen=True)
class SeriesColumns:
    """The source's columns holding the series id, the date and the value."""

    series_id: str = "series_id"
    date: str = "date"
    value: str = "y"


def read_series(lake: Lake, source: str, columns: SeriesColumns = SeriesColumns()) -> DataFrame:
    """``source`` (a lake table name or a path) as ``series_id`` (string), ``date`` (date), ``y`` (double).

    Raises :class:`ForecastInputError` when the source is missing or of an unknown kind, lacks one of
    ``columns``, or holds dates or values that do not parse.
    """
    raw, name = _read(lake, source)
    missing = [f"{getattr(columns, f.name)!r} ({FLAGS[f.name]})" for f in fields(columns)
               if getattr(columns, f.name) not in raw.columns]
    if missing:
        raise ForecastInputError(f"{name} has no column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
                                 f"its columns: {', '.join(raw.columns) or 'none'}")
    date_text, value_text = _column(columns.date).cast("string"), _column(columns.value).cast("string")
    typed = raw.select(_column(columns.series_id).cast("string").alias(SERIES_ID),
                       _as_date(raw, columns.date, name).alias(DATE),
                       _column(columns.value).try_cast("double").alias(TARGET),
                       date_text.alias("date_text"), value_text.alias("value_text"))
    _require_parsed(typed, name)
    return typed.select(SERIES_ID, DATE, TARGET)


def is_lake_table(lake: Lake, source: str) -> bool:
    """True when ``source`` is the name of a table ``lake`` has (a path is not: no error for it)."""
    try:
        TableName.parse(source)
    except InvalidTableName:
        return False
    return lake.exists(source)


def _read(lake: Lake, source: str) -> tuple[DataFrame, str]:
    """The source's rows as they are, and the name its errors use."""
    if is_lake_table(lake, source):
        return lake.read(source), source
    local = local_path(source)
    location = str(local.resolve()) if local is not None else source
    name = os.path.basename(location.rstrip("/")) or location
    folder = HadoopFolder(lake.spark, location)
    if not folder.exists():
        raise ForecastInputError(f"no such file or table: {source}")
    if folder.exists("_delta_log"):
        if not delta_jvm_available(lake.spark):
            raise ForecastInputError(f"{source}: reading a Delta folder needs delta-spark (io.delta:delta-spark) "
                                     "in the Spark session; give a lake table name instead")
        return lake.spark.read.format("delta").load(location), name
    kind = _format(name, folder.names(""))
    if kind is None:
        raise ForecastInputError(f"{source}: cannot read it as series; accepted: {ACCEPTED}")
    reader = lake.spark.read
    try:
        rows = reader.csv(location, header=True, inferSchema=False) if kind == ".csv" else reader.parquet(location)
    except Py4JJavaError as exc:
        raise ForecastInputError(f"{source}: cannot read it as {kind[1:]}: {_root_cause(exc)}") from None
    return rows, name


def _root_cause(exc: Py4JJavaError) -> str:
    """The first line of the innermost Java exception's message."""
    cause = exc.java_exception
    while cause.getCause() is not None:
        cause = cause.getCause()
    return (cause.getMessage() or cause.getClass().getSimpleName()).splitlines()[0]


def _format(name: str, entries: list[str]) -> str | None:
    """``.csv`` or ``.parquet`` by the source's own name, else by its entries' (a file's only entry is itself)."""
    suffixes = {os.path.splitext(entry)[1].lower() for entry in entries if not entry.startswith("_")}
    for kind in _FORMATS:
        if name.lower().endswith(kind) or suffixes == {kind}:
            return kind
    return None


def _column(name: str) -> Column:
    """Column ``name`` taken literally (dots and spaces are part of the name)."""
    return F.col("`" + name.replace("`", "``") + "`")


def _as_date(raw: DataFrame, column: str, name: str) -> Column:
    """Column ``column`` as a date: dates as they are, timestamps at their day, text as ``yyyy-MM-dd`` (else null)."""
    kind = raw.schema[column].dataType
    if isinstance(kind, DateType):
        return _column(column)
    if isinstance(kind, (TimestampType, TimestampNTZType)):
        return _column(column).cast("date")
    if isinstance(kind, StringType):
        return F.try_to_timestamp(F.trim(_column(column)), F.lit("yyyy-MM-dd")).cast("date")
    raise ForecastInputError(f"{name}: column {column!r} is {kind.simpleString()}, not a date, a timestamp "
                             "or yyyy-MM-dd text (give another --date-column)")


def _require_parsed(typed: DataFrame, name: str) -> None:
    """Raise :class:`ForecastInputError` counting the rows whose date or value did not parse, with one of each."""
    example = F.struct(SERIES_ID, "date_text", "value_text")
    bad_date, bad_value = F.col(DATE).isNull(), F.col(TARGET).isNull()
    seen = typed.agg(F.sum(bad_date.cast("int")).alias("dates"), F.min(F.when(bad_date, example)).alias("date"),
                     F.sum(bad_value.cast("int")).alias("values"), F.min(F.when(bad_value, example)).alias("value"),
                     ).first()
    problems = []
    if seen.dates:
        problems.append(f"{seen.dates} rows of {name} have a date that is not a yyyy-MM-dd date "
                        f"(e.g. series {seen.date[SERIES_ID]!r}: {_text(seen.date.date_text)})")
    if seen.values:
        problems.append(f"{seen.values} rows of {name} have a value that is not a number (e.g. series "
                        f"{seen.value[SERIES_ID]!r} on {seen.value.date_text}: {_text(seen.value.value_text)})")
    if problems:
        raise ForecastInputError("; ".join(problems))


def _text(raw: str | None) -> str:
    return "empty" if raw is None else repr(raw)
