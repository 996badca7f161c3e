"""The values the lake API passes around: table references, commits, checked write requests."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from pyspark.sql import DataFrame
from pyspark.sql.types import StructField, StructType

from shoplake.lake.names import TableName

WriteMode = Literal["append", "overwrite", "overwrite_partitions"]


@dataclass(frozen=True)
class TableRef:
    """A parsed table name and its path."""

    name: TableName
    path: str

    def __str__(self) -> str:
        return str(self.name)


@dataclass(frozen=True)
class Txn:
    """An application transaction: a write tagged ``(app_id, version)`` commits at most once."""

    app_id: str
    version: int


@dataclass(frozen=True)
class Commit:
    """One entry of a table's history, newest first in :meth:`Lake.history`."""

    version: int
    timestamp: datetime
    operation: str
    parameters: dict[str, Any] = field(default_factory=dict)


class TableState(Protocol):
    """What the shared checks need from a backend's view of one table version."""

    version: int
    schema: StructType
    partition_columns: list[str]


@dataclass(frozen=True)
class WriteRequest:
    """A checked write handed to a backend: data conformed to the table, or the schema of a new table."""

    df: DataFrame
    mode: WriteMode
    partition_by: list[str]
    new_fields: list[StructField]
    txn: Txn | None
