"""Parse raw JSON-line records against an input contract, giving each bad record a reason.

``parse_records`` keeps every input row: valid ones have ``_reason`` null and typed columns;
invalid ones carry the first reason that applies, in this order: ``malformed_json``,
``missing_<column>``, ``wrong_type_<column>``, then the contract's domain rules.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, AtomicType, StringType, StructField, StructType

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
    day = F.to_date(F.regexp_extract(source_file, r"date=(\d{4}-\d{2}-\d{2})", 1))
    end_of_day = F.date_add(day, 1).cast("timestamp")
    return F.least(F.coalesce(end_of_day, F.current_timestamp()), F.current_timestamp())


def future_timestamp(column: Column, now: Column, tolerance_minutes: int) -> Rule:
    """Records whose ``column`` lies more than ``tolerance_minutes`` after ``now`` (their arrival)."""
    return Rule("future_timestamp", column > now + F.expr(f"INTERVAL {int(tolerance_minutes)} MINUTES"))


def _text_schema(contract: Contract, keys: dict[str, str]) -> StructType:
    """The contract's fields as strings under their JSON keys (nested values keep their JSON text)."""
    fields = [StructField(keys[f.name], StringType(), True) for f in contract.schema.fields]
    return StructType(fields + [StructField(CORRUPT_COLUMN, StringType(), True)])


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
                  column_map: dict[str, str] | None = None) -> DataFrame:
    """Parse ``raw[value_column]`` (one JSON object per row) into the contract's typed columns.

    Keeps all other columns of ``raw`` (source file, batch id...). ``column_map`` renames a
    shop's own JSON keys to contract names (``{"shop_key": "contract_column"}``).
    """
    keys = json_keys(contract, column_map)
    text = F.from_json(F.col(value_column), _text_schema(contract, keys),
                       {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_COLUMN})
    df = raw.withColumn("_text", text)
    checks: list[tuple[str, Column]] = [
        ("malformed_json", F.col("_text").isNull() | F.col(f"_text.{CORRUPT_COLUMN}").isNotNull()),
    ]
    checks += [(f"missing_{name}", F.col(f"_text.`{keys[name]}`").isNull()) for name in contract.required]
    typed_columns = []
    for field in contract.schema.fields:
        source = F.col(f"_text.`{keys[field.name]}`")
        typed = _typed(source, field)
        typed_columns.append(typed.alias(field.name))
        checks.append((f"wrong_type_{field.name}", _wrong_type(source, typed, field)))
    df = df.select("*", *typed_columns)
    checks += [(rule.reason, rule.violated) for rule in rules]
    reason = F.lit(None).cast("string")
    for name, failed in reversed(checks):
        reason = F.when(F.coalesce(failed, F.lit(False)), F.lit(name)).otherwise(reason)
    return df.withColumn(REASON, reason).drop("_text")


def json_keys(contract: Contract, column_map: dict[str, str] | None) -> dict[str, str]:
    """Contract column -> the JSON key it is read from, after a shop's ``{shop_key: column}`` map."""
    keys = {name: name for name in contract.schema.fieldNames()}
    for shop_key, column in (column_map or {}).items():
        if column not in keys:
            raise ValueError(f"column mapping for {contract.name}: {column!r} is not a contract column "
                             f"(columns: {', '.join(keys)})")
        keys[column] = shop_key
    return keys
