"""Compare Delta tables across engines and runs: an order-independent digest per version, and the history
as Delta's reference engine (delta-spark) reports it."""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, MapType, StructType, VariantType


def _hashable(df: DataFrame, column: str):
    """The column as a value ``xxhash64`` accepts: maps and variants (and what holds them) as JSON text."""
    kind = df.schema[column].dataType
    nested = (MapType, VariantType, ArrayType, StructType)
    return F.to_json(F.col(f"`{column}`")) if isinstance(kind, nested) else F.col(f"`{column}`")


def digest(df: DataFrame, columns: list[Column] | None = None) -> tuple[int, int]:
    """(rows, checksum): the checksum sums each row's ``xxhash64`` over ``columns`` (every column by default),
    so it does not depend on the order of rows or files."""
    chosen = columns if columns is not None else [_hashable(df, c) for c in df.columns]
    rows, total = df.agg(F.count(F.lit(1)), F.sum(F.xxhash64(*chosen).cast("decimal(38,0)"))).first()
    return rows, int(total or 0)


def spark_history(spark, path: str) -> list[tuple[int, str]]:
    """(version, operation) of every commit, oldest first, from delta-spark's ``DESCRIBE HISTORY``."""
    rows = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").select("version", "operation").collect()
    return sorted((r.version, r.operation) for r in rows)


def version_digests(lake, name: str, versions) -> dict[int, tuple[int, int]]:
    """``digest`` of ``name`` at each of ``versions``, read through ``lake``."""
    return {v: digest(lake.read(name, version=v)) for v in versions}
