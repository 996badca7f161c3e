"""The real public datasets the models learn from, written once into lake tables they are then read from.

``silver.clothing_reviews``: the 23,486 Women's E-Commerce Clothing Reviews in the reviews
contract. ``silver.fashion_mnist``: the 70,000 Fashion-MNIST product photos as PNG bytes with
their category and the dataset's own split (``train``: 60,000, ``test``: 10,000).
"""
from __future__ import annotations

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import BinaryType, IntegerType, StringType, StructField, StructType

from shoplake.catalog import SILVER_CLOTHING_REVIEWS, SILVER_FASHION_MNIST
from shoplake.datasets import clothing_reviews, fashion_mnist
from shoplake.datasets.fetch import fetch
from shoplake.datasets.png import encode_gray
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake.schemas import REVIEWS

log = get_logger(__name__)
CLOTHING_REVIEWS = SILVER_CLOTHING_REVIEWS
FASHION_MNIST = SILVER_FASHION_MNIST
FASHION_MNIST_SCHEMA = StructType([
    StructField("image_id", StringType(), False),
    StructField("label", IntegerType(), False),
    StructField("category", StringType(), False),
    StructField("split", StringType(), False),
    StructField("image", BinaryType(), False),
])
TRAIN_IMAGES = 60_000


def clothing_reviews_frame(spark: SparkSession, cache: str) -> DataFrame:
    """The clothing reviews (fetched into ``cache`` if needed) as a DataFrame of the reviews contract."""
    frame = clothing_reviews.to_reviews(fetch("womens-clothing-reviews", cache))
    frame["review_time"] = frame["review_time"].astype(object).where(frame["review_time"].notna(), None)
    return spark.createDataFrame(frame.astype(object).where(frame.notna(), None), REVIEWS.schema)


def fashion_mnist_frame(spark: SparkSession, cache: str) -> DataFrame:
    """Fashion-MNIST (fetched into ``cache`` if needed): one row per image, PNG bytes."""
    images, labels = fashion_mnist.load(fetch("fashion-mnist", cache))
    frame = pd.DataFrame({
        "image_id": [f"fm{i:05d}" for i in range(len(labels))],
        "label": labels.astype("int32"),
        "category": [fashion_mnist.CLASSES[label] for label in labels],
        "split": ["train" if i < TRAIN_IMAGES else "test" for i in range(len(labels))],
        "image": [encode_gray(image) for image in images],
    })
    return spark.createDataFrame(frame, FASHION_MNIST_SCHEMA)


def ensure_table(lake: Lake, name: str, build, reload: bool = False) -> int:
    """Write ``build()`` into table ``name`` unless it exists (or ``reload``); return the table's version."""
    if lake.exists(name) and not reload:
        return lake.version(name)
    log.info("writing %s from the public dataset", name)
    return lake.overwrite(build(), name)
