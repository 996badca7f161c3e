"""What a quality run holds a table to: its catalogue entry when that is ``checked``, else generic drift.

A table without rules of its own (a model output, say) gets :func:`generic_spec`: row-count
volume and the null share of every column, compared with the previous successful run.
"""
from __future__ import annotations

from pyspark.sql.types import StructType

from shoplake.catalog import TABLES, Table


def generic_spec(table: str, schema: StructType) -> Table:
    """The spec of a table without rules of its own: row-count volume and null-share drift of every column."""
    return Table(table, "checked for volume and null-share drift only", drift_nulls=tuple(schema.fieldNames()))


def spec_for(table: str, schema: StructType) -> Table:
    """The table's catalogue entry when the quality suites check it by its own rules, else :func:`generic_spec`."""
    entry = TABLES.get(table)
    return entry if entry is not None and entry.checked else generic_spec(table, schema)


def known_tables(layer: str | None = None) -> list[str]:
    """The tables checked by rules of their own, in catalogue order, optionally only those of one layer."""
    return [name for name, entry in TABLES.items() if entry.checked and (layer is None or entry.layer == layer)]
