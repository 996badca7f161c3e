"""A shop's records as records of the contract, by its source mapping (:mod:`shoplake.schemas.source_mapping`).

Each bronze ``value`` (the shop's record as JSON: a JSON line, or a CSV/Parquet row) becomes a JSON
record in the contract's shape in column :data:`MAPPED`, which :func:`shoplake.ingest.parse.parse_records`
then checks and types like any contract record. Values read as they are keep their JSON type (a number
where the contract wants an id string stays visible to the checks, except from Parquet, whose typed ids
are written as text); a time that does not match its format is passed on as read, so it is quarantined as
``wrong_type_<column>``; a record that is not a JSON object is passed on unchanged (``malformed_json``).
With ``lines.per: line`` the rows of a batch that share an ``order_id`` become one order, whose raw
``value`` holds its rows one per line.
"""
from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from shoplake.schemas.source_mapping import EPOCH_FORMATS, ColumnSource, SourceMapping
from shoplake.schemas.inputs import Contract

MAPPED = "_mapped"
ISO_UTC = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"
DERIVED_ID_HEX_DIGITS = 32  # 128 bits of SHA-256: no collision in any shop's history
_FIELDS, _HEAD, _LINES, _ORDER = "_fields", "_head", "_lines", "_order_key"
_LINE_TYPES = {"quantity": "int", "unit_price": "double", "discount": "double"}


def map_records(records: DataFrame, mapping: SourceMapping, contract: Contract) -> DataFrame:
    """``records`` (columns ``value``, ``_source_file``, ``_ingested_at``, ``_batch_id``) with :data:`MAPPED`."""
    if mapping.is_identity:
        return records.withColumn(MAPPED, F.col("value"))
    text_ids = mapping.format == "parquet"
    fields = F.from_json("value", "map<string,variant>")
    df = records.withColumn(_FIELDS, fields)
    head = {name: _value(mapping.column_source(name), text_ids and name in contract.ids)
            for name in contract.schema.fieldNames() if not (mapping.lines and name == "lines")}
    if mapping.lines is None:
        return _finish(df.withColumn(_HEAD, F.struct(*[v.alias(k) for k, v in head.items()])), extra_lines=None)
    df = df.withColumn(_HEAD, F.struct(*[v.alias(k) for k, v in head.items()])).withColumn(_LINES, _line(mapping))
    if mapping.lines.per == "order":
        return _finish(df.withColumn(_LINES, F.concat(F.lit("["), _LINES, F.lit("]"))), extra_lines=_LINES)
    return _finish(_group_lines(df.withColumn(_ORDER, _text(head["order_id"]))), extra_lines=_LINES)


def mapped_columns(records: DataFrame, mapping: SourceMapping, contract: Contract, columns: Sequence[str]) -> DataFrame:
    """The contract ``columns`` of raw ``records`` (column ``value``) read through ``mapping``, as text; null where a
    record is not a JSON object or lacks the value."""
    parsed = F.from_json(MAPPED, StructType([StructField(c, StringType()) for c in columns]))
    return map_records(records, mapping, contract).select(*[parsed[c].alias(c) for c in columns])


def _finish(df: DataFrame, extra_lines: str | None) -> DataFrame:
    record = F.col(_HEAD)
    if extra_lines:
        record = record.withField("lines", F.try_parse_json(F.col(extra_lines)))
    mapped = F.when(F.col(_FIELDS).isNull(), F.col("value")).otherwise(F.to_json(record))
    return df.withColumn(MAPPED, mapped).drop(_FIELDS, _HEAD, _LINES, _ORDER)


def _group_lines(df: DataFrame) -> DataFrame:
    """One row per order of the batch: its rows' raw text one per line, the first row's columns, all lines."""
    key = F.coalesce(F.col(_ORDER), F.concat(F.lit("\u0000"), F.monotonically_increasing_id().cast("string")))
    return df.withColumn(_ORDER, key).groupBy("_batch_id", _ORDER).agg(
        F.concat_ws("\n", F.sort_array(F.collect_list("value"))).alias("value"),
        F.min("_source_file").alias("_source_file"),
        F.max("_ingested_at").alias("_ingested_at"),
        F.min_by(_HEAD, "value").alias(_HEAD),
        F.min_by(_FIELDS, "value").alias(_FIELDS),
        F.concat(F.lit("["), F.concat_ws(",", F.sort_array(F.collect_list(_LINES))), F.lit("]")).alias(_LINES),
    )


def _line(mapping: SourceMapping) -> Column:
    """One order line of a flat row, as JSON; its price per unit, or its total divided by its quantity."""
    values = {name: _line_value(spec, _LINE_TYPES.get(name)) for name, spec in mapping.lines.fields.items()}
    if mapping.lines.amount is not None:
        amount = _text(_value(mapping.lines.amount, as_text=True)).try_cast("double")
        quantity = _text(_value(mapping.lines.fields["quantity"], as_text=True)).try_cast("double")
        per_unit = F.try_divide(amount, quantity).cast("variant")  # null for no quantity: the line's rules say so
        values["unit_price"] = F.when(amount.isNull(), _value(mapping.lines.amount)).otherwise(per_unit)
    return F.to_json(F.struct(*[value.alias(name) for name, value in values.items()]))


def _line_value(spec: ColumnSource, kind: str | None) -> Column:
    """A line field as a JSON value of its contract type where its text reads as one (else as read, to fail)."""
    value = _value(spec, as_text=True)
    if kind is None:
        return value
    number = _text(value).try_cast(kind)
    return F.when(number.isNotNull(), number.cast("variant")).otherwise(value)


def _value(spec: ColumnSource, as_text: bool = False) -> Column:
    """The contract value ``spec`` names, as a variant (null when the file has no such value)."""
    if spec.constant is not None:
        return F.lit(spec.constant).cast("variant")
    if spec.derive:
        return derived_id([_text(F.col(_FIELDS)[c]) for c in spec.derive]).cast("variant")
    raw = F.col(_FIELDS)[spec.column]
    if spec.format or spec.time_zone:
        return _time(_text(raw), spec).cast("variant")
    return _text(raw).cast("variant") if as_text else raw


def derived_id(parts: list[Column]) -> Column:
    """A deterministic id from ``parts`` (the same values always give the same id); null if any part is null."""
    digest = F.substring(F.sha2(F.concat_ws("\u001f", *parts), 256), 1, DERIVED_ID_HEX_DIGITS)
    present = F.lit(True)
    for part in parts:
        present = present & part.isNotNull()
    return F.when(present, digest)


def _time(text: Column, spec: ColumnSource) -> Column:
    """``text`` read with the column's format and time zone, as ISO-8601 UTC; as read when it does not parse."""
    if spec.format in EPOCH_FORMATS:
        parsed = F.timestamp_micros((text.try_cast("double") * (1_000_000 / EPOCH_FORMATS[spec.format])).cast("long"))
    elif spec.format:
        parsed = F.try_to_timestamp(text, F.lit(spec.format))
    else:
        parsed = text.try_cast("timestamp")
    if spec.time_zone and spec.format not in EPOCH_FORMATS:
        parsed = F.to_utc_timestamp(parsed, spec.time_zone)
    return F.coalesce(F.date_format(parsed, ISO_UTC), text)


def _text(value: Column) -> Column:
    """A variant's value as text (numbers as written), or null."""
    return F.try_variant_get(value, "$", "string")
