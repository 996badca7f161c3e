"""Deterministic samples and splits."""
from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from shoplake.dl.sampling import hash_sample, split_column


def test_splits_are_a_stable_function_of_the_key(spark):
    ids = spark.range(4000).select(F.concat(F.lit("r"), F.col("id").cast("string")).alias("review_id"))
    split = split_column(F.col("review_id"), 0.2, 0.1, seed=42)
    first = {r.review_id: r.split for r in ids.select("review_id", split.alias("split")).collect()}
    again = {r.review_id: r.split for r in ids.orderBy(F.desc("review_id")).select("review_id", split.alias("split")).collect()}
    assert first == again
    shares = {name: list(first.values()).count(name) / 4000 for name in ("train", "validation", "test")}
    assert shares["test"] == pytest.approx(0.2, abs=0.03) and shares["validation"] == pytest.approx(0.1, abs=0.03)
    other_seed = {r.review_id: r.split for r in ids.select("review_id", split_column(F.col("review_id"), 0.2, 0.1, 7).alias("split")).collect()}
    assert other_seed != first


def test_hash_samples_are_the_same_rows_every_time(spark):
    ids = spark.range(500).select(F.col("id").cast("string").alias("key")).repartition(3)
    one = sorted(r.key for r in hash_sample(ids, "key", 50, seed=1).collect())
    two = sorted(r.key for r in hash_sample(ids.repartition(5), "key", 50, seed=1).collect())
    assert one == two and len(one) == 50
    assert hash_sample(ids, "key", 0, seed=1) is ids
