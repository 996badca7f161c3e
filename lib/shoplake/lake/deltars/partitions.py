"""Partition values as Delta log strings and as Hive-style directories (Spark's escaping)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pyspark.sql.types import (
    BooleanType,
    ByteType,
    DataType,
    DateType,
    IntegerType,
    LongType,
    ShortType,
    StringType,
)

SUPPORTED_TYPES = (StringType, DateType, IntegerType, LongType, ShortType, ByteType, BooleanType)
NULL_DIRECTORY = "__HIVE_DEFAULT_PARTITION__"
# The characters Spark escapes in partition directory names (ExternalCatalogUtils.escapePathName).
_ESCAPED = frozenset([chr(c) for c in range(1, 32)] + list('"#%\'*/:=?\\\x7f{[]^'))


def supported(data_type: DataType) -> bool:
    """True when a column of this type can be a partition column."""
    return isinstance(data_type, SUPPORTED_TYPES)


def to_string(value: Any) -> str | None:
    """A partition value as the Delta log stores it (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, (date, int, Decimal, str)):
        return value.isoformat() if isinstance(value, date) else str(value)
    raise TypeError(f"unsupported partition value {value!r} of type {type(value).__name__}")


def escape(text: str) -> str:
    """Escape a directory-name component the way Spark does, so Spark's partition discovery decodes it."""
    return "".join(f"%{ord(c):02X}" if c in _ESCAPED else c for c in text)


def directory(columns: list[str], values: dict[str, str | None]) -> str:
    """``col=value/...`` for one partition ('' for an unpartitioned table)."""
    return "/".join(f"{escape(c)}={NULL_DIRECTORY if values[c] is None else escape(values[c])}" for c in columns)
