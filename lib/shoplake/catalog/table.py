"""One lake table's entry: what it holds, who writes it from what, and the rules its data must satisfy.

The numbers that decide how much change is too much (freshness delay, volume change, drift
tolerances) and the severities live in the ``quality`` config section, not here.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pyspark.sql.types import StructType

from shoplake.catalog.ddl import struct_of


@dataclass(frozen=True)
class Range:
    """Allowed values of a numeric column: ``min`` (exclusive when ``strict_min``) to ``max``; nulls pass."""

    min: float | None = None
    max: float | None = None
    strict_min: bool = False


POSITIVE = Range(0, strict_min=True)
AT_LEAST_ONE = Range(1)
NON_NEGATIVE = Range(0)
SHARE = Range(0, 1)


@dataclass(frozen=True)
class Table:
    """A lake table.

    ``columns`` maps each column to its Spark type in DDL form (``None``: the schema is not fixed
    here); ``keys`` lists the column groups that identify a row; ``written_by`` names the pipeline
    steps and jobs that produce it; ``inputs`` the tables it is computed from (empty when it is
    fed from files or datasets); ``read_by`` the steps that read it to make something outside the
    lake (a model in MLflow). With ``checked`` the quality suites hold the table to its
    columns, keys and the rules below; without, a quality run watches only its volume and the
    null share of each column. ``references`` maps a column to the table whose same-named column
    holds the known values.
    """

    name: str
    description: str
    columns: Mapping[str, str] | None = None
    keys: tuple[tuple[str, ...], ...] = ()
    partition_by: tuple[str, ...] = ()
    written_by: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    read_by: tuple[str, ...] = ()
    checked: bool = False
    required: tuple[str, ...] = ()
    allowed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ranges: Mapping[str, Range] = field(default_factory=dict)
    not_future: tuple[str, ...] = ()
    references: Mapping[str, str] = field(default_factory=dict)
    freshness: str | None = None
    not_empty: bool = False
    drift_nulls: tuple[str, ...] = ()
    drift_means: tuple[str, ...] = ()
    drift_mix: tuple[str, ...] = ()

    @property
    def layer(self) -> str:
        """``bronze``, ``silver``, ``gold`` or ``ops``."""
        return self.name.split(".", 1)[0]

    def struct(self) -> StructType:
        """The table's columns as a StructType (every field nullable); a ValueError when they are not fixed."""
        if self.columns is None:
            raise ValueError(f"{self.name} has no fixed columns in the catalogue")
        return struct_of(self.columns)
