"""Safe loading against a real MLflow store and the real dataset cache: a logged classifier holds no pickle and
loads back predicting the same, a model in the earlier pickle format is refused without being unpickled, and a
cached dataset file changed on disk is named and fetched again."""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import mlflow
import numpy as np
import pytest
import torch
from torch import nn

from shoplake.datasets.fetch import fetch, sha256_of
from shoplake.datasets.retail_series import to_item_sales
from shoplake.dl.classifier import load_registered_model, log_classifier
from shoplake.dl.saved_model import UnusableModel
from shoplake.dl.vision.resnet import ResNet
from shoplake import tracking
from tests.integration.dl_support import isolated_settings

pytestmark = pytest.mark.slow


class Tripwire(nn.Linear):
    """A model that leaves the file ``marker`` behind when it is unpickled."""

    marker: Path | None = None

    def __setstate__(self, state):
        Path(Tripwire.marker).touch()
        super().__setstate__(state)


@pytest.fixture
def store(settings, tmp_path):
    """Settings with an MLflow store of their own."""
    return isolated_settings(settings, tmp_path)


def test_a_logged_classifier_holds_no_pickle_and_loads_back_predicting_the_same(store):
    torch.manual_seed(0)
    model = ResNet("resnet-tiny", num_classes=10).eval()
    pixels = torch.rand(6, 28 * 28)
    with tracking.start_run(store.mlflow, "images"):
        uri = log_classifier(model, pixels[:4])
    assert tracking.register_model(uri, "safe-resnet") == "1"
    expected = model(pixels).detach()
    loaded, version = load_registered_model(store.mlflow, "safe-resnet")
    assert version == "1" and isinstance(loaded, ResNet) and not loaded.training
    assert torch.equal(loaded(pixels).detach(), expected)
    assert torch.equal(loaded.embed(pixels).detach(), model.embed(pixels).detach())  # what embed_images uses
    served = mlflow.pyfunc.load_model("models:/safe-resnet/1").predict(pixels.numpy())
    np.testing.assert_array_equal(served, expected.numpy())
    files = [p for p in Path(store.mlflow.artifact_root).rglob("*") if p.is_file()]
    assert any(p.name == "weights.safetensors" for p in files)
    assert not [p for p in files if p.suffix in (".pkl", ".pth", ".pt") or p.read_bytes()[:1] == b"\x80"]


def test_a_model_logged_as_a_pickle_is_refused_without_being_unpickled(store, tmp_path):
    Tripwire.marker = tmp_path / "unpickled"
    with tracking.start_run(store.mlflow, "images"):
        info = mlflow.pytorch.log_model(Tripwire(2, 2), name="model", serialization_format="pickle")
    tracking.register_model(info.model_uri, "pickled-model")
    with pytest.raises(UnusableModel, match="was not logged as safetensors weights .*train it again"):
        load_registered_model(store.mlflow, "pickled-model")
    assert not Tripwire.marker.exists()
    mlflow.pytorch.load_model("models:/pickled-model/1")  # what loading it used to do
    assert Tripwire.marker.exists()


def test_a_cached_dataset_file_changed_on_disk_is_named_and_fetched_again(settings, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(fetch("retail-series", settings.paths.cache), cache / "datasets" / "retail-series")
    tampered = cache / "datasets" / "retail-series" / "auscafe.parquet"
    original = sha256_of(tampered)
    tampered.write_bytes(tampered.read_bytes()[:-16] + b"\0" * 16)
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("shoplake.datasets.fetch")
    logger.addHandler(handler)
    try:
        folder = fetch("retail-series", cache)
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in records] == [
        f"retail-series: {tampered} does not match the sha256 recorded when it was cached: fetching it again"]
    assert sha256_of(folder / "auscafe.parquet") == original
    assert to_item_sales(folder).groupby("item_id").size().to_dict() == {
        "aus-cafes-restaurants": 426, "souvenir-shop-qld": 84, "antidiabetic-drugs-aus": 204}
