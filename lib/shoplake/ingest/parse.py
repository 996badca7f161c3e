"""Parse raw JSON-line records against an input contract, giving each bad record a reason.

``parse_records`` keeps every input row: valid ones have ``_reason`` null and typed columns;
invalid ones carry the first reason that applies, in this order: ``malformed_json``,
``missing_<column>`` (absent, null or blank), ``invalid_id_type`` (an identifier that is not a JSON
string), ``wrong_type_<column>``, ``text_too_long`` (over ``ingest.max_text_length``, or the
column's own limit), ``time_before_min_event_time`` (a time before ``ingest.min_event_time``),
then the contract's domain rules.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    AtomicType,
    StringType,
    StructField,
    StructType,
    TimestampType,
    VariantType,
)

from shoplake.config.settings import IngestSettings
from shoplake.schemas import Contract

CORRUPT_COLUMN = "_corrupt_record"
REASON = "_reason"


@dataclass(frozen=True)
class Rule:
    """A domain rule: records where ``violated`` is true get ``reason``."""

    reason: str
    violated: Column


def arrival_time(source_file: Column) -> Column:
    """When a record arrived: the end of its ``date=YYYY-MM-DD`` drop folder, else the ingest time.

    A record cannot describe something later than the batch it arrived in, also when
    historical drops are ingested long after the fact.
    """
    day = F.try_to_timestamp(F.regexp_extract(source_file, r"date=(\d{4}-\d{2}-\d{2})", 1), F.lit("yyyy-MM-dd")).cast("date")
    end_of_day = F.date_add(day, 1).cast("timestamp")
    return F.least(F.coalesce(end_of_day, F.current_timestamp()), F.current_timestamp())


def future_timestamp(column: Column, now: Column, tolerance_minutes: int) -> Rule:
    """Records whose ``column`` lies more than ``tolerance_minutes`` after ``now`` (their arrival)."""
    return Rule("future_timestamp", column > now + F.expr(f"INTERVAL {int(tolerance_minutes)} MINUTES"))


def _text_schema(contract: Contract, keys: dict[str, str]) -> StructType:
    """The contract's fields under their JSON keys: ids as variants (their JSON type stays visible), the rest
    as strings (nested values keep their JSON text)."""
    fields = [StructField(keys[f.name], VariantType() if f.name in contract.ids else StringType(), True)
              for f in contract.schema.fields]
    return StructType(fields + [StructField(CORRUPT_COLUMN, StringType(), True)])


def _any(conditions: Sequence[Column]) -> Column:
    """True where any condition is true (a null condition counts as false)."""
    return reduce(lambda a, b: a | b, [F.coalesce(c, F.lit(False)) for c in conditions], F.lit(False))


def _not_a_string(value: Column) -> Column:
    """A variant holding a JSON number, object, array or boolean (not a string, not null)."""
    return value.isNotNull() & ~F.schema_of_variant(value).isin("STRING", "VOID")


def _invalid_ids(contract: Contract, values: dict[str, Column], text: dict[str, Column]) -> Column:
    """Records with an id that is not a JSON string (also inside an array's elements).

    ``values`` are the parsed JSON values (ids as variants), ``text`` the same as strings.
    """
    checks = []
    for name in contract.ids:
        column, _, element_field = name.partition(".")
        if element_field:
            element = StructType([StructField(element_field, VariantType(), True)])
            checks.append(_some_element_not_a_string(F.from_json(text[column], ArrayType(element)), element_field))
        else:
            checks.append(_not_a_string(values[column]))
    return _any(checks)


def _some_element_not_a_string(elements: Column, field: str) -> Column:
    return F.exists(elements, lambda element: _not_a_string(element[field]))


def _text_limits(contract: Contract, ingest: IngestSettings) -> dict[str, int]:
    """The most characters each text column may hold; encoded bytes (images) only when configured."""
    return {f.name: ingest.text_limit(f.name) for f in contract.schema.fields
            if isinstance(f.dataType, StringType)
            and (f.name not in contract.encoded or f.name in ingest.max_text_length_by_field)}


def _typed(text: Column, field: StructField) -> Column:
    if isinstance(field.dataType, StringType):
        return text
    if isinstance(field.dataType, AtomicType):
        return text.try_cast(field.dataType)
    return F.from_json(text, field.dataType, {"mode": "PERMISSIVE"})


def _wrong_type(text: Column, typed: Column, field: StructField) -> Column:
    bad = text.isNotNull() & typed.isNull()
    if isinstance(field.dataType, ArrayType) and isinstance(field.dataType.elementType, StructType):
        element = field.dataType.elementType
        # an element whose non-null JSON values did not parse comes back with nulls: compare counts
        parsed = F.from_json(text, ArrayType(_text_schema_of(element)))
        lost = F.exists(
            F.arrays_zip(parsed.alias("raw"), typed.alias("typed")),
            lambda pair: F.greatest(*[
                (pair["raw"][e.name].isNotNull() & pair["typed"][e.name].isNull()).cast("int") for e in element.fields
            ]) == 1,
        )
        bad = bad | F.coalesce(lost, F.lit(False))
    return bad


def _text_schema_of(struct: StructType) -> StructType:
    return StructType([StructField(f.name, StringType(), True) for f in struct.fields])


def parse_records(raw: DataFrame, contract: Contract, rules: Sequence[Rule] = (), value_column: str = "value",
                  ingest: IngestSettings | None = None) -> DataFrame:
    """Parse ``raw[value_column]`` (one JSON object per row, keyed by contract column) into typed columns.

    Keeps all other columns of ``raw`` (source file, batch id...); a shop's own record shape is mapped
    onto the contract first (:func:`shoplake.schemas.mapping.map_records`). ``ingest`` gives the earliest
    valid time and the text length limits (the defaults when None).
    """
    ingest = ingest or IngestSettings()
    keys = {name: name for name in contract.schema.fieldNames()}
    parsed = F.from_json(F.col(value_column), _text_schema(contract, keys),
                         {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_COLUMN})
    df = raw.withColumn("_text", parsed)
    values = {name: F.col(f"_text.`{key}`") for name, key in keys.items()}
    text = {name: F.variant_get(value, "$", "string") if name in contract.ids else value
            for name, value in values.items()}
    checks: list[tuple[str, Column]] = [
        ("malformed_json", F.col("_text").isNull() | F.col(f"_text.{CORRUPT_COLUMN}").isNotNull()),
    ]
    checks += [(f"missing_{name}", text[name].isNull() | (F.trim(text[name]) == "")) for name in contract.required]
    checks.append(("invalid_id_type", _invalid_ids(contract, values, text)))
    typed_columns = []
    for field in contract.schema.fields:
        typed = _typed(text[field.name], field)
        typed_columns.append(typed.alias(field.name))
        checks.append((f"wrong_type_{field.name}", _wrong_type(text[field.name], typed, field)))
    df = df.select("*", *typed_columns)
    checks.append(("text_too_long", _any([F.length(text[name]) > limit
                                          for name, limit in _text_limits(contract, ingest).items()])))
    earliest = F.lit(ingest.earliest_event_time())
    checks.append(("time_before_min_event_time", _any([F.col(f.name) < earliest for f in contract.schema.fields
                                                       if isinstance(f.dataType, TimestampType)])))
    checks += [(rule.reason, rule.violated) for rule in rules]
    reason = F.lit(None).cast("string")
    for name, failed in reversed(checks):
        reason = F.when(F.coalesce(failed, F.lit(False)), F.lit(name)).otherwise(reason)
    return df.withColumn(REASON, reason).drop("_text")
