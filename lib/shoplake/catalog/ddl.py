"""Spark DDL column lists without a Spark session: ``"a string, b array<bigint>"`` to columns and a StructType.

Every field parsed is nullable, as are array elements and map values (Spark's own defaults).
"""
from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    BooleanType,
    DataType,
    DateType,
    DoubleType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

_ATOMIC = {
    "string": StringType, "bigint": LongType, "int": IntegerType, "double": DoubleType, "boolean": BooleanType,
    "timestamp": TimestampType, "date": DateType, "binary": BinaryType,
}


def split_top_level(text: str) -> list[str]:
    """``text`` split at the commas outside ``<...>``, each part stripped."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text + ","):
        depth += (ch == "<") - (ch == ">")
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return parts


def ddl_columns(ddl: str) -> dict[str, str]:
    """``"a string, b bigint"`` -> ``{"a": "string", "b": "bigint"}`` (types may hold commas inside <>)."""
    columns = {}
    for part in split_top_level(ddl):
        name, _, dtype = part.partition(" ")
        if not dtype.strip():
            raise ValueError(f"column {part!r} has no type (expected 'name type')")
        columns[name] = dtype.strip()
    return columns


def data_type(ddl: str) -> DataType:
    """The Spark type of one DDL type: an atomic type, ``array<t>``, ``map<k,v>`` or ``struct<a:t,...>``."""
    ddl = ddl.strip()
    if ddl in _ATOMIC:
        return _ATOMIC[ddl]()
    outer, _, inner = ddl.partition("<")
    if not inner.endswith(">"):
        raise ValueError(f"unsupported column type {ddl!r} (known: {', '.join(_ATOMIC)}, array<>, map<>, struct<>)")
    inner = inner[:-1]
    if outer == "array":
        return ArrayType(data_type(inner))
    if outer == "map":
        key, value = split_top_level(inner)
        return MapType(data_type(key), data_type(value))
    if outer == "struct":
        return StructType([StructField(name.strip(), data_type(dtype))
                           for name, dtype in (field.split(":", 1) for field in split_top_level(inner))])
    raise ValueError(f"unsupported column type {ddl!r} (known: {', '.join(_ATOMIC)}, array<>, map<>, struct<>)")


def struct_of(columns: Mapping[str, str]) -> StructType:
    """The StructType of ``columns`` (name -> DDL type), in their order, every field nullable."""
    return StructType([StructField(name, data_type(dtype)) for name, dtype in columns.items()])
