"""Copy-on-write row logic in Spark for merge and delete: which files to rewrite, and their new rows.

Only the (small) list of affected file paths ever reaches the driver; the rows stay in Spark.
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from shoplake.lake.deltars.read import FILE_COLUMN, files_at
from shoplake.lake.deltars.snapshot import DataFile, Snapshot
from shoplake.lake.merge_source import DELETE_FLAG, source_wins

# Where each merged row came from: a target row kept as it was, replaced by its source row, or a new source row.
ORIGIN = "_shoplake_origin"
COPIED, UPDATED, INSERTED = "copied", "updated", "inserted"


def files_with(snapshot: Snapshot, files: list[DataFile], hits: DataFrame) -> list[DataFile]:
    """The files (of ``files``) that hold at least one row of ``hits``, a DataFrame with :data:`FILE_COLUMN`."""
    paths = [row[0] for row in hits.select(FILE_COLUMN).distinct().collect()]
    return files_at(snapshot, files, paths)


def matching_keys(target: DataFrame, source: DataFrame, keys: list[str]) -> DataFrame:
    """The keys and :data:`FILE_COLUMN` of the ``target`` rows whose keys occur in ``source``."""
    return target.select(*keys, FILE_COLUMN).join(source.select(*keys), keys, "left_semi")


def merged_rows(
    target: DataFrame, source: DataFrame, matched_keys: DataFrame, keys: list[str], order_by: str | None, schema: StructType
) -> DataFrame:
    """The rows that replace ``target`` (the affected files' rows) after merging ``source`` into it.

    Each target row meets its source row, if any (a left join: a small source is broadcast and the
    target is not shuffled); the source row replaces it when it wins (see :func:`source_wins`), and
    a winning source row flagged :data:`DELETE_FLAG` removes it. Source rows whose key is not in
    ``matched_keys`` (the table's keys found in the source, see :func:`matching_keys`) are inserted
    unless flagged. Each row says where it came from in :data:`ORIGIN`. Columns are renamed apart
    first, so a source derived from the target itself cannot make the joins ambiguous.
    """
    t = target.select(*[F.col(c).alias(f"_t{i}") for i, c in enumerate(target.columns)])
    s = source.select(F.lit(True).alias("_s_row"), *[F.col(c).alias(f"_s{i}") for i, c in enumerate(source.columns)])
    tcol = {c: F.col(f"_t{i}") for i, c in enumerate(target.columns)}
    scol = {c: F.col(f"_s{i}") for i, c in enumerate(source.columns)}
    from_source: Column = F.col("_s_row").isNotNull()
    if order_by:
        from_source = from_source & source_wins(scol[order_by], tcol[order_by])
    kept = t.join(s, [tcol[k] == scol[k] for k in keys], "left_outer").where(~(from_source & scol[DELETE_FLAG]))
    kept = kept.select(
        *[F.when(from_source, scol[f.name]).otherwise(tcol.get(f.name, F.lit(None).cast(f.dataType))).alias(f.name) for f in schema],
        F.when(from_source, F.lit(UPDATED)).otherwise(F.lit(COPIED)).alias(ORIGIN),
    )
    inserted = source.join(matched_keys, keys, "left_anti").where(~F.col(DELETE_FLAG))
    return kept.unionByName(inserted.select(*[f.name for f in schema], F.lit(INSERTED).alias(ORIGIN)))
