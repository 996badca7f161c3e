"""Deterministic row selection: hash-based samples and train/validation/test splits of a key column."""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def split_column(key: Column, test_fraction: float, validation_fraction: float, seed: int) -> Column:
    """``test``, ``validation`` or ``train`` from a hash of ``key`` (the same rows in every run)."""
    bucket = F.pmod(F.xxhash64(key, F.lit(seed)), F.lit(10_000)) / 10_000.0
    return (F.when(bucket < test_fraction, F.lit("test"))
            .when(bucket < test_fraction + validation_fraction, F.lit("validation")).otherwise(F.lit("train")))


def hash_sample(df: DataFrame, key: str, rows: int, seed: int) -> DataFrame:
    """``rows`` rows chosen by a hash of ``key`` (the same rows every run); ``rows == 0``: all of them."""
    if rows == 0:
        return df
    return df.orderBy(F.xxhash64(F.col(key), F.lit(seed + 1)), key).limit(rows)
