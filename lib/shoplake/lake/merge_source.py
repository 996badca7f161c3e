"""Merge semantics shared by both backends: one source row per key, latest wins, optional delete flag."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pyspark import StorageLevel
from pyspark.errors import AnalysisException, ParseException
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from shoplake.lake.errors import LakeError

DELETE_FLAG = "_shoplake_delete"


def condition(df: DataFrame, text: str, what: str, table: str) -> Column:
    """``text`` as a boolean Column checked against ``df``; a bad expression raises :class:`LakeError`."""
    try:
        column = F.expr(text)
        df.select(column).schema  # analyses the expression without running anything
    except (AnalysisException, ParseException) as exc:
        raise LakeError(f"{table}: {what} {text!r} is not a valid condition on the columns {df.columns}: {exc}") from exc
    return column


def prepare_source(df: DataFrame, keys: Sequence[str], order_by: str | None, delete_when: str | None, table: str) -> DataFrame:
    """One row per key (the greatest ``order_by`` wins) plus the boolean :data:`DELETE_FLAG` column.

    Without ``order_by`` the source must already be unique on ``keys``; a duplicate raises :class:`LakeError`.
    """
    if order_by:
        latest = Window.partitionBy(*keys).orderBy(F.col(order_by).desc_nulls_last())
        df = df.withColumn("_shoplake_rank", F.row_number().over(latest)).where("_shoplake_rank = 1").drop("_shoplake_rank")
    else:
        duplicate = df.groupBy(*keys).count().where("count > 1").limit(1).collect()
        if duplicate:
            example = {k: duplicate[0][k] for k in keys}
            raise LakeError(f"{table}: the merge source has several rows for key {example}; pass order_by to keep the latest")
    flag = F.coalesce(condition(df, delete_when, "delete_when", table), F.lit(False)) if delete_when else F.lit(False)
    return df.withColumn(DELETE_FLAG, flag)


def source_wins(source_order: Column, target_order: Column) -> Column:
    """True where a source row replaces the matched target row: its order is not older (a null order is oldest)."""
    return target_order.isNull() | (source_order.isNotNull() & (source_order >= target_order))


@contextmanager
def persisted(df: DataFrame) -> Iterator[DataFrame]:
    """``df`` cached on local disk for a block that reads it more than once; a cache the caller made stays.

    Disk, not memory: a micro-batch or merge source may be larger than the heap, and a cache that
    first unrolls blocks in memory can exhaust it where one written straight to disk cannot.
    """
    level = df.storageLevel  # the cache manager's level for this plan, whoever cached it
    if level.useMemory or level.useDisk:
        yield df
        return
    cached = df.persist(StorageLevel.DISK_ONLY)
    try:
        yield cached
    finally:
        cached.unpersist()
