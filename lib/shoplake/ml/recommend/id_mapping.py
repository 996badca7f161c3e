"""Map user and item ids of any type to the dense integer ids ALS needs, and back, in Spark.

Ids are numbered ``0..n-1`` in sorted order with ``zipWithIndex`` on the executors, so the
mapping is deterministic for the same input and the id space is never collected to the driver.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, StructField, StructType

USER_INDEX = "user_idx"
ITEM_INDEX = "item_idx"


def build_index(df: DataFrame, col: str, index_col: str) -> DataFrame:
    """Distinct non-null values of ``col`` numbered from 0 in sorted order: ``(col, index_col)``."""
    ids = df.select(col).where(F.col(col).isNotNull()).distinct().orderBy(col)
    numbered = ids.rdd.zipWithIndex().map(lambda pair: (pair[0][0], pair[1]))
    schema = StructType([ids.schema[col], StructField(index_col, IntegerType(), False)])
    return df.sparkSession.createDataFrame(numbered, schema)


def _replace(df: DataFrame, table: DataFrame, src: str, dst: str, out: str) -> DataFrame:
    """Swap column ``src`` of ``df`` for ``out`` through the two-column ``table`` (src -> dst)."""
    return df.join(table.select(F.col(src), F.col(dst).alias(out)), src).drop(src)


@dataclass(frozen=True)
class IdMapping:
    """The user and item indexes of one interactions table (both cached)."""

    users: DataFrame
    items: DataFrame
    user_col: str
    item_col: str

    @classmethod
    def fit(cls, interactions: DataFrame, user_col: str, item_col: str) -> "IdMapping":
        """Index every user and item that occurs in ``interactions``."""
        return cls(
            users=build_index(interactions, user_col, USER_INDEX).cache(),
            items=build_index(interactions, item_col, ITEM_INDEX).cache(),
            user_col=user_col,
            item_col=item_col,
        )

    def encode(self, df: DataFrame) -> DataFrame:
        """Replace the user/item id columns present in ``df`` by their indexes; unknown ids drop out."""
        if self.user_col in df.columns:
            df = _replace(df, self.users, self.user_col, USER_INDEX, USER_INDEX)
        if self.item_col in df.columns:
            df = _replace(df, self.items, self.item_col, ITEM_INDEX, ITEM_INDEX)
        return df

    def decode(self, df: DataFrame) -> DataFrame:
        """Replace ``user_idx``/``item_idx`` columns present in ``df`` by the original ids."""
        if USER_INDEX in df.columns:
            df = _replace(df, self.users, USER_INDEX, self.user_col, self.user_col)
        if ITEM_INDEX in df.columns:
            df = self.decode_items(df, ITEM_INDEX, self.item_col)
        return df

    def decode_items(self, df: DataFrame, index_col: str, id_col: str) -> DataFrame:
        """Replace any item index column ``index_col`` of ``df`` by the item id, named ``id_col``."""
        return _replace(df, self.items.withColumnRenamed(ITEM_INDEX, index_col), index_col, self.item_col, id_col)
