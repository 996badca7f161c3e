"""Item embeddings from the ResNet's penultimate layer, each product's most similar products, and their quality.

Embeddings are computed on the executors (:func:`shoplake.dl.inference.map_model`); the top-k
cosine neighbours reuse the blockwise exact search of :mod:`shoplake.ml.recommend.similar_items`, so no
embedding matrix is collected to the driver.
"""
from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import torch
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, FloatType, StringType, StructField, StructType

from shoplake.config.settings import DlSettings
from shoplake.dl.inference import map_model
from shoplake.dl.skips import split_skipped
from shoplake.dl.vision.images import with_pixels
from shoplake.dl.vision.resnet import ResNet
from shoplake.ml.recommend.id_mapping import ITEM_INDEX, build_index
from shoplake.ml.recommend.similar_items import SIMILAR_INDEX, similar_items

EMBEDDINGS = StructType([
    StructField("product_id", StringType()),
    StructField("embedding", ArrayType(FloatType(), False)),
])


def _embed_batch(model: ResNet, rows: pd.DataFrame, device: torch.device) -> pd.DataFrame:
    pixels = torch.as_tensor(np.stack(rows["pixels"].to_numpy()), device=device)
    vectors = model.embed(pixels).float().cpu().numpy()
    return pd.DataFrame({"product_id": rows["product_id"].to_numpy(), "embedding": list(vectors)})


def embed_products(products: DataFrame, model: ResNet, dl: DlSettings) -> tuple[DataFrame, DataFrame]:
    """``(product_id, embedding)`` of every product whose image decodes at the model's size, and the
    products skipped (``product_id``, ``skip_reason``)."""
    usable, skipped = split_skipped(with_pixels(products.select("product_id", "image"), "image", model.image_size))
    embeddings = map_model(usable, partial(ResNet, **model.spec()), model, _embed_batch, EMBEDDINGS,
                           dl.inference_batch_size, dl.device)
    return embeddings, skipped.select("product_id", "skip_reason")


def similar_products(embeddings: DataFrame, k: int, block_size: int) -> DataFrame:
    """``(product_id, similar_product_id, similarity, rank)``: each product's ``k`` nearest by cosine, itself excluded."""
    index = build_index(embeddings, "product_id", ITEM_INDEX)
    vectors = embeddings.join(index, "product_id").select(F.col(ITEM_INDEX).alias("id"), F.col("embedding").alias("features"))
    pairs = similar_items(vectors, k, block_size)
    named = index.select(F.col(ITEM_INDEX).alias(SIMILAR_INDEX), F.col("product_id").alias("similar_product_id"))
    return (pairs.join(index, ITEM_INDEX).join(named, SIMILAR_INDEX)
            .select("product_id", "similar_product_id", "similarity", "rank"))


def same_category_precision(similar: DataFrame, categories: DataFrame, k: int) -> float:
    """Mean over products of the share of their top-``k`` neighbours in the same category (precision@k)."""
    own = categories.select("product_id", "category")
    theirs = own.select(F.col("product_id").alias("similar_product_id"), F.col("category").alias("similar_category"))
    per_product = (similar.where(F.col("rank") <= k).join(own, "product_id").join(theirs, "similar_product_id")
                   .groupBy("product_id")
                   .agg((F.sum((F.col("category") == F.col("similar_category")).cast("double")) / F.lit(float(k)))
                        .alias("precision")))
    value = per_product.agg(F.avg("precision")).first()[0]
    return float("nan") if value is None else float(value)
