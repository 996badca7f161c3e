"""train_sentiment and score_reviews end to end: real clothing reviews in a lake → petastorm → MiniLM → MLflow → gold."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from mlflow.tracking import MlflowClient
from pyspark.sql import functions as F

from shoplake.datasets.fetch import FetchError
from shoplake.dl.classifier import load_registered_model
from shoplake.dl.lake_datasets import CLOTHING_REVIEWS, clothing_reviews_frame
from shoplake.catalog import GOLD_PRODUCT_SENTIMENT as PRODUCT_SENTIMENT, GOLD_REVIEW_SENTIMENT as REVIEW_SENTIMENT
from shoplake.dl.on_lake import run_score_reviews, run_train_sentiment
from shoplake.dl.sampling import hash_sample
from shoplake.dl.text.tokenizer import load_tokenizer
from shoplake.dl.text.weights import minilm_folder
from shoplake.lake import open_lake
from shoplake.report.inputs import Inputs
from shoplake.report.sections import sentiment
from shoplake.schemas import REVIEWS
from tests.integration.dl_support import artifacts, isolated_settings, leftovers

pytestmark = pytest.mark.slow
ROWS = 240


@pytest.fixture(scope="module")
def trained(spark, settings, tmp_path_factory):
    """A lake holding 240 real clothing reviews plus two without text and one without a rating; the model trained on it."""
    cfg = isolated_settings(settings, tmp_path_factory.mktemp("dl-sentiment"), text_rows=0)
    try:
        minilm_folder(cfg.paths.cache)
        reviews = clothing_reviews_frame(spark, cfg.paths.cache)
    except FetchError as exc:
        pytest.skip(reason=f"the clothing reviews or MiniLM weights cannot be fetched here: {exc}")
    real = hash_sample(reviews.where(F.length("text") > 0), "review_id", ROWS, seed=5)
    bad = spark.createDataFrame([("bad-1", "wc1", None, 2, None, "  ", None), ("bad-2", "wc1", None, 5, "", None, None),
                                 ("bad-3", "wc1", None, None, "Nice", "No rating given", None)], REVIEWS.schema)
    lake = open_lake(spark, cfg)
    lake.overwrite(real.unionByName(bad), CLOTHING_REVIEWS)
    return cfg, run_train_sentiment(open_lake(spark, cfg), cfg)


def test_sentiment_is_trained_tested_on_held_out_reviews_and_registered(trained):
    cfg, summary = trained
    for name in ("test_accuracy", "test_macro_f1", "test_auc_pos_neg"):
        assert 0.0 <= summary[name] <= 1.0, name
    assert summary["model_version"] == "1"
    client = MlflowClient(cfg.mlflow.tracking_uri)
    run = client.get_run(summary["run_id"])
    rows = {name: run.data.metrics[f"{name}_rows"] for name in ("train", "validation", "test")}
    assert sum(rows.values()) == ROWS and rows["test"] > 0 and rows["train"] > rows["test"]
    assert run.data.params["max_seq_len"] == str(cfg.dl.text_max_seq_len)
    assert run.data.params["encoder"] == "all-MiniLM-L6-v2"
    assert run.data.metrics["skipped_empty_text"] == 2 and run.data.metrics["skipped_bad_rating"] == 1
    assert run.data.params["baseline"] == "tfidf_logreg" and run.data.tags["passes_gate"] == "true"
    for name in ("test_accuracy", "test_macro_f1", "test_auc_pos_neg"):
        assert summary[f"baseline_{name}"] == run.data.metrics[f"baseline_{name}"]
        assert run.data.metrics[f"margin_{name}"] == pytest.approx(summary[name] - summary[f"baseline_{name}"])
    assert [m.step for m in client.get_metric_history(summary["run_id"], "val_macro_f1")] == [1]
    assert {"confusion_matrix.png", "training_history.png"} <= artifacts(cfg, summary["run_id"])
    assert leftovers(cfg.dl.petastorm_cache_dir) == [] and leftovers(cfg.dl.checkpoint_dir) == []


@pytest.fixture(scope="module")
def scored(trained, spark, demo_shop):
    cfg, _ = trained
    lake = open_lake(spark, cfg)
    reviews = hash_sample(demo_shop["lake"].read("silver.reviews"), "review_id", 120, seed=1)
    empty = reviews.limit(3).select(F.concat(F.lit("empty-"), "review_id").alias("review_id"), "product_id", "user_id",
                                    "rating", F.lit(None).cast("string").alias("title"), F.lit(" ").alias("text"),
                                    "review_time")
    lake.overwrite(reviews.select(*REVIEWS.schema.fieldNames()).unionByName(empty), "silver.reviews")
    return cfg, lake, run_score_reviews(open_lake(spark, cfg), cfg)


def test_every_review_with_text_is_scored_and_empty_ones_are_reported(scored):
    cfg, lake, summary = scored
    sentiment = lake.read(REVIEW_SENTIMENT)
    expected = lake.read("silver.reviews").where(F.length(F.trim(F.coalesce("title", F.lit("")))) +
                                                 F.length(F.trim(F.coalesce("text", F.lit("")))) > 0).count()
    assert summary["reviews_scored"] == sentiment.count() == expected
    assert sentiment.where(F.col("review_id").startswith("empty-")).count() == 0
    assert summary["skipped"]["empty_text"] >= 3
    rows = sentiment.collect()
    probs = np.array([[r.p_negative, r.p_neutral, r.p_positive] for r in rows])
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert np.allclose([r.score for r in rows], probs[:, 2] - probs[:, 0], atol=1e-5)
    assert [r.sentiment for r in rows] == [("negative", "neutral", "positive")[i] for i in probs.argmax(axis=1)]
    assert {r.model for r in rows} == {f"{cfg.dl.text_registered_model}/1"}


def test_executor_scores_equal_the_model_run_on_the_driver(scored):
    cfg, lake, _ = scored
    model, _ = load_registered_model(cfg.mlflow, cfg.dl.text_registered_model)
    sample = (lake.read("silver.reviews").join(lake.read(REVIEW_SENTIMENT).select("review_id", "p_positive", "p_negative"),
                                               "review_id").orderBy("review_id").limit(5).collect())
    tokenizer = load_tokenizer(model.tokenizer_json, model.max_seq_len)
    texts = [". ".join(p.strip() for p in (r.title, r.text) if p and p.strip()) for r in sample]
    encodings = tokenizer.encode_batch(texts)
    with torch.no_grad():
        probs = torch.softmax(model.eval()(torch.tensor([e.ids for e in encodings]),
                                           torch.tensor([e.attention_mask for e in encodings])), dim=-1).numpy()
    assert np.allclose(probs[:, 2], [r.p_positive for r in sample], atol=1e-4)
    assert np.allclose(probs[:, 0], [r.p_negative for r in sample], atol=1e-4)


def test_product_sentiment_aggregates_the_review_scores(scored):
    _, lake, summary = scored
    products = lake.read(PRODUCT_SENTIMENT)
    sentiment = lake.read(REVIEW_SENTIMENT)
    assert products.agg(F.sum("reviews")).first()[0] == summary["reviews_scored"]
    assert products.count() == summary["products"] == sentiment.select("product_id").distinct().count()
    busiest = products.orderBy(F.desc("reviews"), "product_id").first()
    own = sentiment.where(F.col("product_id") == busiest.product_id).collect()
    assert busiest.share_negative == pytest.approx(np.mean([r.sentiment == "negative" for r in own]))
    assert busiest.mean_score == pytest.approx(np.mean([r.score for r in own]), abs=1e-6)


def test_the_report_shows_the_scoring_model_beside_its_baseline(trained, scored):
    cfg, training = trained
    _, lake, _ = scored
    table = sentiment(Inputs(lake), cfg).tables[0]
    assert table.columns == ["held-out test split", f"{cfg.dl.text_registered_model}/1", "tfidf_logreg", "margin"]
    assert table.rows[0] == ["macro-F1", f"{training['test_macro_f1']:.4f}", f"{training['baseline_test_macro_f1']:.4f}",
                             f"{training['test_macro_f1'] - training['baseline_test_macro_f1']:+.4f}"]
    assert [row[0] for row in table.rows] == ["macro-F1", "AUC, positive vs negative", "accuracy"]
