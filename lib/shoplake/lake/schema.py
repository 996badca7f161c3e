"""Schema checks shared by both backends: conform a DataFrame to a table's columns."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql.types import StructField, StructType

from shoplake.lake.errors import SchemaMismatch


def nullable(schema: StructType) -> StructType:
    """The schema with every top-level column nullable (what a table created from data gets)."""
    return StructType([StructField(f.name, f.dataType, True, f.metadata) for f in schema])


def require_columns(schema: StructType, columns: Sequence[str], what: str, table: str) -> None:
    """Raise :class:`SchemaMismatch` naming the ``columns`` that ``schema`` lacks."""
    missing = [c for c in columns if c not in schema.names]
    if missing:
        raise SchemaMismatch(f"{table}: {what} not in the data: {', '.join(missing)} (data columns: {', '.join(schema.names)})")


def conform(df: DataFrame, table_schema: StructType, table: str, evolve: bool) -> tuple[DataFrame, list[StructField]]:
    """Select ``df``'s columns in the table's order; reject missing, mistyped or (unless ``evolve``) extra columns.

    Returns the conformed DataFrame (new columns last) and the new nullable fields to add to the table.
    Types are compared without nullability; a nullable column may go into a NOT NULL one (checked per row
    by the writer).
    """
    duplicated = [name for name, n in Counter(df.columns).items() if n > 1]
    if duplicated:
        raise SchemaMismatch(f"{table}: duplicate columns in the data: {', '.join(duplicated)}")
    data = {f.name: f for f in df.schema}
    missing = [f.name for f in table_schema if f.name not in data]
    mistyped = [
        f"{f.name} ({data[f.name].dataType.simpleString()} in the data, {f.dataType.simpleString()} in the table)"
        for f in table_schema
        if f.name in data and data[f.name].dataType.simpleString() != f.dataType.simpleString()
    ]
    extra = [name for name in df.columns if name not in table_schema.names]
    problems = []
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if mistyped:
        problems.append(f"type mismatch: {'; '.join(mistyped)}")
    if extra and not evolve:
        problems.append(f"columns not in the table: {', '.join(extra)} (pass evolve_schema=True to add them)")
    if problems:
        raise SchemaMismatch(f"{table}: the data does not match the table schema: {'; '.join(problems)}")
    new_fields = [StructField(name, data[name].dataType, True) for name in extra]
    return df.select(*table_schema.names, *extra), new_fields
