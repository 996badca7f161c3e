"""train_image_model and embed_images end to end: Fashion-MNIST in a lake → petastorm → ResNet → MLflow → embeddings."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from pyspark.sql import functions as F

from shoplake.datasets import fashion_mnist
from shoplake.datasets.fetch import FetchError, fetch
from shoplake.datasets.png import encode_gray
from shoplake.dl.lake_datasets import FASHION_MNIST, FASHION_MNIST_SCHEMA
from shoplake.catalog import GOLD_ITEM_EMBEDDINGS as ITEM_EMBEDDINGS, GOLD_VISUALLY_SIMILAR_ITEMS as SIMILAR_BY_IMAGE
from shoplake.dl.on_lake import run_embed_images, run_train_image_model
from shoplake.dl.vision.images import decode_image
from shoplake.dl.vision.resnet import ARCHITECTURES
from shoplake.lake import open_lake
from shoplake.tracking import NoRegisteredModel
from tests.integration.dl_support import artifacts, isolated_settings, leftovers
from tests.support.processes import ROOT

pytestmark = pytest.mark.slow
TRAIN, TEST = 700, 200


def small_fashion_mnist(cache: str) -> pd.DataFrame:
    """The first 700 training and 200 test images, plus one undecodable and one wrongly sized training image."""
    try:
        images, labels = fashion_mnist.load(fetch("fashion-mnist", cache))
    except FetchError as exc:
        pytest.skip(reason=f"Fashion-MNIST cannot be fetched here: {exc}")
    picked = list(range(TRAIN)) + list(range(60_000, 60_000 + TEST))
    frame = pd.DataFrame({
        "image_id": [f"fm{i:05d}" for i in picked],
        "label": labels[picked].astype("int32"),
        "category": [fashion_mnist.CLASSES[labels[i]] for i in picked],
        "split": ["train" if i < 60_000 else "test" for i in picked],
        "image": [encode_gray(images[i]) for i in picked],
    })
    bad = pd.DataFrame({"image_id": ["bad-bytes", "bad-size"], "label": np.int32([0, 1]), "category": ["T-shirt/top", "Trouser"],
                        "split": ["train", "train"], "image": [b"\x89PNG broken", encode_gray(images[0][:20, :20].copy())]})
    return pd.concat([frame, bad], ignore_index=True)


@pytest.fixture(scope="module")
def trained(spark, settings, tmp_path_factory):
    cfg = isolated_settings(settings, tmp_path_factory.mktemp("dl-images"), image_epochs=2, image_train_rows=0,
                            image_test_rows=0)
    lake = open_lake(spark, cfg)
    lake.overwrite(spark.createDataFrame(small_fashion_mnist(cfg.paths.cache), FASHION_MNIST_SCHEMA), FASHION_MNIST)
    return cfg, run_train_image_model(open_lake(spark, cfg), cfg)


def test_the_resnet_learns_from_lake_images_and_is_registered_with_its_run(trained):
    cfg, summary = trained
    assert summary["test_accuracy"] > 0.3  # ten balanced classes: chance is 0.1
    assert summary["model_version"] == "1" and summary["resumed_after_epoch"] == 0
    client = MlflowClient(cfg.mlflow.tracking_uri)
    run = client.get_run(summary["run_id"])
    assert run.data.params["arch"] == cfg.dl.image_arch and run.data.params["epochs"] == "2"
    assert run.data.params[f"table.{FASHION_MNIST}.version"] == "0"
    assert run.data.metrics["train_rows"] + run.data.metrics["validation_rows"] == TRAIN
    assert run.data.metrics["test_rows"] == TEST
    assert (run.data.tags["passes_gate"], run.data.tags["gate"]) == ("true", "passed")  # conf/test.yaml: gate off
    assert run.data.params["baseline"] == "pixel_logreg"
    assert 0.3 < run.data.metrics["baseline_test_accuracy"] == summary["baseline_test_accuracy"] <= 1.0
    assert run.data.metrics["margin_test_accuracy"] == pytest.approx(
        summary["test_accuracy"] - summary["baseline_test_accuracy"])
    history = client.get_metric_history(summary["run_id"], "train_loss")
    assert [m.step for m in history] == [1, 2] and history[1].value < history[0].value
    assert [m.step for m in client.get_metric_history(summary["run_id"], "val_accuracy")] == [1, 2]
    assert {"confusion_matrix.png", "training_history.png", "skipped/images_training_rows.json"} <= artifacts(cfg, summary["run_id"])


def test_bad_images_are_counted_and_skipped_without_stopping_training(trained):
    cfg, summary = trained
    metrics = MlflowClient(cfg.mlflow.tracking_uri).get_run(summary["run_id"]).data.metrics
    assert metrics["skipped_undecodable_image"] == 1 and metrics["skipped_wrong_image_size"] == 1


def test_the_logged_model_has_a_signature_and_predicts_from_pixels(trained, spark):
    cfg, summary = trained
    uri = f"models:/{cfg.dl.image_registered_model}/{summary['model_version']}"
    mlflow.set_tracking_uri(cfg.mlflow.tracking_uri)
    signature = mlflow.models.get_model_info(uri).signature
    assert signature.inputs.inputs[0].shape == (-1, 28 * 28)
    assert signature.outputs.inputs[0].shape == (-1, 10)
    rows = open_lake(spark, cfg).read(FASHION_MNIST).where(F.col("split") == "test").limit(20).collect()
    pixels = np.stack([decode_image(r.image, 28)[0] for r in rows])
    logits = mlflow.pyfunc.load_model(uri).predict(pixels)
    assert logits.shape == (20, 10)


def test_training_cleans_up_its_petastorm_cache_and_checkpoints(trained):
    cfg, _ = trained
    assert leftovers(cfg.dl.petastorm_cache_dir) == []
    assert leftovers(cfg.dl.checkpoint_dir) == []


@pytest.fixture(scope="module")
def embedded(trained, spark, demo_shop):
    cfg, _ = trained
    lake = open_lake(spark, cfg)
    products = demo_shop["lake"].read("silver.products")
    broken = spark.createDataFrame([("broken-image", b"\x00\x01"), ("no-image", None)], "product_id string, image binary")
    broken = broken.select("product_id", F.lit("Dress").alias("category"), "image")
    lake.overwrite(products.unionByName(broken, allowMissingColumns=True), "silver.products")
    return cfg, lake, products.count(), run_embed_images(open_lake(spark, cfg), cfg)


def test_every_product_with_a_good_image_gets_one_embedding(embedded):
    cfg, lake, products, summary = embedded
    embeddings = lake.read(ITEM_EMBEDDINGS)
    assert summary["products_embedded"] == embeddings.count() == products
    assert embeddings.select("product_id").distinct().count() == products
    width = ARCHITECTURES[cfg.dl.image_arch].widths[-1]
    assert {len(r.embedding) for r in embeddings.select("embedding").limit(20).collect()} == {width}
    assert summary["skipped"] == {"undecodable_image": 1, "missing_image": 1}
    assert {r.model for r in embeddings.select("model").distinct().collect()} == {f"{cfg.dl.image_registered_model}/1"}


def test_similar_items_are_the_exact_cosine_top_k(embedded):
    cfg, lake, products, summary = embedded
    k = cfg.dl.similar_k
    similar = lake.read(SIMILAR_BY_IMAGE)
    assert similar.count() == products * k
    assert similar.where(F.col("product_id") == F.col("similar_product_id")).count() == 0
    vectors = {r.product_id: np.asarray(r.embedding) for r in lake.read(ITEM_EMBEDDINGS).collect()}
    ids = sorted(vectors)
    matrix = np.stack([vectors[i] for i in ids])
    matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    for query in ids[:3]:
        sims = matrix @ matrix[ids.index(query)]
        sims[ids.index(query)] = -np.inf
        expected = sims[np.argsort(-sims)[:k]]
        found = similar.where(F.col("product_id") == query).orderBy("rank").collect()
        assert [r.rank for r in found] == list(range(1, k + 1))
        assert np.allclose([r.similarity for r in found], expected, atol=1e-5)


def test_same_category_precision_is_reported_and_beats_chance(embedded):
    cfg, _, _, summary = embedded
    precision = summary[f"similar_precision_at_{cfg.dl.similar_k}"]
    assert 0.2 < precision <= 1.0  # ten categories: a random neighbour is right about 0.1 of the time
    runs = MlflowClient(cfg.mlflow.tracking_uri).search_runs(
        [MlflowClient(cfg.mlflow.tracking_uri).get_experiment_by_name(f"{cfg.mlflow.experiment_prefix}-images").experiment_id],
        "attributes.run_name = 'embed_images'")
    assert runs[0].data.metrics[f"similar_precision_at_{cfg.dl.similar_k}"] == pytest.approx(precision)


def test_a_model_that_loses_to_its_baseline_is_not_registered_and_scoring_says_why(spark, settings, tmp_path):
    cfg = isolated_settings(settings, tmp_path, beat_baseline=True, image_lr=1e-7, image_epochs=1,
                            image_train_rows=0, image_test_rows=0)  # a learning rate too small to learn anything
    lake = open_lake(spark, cfg)
    lake.overwrite(spark.createDataFrame(small_fashion_mnist(cfg.paths.cache), FASHION_MNIST_SCHEMA), FASHION_MNIST)
    summary = run_train_image_model(open_lake(spark, cfg), cfg)
    assert summary["model_version"] is None
    assert summary["test_accuracy"] < summary["baseline_test_accuracy"]
    assert summary["gate"] == (f"test_accuracy {summary['test_accuracy']:.4f} does not beat the baseline's "
                               f"{summary['baseline_test_accuracy']:.4f}")
    client = MlflowClient(cfg.mlflow.tracking_uri)
    assert (client.get_run(summary["run_id"]).data.tags["passes_gate"], client.search_registered_models()) == ("false", [])
    with pytest.raises(NoRegisteredModel, match=f"latest train_images run \\({summary['run_id']}\\) was not registered: "
                                                "test_accuracy .* does not beat the baseline's"):
        run_embed_images(open_lake(spark, cfg), cfg)


def test_a_training_job_killed_after_an_epoch_resumes_from_its_checkpoint(spark, settings, tmp_path):
    root = tmp_path / "killed"
    cfg = isolated_settings(settings, root, image_epochs=3, image_train_rows=0, image_test_rows=0)
    lake = open_lake(spark, cfg)
    lake.overwrite(spark.createDataFrame(small_fashion_mnist(cfg.paths.cache), FASHION_MNIST_SCHEMA), FASHION_MNIST)
    env = dict(os.environ, SHOPLAKE__LAKE__ROOT=cfg.lake.root, SHOPLAKE__MLFLOW__TRACKING_URI=cfg.mlflow.tracking_uri,
               SHOPLAKE__MLFLOW__ARTIFACT_ROOT=cfg.mlflow.artifact_root,
               SHOPLAKE__DL__PETASTORM_CACHE_DIR=cfg.dl.petastorm_cache_dir,
               SHOPLAKE__DL__CHECKPOINT_DIR=cfg.dl.checkpoint_dir)
    job = subprocess.Popen([sys.executable, "-m", "shoplake.cli", "run", "train_image_model", "--env", "test",
                            "--epochs", "3", "--train-rows", "0", "--test-rows", "0"], env=env, cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while not list(Path(cfg.dl.checkpoint_dir).glob("images-*/last.safetensors")) and job.poll() is None:
            assert time.monotonic() < deadline, "no checkpoint was written"
            time.sleep(0.5)
    finally:
        os.killpg(job.pid, signal.SIGKILL)
        job.wait()
    assert job.returncode == -signal.SIGKILL, "the job ended before it could be killed"
    summary = run_train_image_model(open_lake(spark, cfg), cfg)
    assert summary["resumed_after_epoch"] >= 1
    history = MlflowClient(cfg.mlflow.tracking_uri).get_metric_history(summary["run_id"], "train_loss")
    assert [m.step for m in history] == [1, 2, 3]
    assert leftovers(cfg.dl.checkpoint_dir) == []
