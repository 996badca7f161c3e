"""Per-user train/test splits without leakage: chronological (default) and stratified random.

Both keep ``round(ratio * n)`` of each user's ``n`` interactions for training, rounding half to
even like Python's ``round`` in Recommenders' splitters, so a user with one interaction is kept
entirely in training and every test user has history to learn from.
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

SPLITS = ("chrono", "stratified")


def _split_by_order(df: DataFrame, ratio: float, user_col: str, order: list[Column]) -> tuple[DataFrame, DataFrame]:
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"split ratio must be between 0 and 1, got {ratio}")
    by_user = Window.partitionBy(user_col)
    marked = (
        df.withColumn("_pos", F.row_number().over(by_user.orderBy(*order)))
        .withColumn("_n_train", F.bround(F.lit(ratio) * F.count(F.lit(1)).over(by_user)))
        .withColumn("_train", F.col("_pos") <= F.col("_n_train"))
        .drop("_pos", "_n_train")
    )
    return marked.where("_train").drop("_train"), marked.where("NOT _train").drop("_train")


def chrono_split(
    df: DataFrame, ratio: float = 0.75, user_col: str = "user_idx", item_col: str = "item_idx", time_col: str = "last_time"
) -> tuple[DataFrame, DataFrame]:
    """Each user's earliest ``ratio`` of interactions train, the latest are the test (ties by item)."""
    return _split_by_order(df, ratio, user_col, [F.col(time_col), F.col(item_col)])


def stratified_split(
    df: DataFrame, ratio: float = 0.75, user_col: str = "user_idx", item_col: str = "item_idx", seed: int = 42
) -> tuple[DataFrame, DataFrame]:
    """A random ``ratio`` of each user's interactions train (Recommenders' ``python_stratified_split``).

    The shuffle is a hash of (user, item, seed): the same on every run and partitioning.
    """
    return _split_by_order(df, ratio, user_col, [F.xxhash64(user_col, item_col, F.lit(seed)), F.col(item_col)])


def split(df: DataFrame, method: str = "chrono", ratio: float = 0.75, seed: int = 42, time_col: str = "last_time",
          user_col: str = "user_idx", item_col: str = "item_idx") -> tuple[DataFrame, DataFrame]:
    """Dispatch to :func:`chrono_split` or :func:`stratified_split` by name."""
    if method == "chrono":
        return chrono_split(df, ratio, user_col, item_col, time_col)
    if method == "stratified":
        return stratified_split(df, ratio, user_col, item_col, seed)
    raise ValueError(f"unknown split {method!r}; known splits: {', '.join(SPLITS)}")
