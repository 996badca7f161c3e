"""The four deep-learning entries with their lake I/O, as the steps in :mod:`shoplake.steps.deep_learning` call them.

Each takes the lake and settings, reads and writes lake tables, tracks itself in MLflow and
returns a small summary dict.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import mlflow
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.catalog import (GOLD_ITEM_EMBEDDINGS, GOLD_PRODUCT_SENTIMENT, GOLD_REVIEW_SENTIMENT,
                              GOLD_VISUALLY_SIMILAR_ITEMS, SILVER_PRODUCTS, SILVER_REVIEWS)
from shoplake.config import Settings
from shoplake.dl.classifier import FittedClassifier, load_registered_model
from shoplake.dl.lake_datasets import (CLOTHING_REVIEWS, FASHION_MNIST, clothing_reviews_frame, ensure_table,
                                       fashion_mnist_frame)
from shoplake.dl.scorecard import latest_gate
from shoplake.dl.skips import SKIP_REASON, report_skips
from shoplake.lake import Lake
from shoplake.log import get_logger
from shoplake import tracking
from shoplake.tracking import NoRegisteredModel

log = get_logger(__name__)


def _summary(fitted: FittedClassifier) -> dict:
    return {"run_id": fitted.run_id, "model_version": fitted.model_version, **fitted.metrics,
            **{f"baseline_{name}": value for name, value in fitted.baseline_metrics.items()},
            "gate": "; ".join(fitted.gate_failures) or "passed", "resumed_after_epoch": fitted.resumed_after_epoch}


def run_train_sentiment(lake: Lake, settings: Settings, *, reload: bool = False, fresh: bool = False) -> dict:
    """Fine-tune the sentiment model on ``silver.clothing_reviews`` (written from the dataset when missing)."""
    from shoplake.dl.text.sentiment import train_sentiment

    frame = lambda: clothing_reviews_frame(lake.spark, settings.paths.cache)  # noqa: E731
    version = ensure_table(lake, CLOTHING_REVIEWS, frame, reload)
    return _summary(train_sentiment(lake.read(CLOTHING_REVIEWS, version=version), settings,
                                    {CLOTHING_REVIEWS: version}, fresh=fresh))


def run_train_image_model(lake: Lake, settings: Settings, *, reload: bool = False, fresh: bool = False) -> dict:
    """Train the ResNet on ``silver.fashion_mnist`` (written from the dataset when missing)."""
    from shoplake.dl.vision.train import train_image_model

    frame = lambda: fashion_mnist_frame(lake.spark, settings.paths.cache)  # noqa: E731
    version = ensure_table(lake, FASHION_MNIST, frame, reload)
    return _summary(train_image_model(lake.read(FASHION_MNIST, version=version), settings,
                                      {FASHION_MNIST: version}, fresh=fresh))


@dataclass
class _Scoring:
    """What a scoring step works with: the model, its ``name/version`` label, the lake and the input rows."""

    model: object
    label: str
    lake: Lake
    rows: DataFrame

    @property
    def stamp(self):
        return F.lit(self.label).alias("model")


@contextmanager
def _scoring_run(lake: Lake, settings: Settings, family: str, run_name: str, name: str, version: str | None,
                 table: str, params: dict) -> Iterator[_Scoring]:
    """The registered model and the input table (pinned to its latest version) inside an MLflow run recording both.

    Without a registered model, :class:`NoRegisteredModel` says what the latest training run's gate found.
    """
    try:
        model, version = load_registered_model(settings.mlflow, name, version)
    except NoRegisteredModel as missing:
        raise NoRegisteredModel(f"{missing}; {latest_gate(settings.mlflow, family)}") from missing
    table_version = lake.version(table)
    scoring = _Scoring(model, f"{name}/{version}", lake, lake.read(table, version=table_version))
    with tracking.start_run(settings.mlflow, family, run_name=run_name):
        tracking.log_table_versions({table: table_version})
        mlflow.log_params({"model": scoring.label, **params})
        yield scoring


def _finish(scoring: _Scoring, summary: dict, skipped: DataFrame, what: str, versions: dict) -> dict:
    """Log the step's figures and the skipped rows (by reason) to the open run; the step's summary."""
    mlflow.log_metrics(summary)
    counts = {row[SKIP_REASON]: int(row["count"]) for row in skipped.groupBy(SKIP_REASON).count().collect()}
    report_skips(counts, what)
    return {**summary, "skipped": counts, "model": scoring.label, "versions": versions}


def run_score_reviews(lake: Lake, settings: Settings, registered_model: str | None = None,
                      version: str | None = None) -> dict:
    """Score ``silver.reviews`` into ``gold.review_sentiment`` and ``gold.product_sentiment`` with a registered model."""
    from shoplake.dl.text.sentiment import product_sentiment, score_reviews

    name = registered_model or settings.dl.text_registered_model
    with _scoring_run(lake, settings, "sentiment", "score_reviews", name, version, SILVER_REVIEWS,
                      {"batch_size": settings.dl.inference_batch_size}) as run:
        scored, skipped = score_reviews(run.rows, run.model, settings.dl)
        written = run.lake.overwrite(scored.select("*", run.stamp), GOLD_REVIEW_SENTIMENT)
        sentiment = run.lake.read(GOLD_REVIEW_SENTIMENT, version=written)
        products = run.lake.overwrite(product_sentiment(sentiment).select("*", run.stamp), GOLD_PRODUCT_SENTIMENT)
        totals = sentiment.agg(F.count("*").alias("reviews"), F.countDistinct("product_id").alias("products"),
                               F.avg((F.col("sentiment") == "negative").cast("double")).alias("share_negative")).first()
        summary = {"reviews_scored": int(totals["reviews"]), "products": int(totals["products"]),
                   "share_negative": float(totals["share_negative"] or 0.0)}
        result = _finish(run, summary, skipped, "reviews to score",
                         {GOLD_REVIEW_SENTIMENT: written, GOLD_PRODUCT_SENTIMENT: products})
    log.info("scored %d reviews of %d products with %s", summary["reviews_scored"], summary["products"], result["model"])
    return result


def run_embed_images(lake: Lake, settings: Settings, registered_model: str | None = None,
                     version: str | None = None) -> dict:
    """Embed ``silver.products`` images into ``gold.item_embeddings`` and write each product's most similar products."""
    from shoplake.dl.vision.embeddings import embed_products, same_category_precision, similar_products

    name = registered_model or settings.dl.image_registered_model
    k = settings.dl.similar_k
    with _scoring_run(lake, settings, "images", "embed_images", name, version, SILVER_PRODUCTS, {"k": k}) as run:
        embeddings, skipped = embed_products(run.rows, run.model, settings.dl)
        written = run.lake.overwrite(embeddings.select("*", run.stamp), GOLD_ITEM_EMBEDDINGS)
        stored = run.lake.read(GOLD_ITEM_EMBEDDINGS, version=written).select("product_id", "embedding")
        similar = similar_products(stored, k, settings.dl.similarity_block_size)
        similar_version = run.lake.overwrite(similar.select("*", run.stamp), GOLD_VISUALLY_SIMILAR_ITEMS)
        stored_similar = run.lake.read(GOLD_VISUALLY_SIMILAR_ITEMS, version=similar_version)
        precision = same_category_precision(stored_similar, run.rows, k)
        summary = {"products_embedded": stored.count(), f"similar_precision_at_{k}": precision}
        result = _finish(run, summary, skipped, "product images",
                         {GOLD_ITEM_EMBEDDINGS: written, GOLD_VISUALLY_SIMILAR_ITEMS: similar_version})
    log.info("embedded %d products with %s; same-category precision@%d %.4f", summary["products_embedded"],
             result["model"], k, precision)
    return result
