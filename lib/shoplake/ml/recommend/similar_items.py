"""Item-to-item similarity from ALS item factors: exact cosine top-k, computed blockwise in Spark.

Items are dealt into blocks of at most ``block_size``; each pair of blocks is one numpy matrix
product on an executor, keeping each item's best ``k`` per block; a final ranking keeps the best
``k`` over all blocks. No item factors are collected to the driver.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.ml.recommend.als import rank_top_k
from shoplake.ml.recommend.id_mapping import ITEM_INDEX

SIMILAR_INDEX = "similar_idx"
_SCHEMA = f"{ITEM_INDEX} int, {SIMILAR_INDEX} int, similarity double"


def _unit_rows(vectors) -> np.ndarray:
    matrix = np.vstack(vectors).astype(np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0.0, 1.0, norms)


def _block_top_k(batches: Iterator[pd.DataFrame], k: int) -> Iterator[pd.DataFrame]:
    """For each (block a, block b) row: every a-item's ``k`` most similar b-items, itself excluded."""
    for batch in batches:
        for row in batch.itertuples(index=False):
            a_ids, b_ids = np.asarray(row.a_ids), np.asarray(row.b_ids)
            sims = _unit_rows(row.a_vectors) @ _unit_rows(row.b_vectors).T
            sims[a_ids[:, None] == b_ids[None, :]] = -np.inf
            keep = min(k, len(b_ids))
            top = np.argpartition(-sims, keep - 1, axis=1)[:, :keep]
            values = np.take_along_axis(sims, top, axis=1)
            found = np.isfinite(values)
            yield pd.DataFrame({
                ITEM_INDEX: np.repeat(a_ids, keep)[found.ravel()],
                SIMILAR_INDEX: b_ids[top][found],
                "similarity": values[found],
            })


def similar_items(item_factors: DataFrame, k: int = 10, block_size: int = 2048) -> DataFrame:
    """``(item_idx, similar_idx, similarity, rank)``: each item's ``k`` nearest items by cosine.

    ``item_factors`` is an ALS model's ``itemFactors`` (``id``, ``features``).
    """
    n_blocks = max(1, -(-item_factors.count() // block_size))
    blocks = item_factors.groupBy((F.col("id") % n_blocks).alias("block")).agg(
        F.collect_list("id").alias("ids"), F.collect_list("features").alias("vectors")
    )
    a, b = blocks.alias("a"), blocks.alias("b")
    pairs = a.crossJoin(b).select(
        F.col("a.ids").alias("a_ids"), F.col("a.vectors").alias("a_vectors"),
        F.col("b.ids").alias("b_ids"), F.col("b.vectors").alias("b_vectors"),
    ).repartition(n_blocks * n_blocks)
    candidates = pairs.mapInPandas(partial(_block_top_k, k=k), _SCHEMA)
    return rank_top_k(candidates, k, ITEM_INDEX, SIMILAR_INDEX, "similarity")
