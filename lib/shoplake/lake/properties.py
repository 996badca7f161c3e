"""Delta table properties the lake sets when it creates a table, the same for both backends.

Person ids (``privacy.identity_columns``) must never reach a table's log as min/max statistics:
older log entries outlive every delete and vacuum, so an erased customer's pseudonym would stay
there. A table holding such a column therefore lists the columns that do get statistics in
``delta.dataSkippingStatsColumns`` (Delta's own property, honoured by delta-spark and by this
project's delta-rs backend), leaving the person ids out.
"""
from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql.types import (
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegralType,
    StringType,
    StructType,
    TimestampNTZType,
    TimestampType,
)

STATS_COLUMNS = "delta.dataSkippingStatsColumns"
# The leaf types Delta collects min/max for (delta-spark rejects other types in STATS_COLUMNS).
_SKIPPING_TYPES = (IntegralType, FloatType, DoubleType, DecimalType, DateType, TimestampType, TimestampNTZType, StringType)


def creation_properties(schema: StructType, partition_by: Iterable[str], unindexed: Iterable[str]) -> dict[str, str]:
    """The properties of a new table: empty unless it has an ``unindexed`` column, else the stats columns without them."""
    unindexed = set(unindexed)
    if not unindexed & set(schema.names):
        return {}
    skip = unindexed | set(partition_by)
    columns = [path for field in schema.fields if field.name not in skip for path in _leaves(field.dataType, [field.name])]
    return {STATS_COLUMNS: ",".join(columns)}


def _leaves(data_type: DataType, path: list[str]) -> list[str]:
    if isinstance(data_type, StructType):
        return [leaf for f in data_type.fields for leaf in _leaves(f.dataType, [*path, f.name])]
    if not isinstance(data_type, _SKIPPING_TYPES):
        return []
    return [".".join(p if p.isidentifier() else f"`{p}`" for p in path)]
