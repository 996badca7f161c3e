"""Train the product-image ResNet on labelled images (Fashion-MNIST in the lake) and log the run."""
from __future__ import annotations

from collections.abc import Mapping

import torch
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.config import Settings
from shoplake.config.settings import DlSettings
from shoplake.datasets.fashion_mnist import CLASSES
from shoplake.dl.baselines import pixel_logreg
from shoplake.dl.classifier import ClassifierTask, FittedClassifier, fit_classifier
from shoplake.dl.petastorm_bridge import Batch
from shoplake.dl.skips import skip_counts, split_skipped
from shoplake.dl.sampling import hash_sample, split_column
from shoplake.dl.vision.images import with_pixels
from shoplake.dl.vision.resnet import ResNet, load_pretrained

FAMILY = "images"


def random_flip(batch: Batch) -> Batch:
    """Mirror about half the images left to right (training augmentation, on the batch's device)."""
    pixels = batch["pixels"]
    side = int(pixels.shape[1] ** 0.5)
    images = pixels.view(-1, side, side)
    flip = torch.rand(len(images), device=images.device) < 0.5
    mirrored = torch.where(flip[:, None, None], images.flip(-1), images)
    return {**batch, "pixels": mirrored.reshape(pixels.shape)}


def build_resnet(dl: DlSettings, classes: int = len(CLASSES)) -> ResNet:
    """The configured ResNet, with the pretrained weights of ``dl.pretrained_resnet_path`` when given."""
    model = ResNet(dl.image_arch, num_classes=classes, image_size=dl.image_size)
    if dl.pretrained_resnet_path:
        load_pretrained(model, dl.pretrained_resnet_path)
    return model


def train_image_model(images: DataFrame, settings: Settings, table_versions: Mapping[str, int],
                      fresh: bool = False) -> FittedClassifier:
    """Train on ``images`` (``image_id``, ``label``, ``split`` of train/test, ``image`` bytes); log the run.

    The ``test`` rows are held out; a validation share of the ``train`` rows (by a hash of the id)
    is scored each epoch. Undecodable and wrongly sized images are skipped and reported.
    """
    dl = settings.dl
    train_rows = hash_sample(images.where(F.col("split") == "train"), "image_id", dl.image_train_rows, dl.seed)
    test_rows = hash_sample(images.where(F.col("split") == "test"), "image_id", dl.image_test_rows, dl.seed)
    validation = split_column(F.col("image_id"), 0.0, dl.validation_fraction, dl.seed)
    rows = train_rows.withColumn("split", validation).unionByName(test_rows)
    prepared = with_pixels(rows.select("image_id", "label", "split", "image"), "image", dl.image_size).cache()
    usable, _ = split_skipped(prepared)
    data = usable.select("split", "label", "pixels")
    torch.manual_seed(dl.seed)
    model = build_resnet(dl)
    task = ClassifierTask(
        family=FAMILY, class_names=CLASSES, inputs=("pixels",), batch_size=dl.image_batch_size, epochs=dl.image_epochs,
        lr=dl.image_lr, registered_model=dl.image_registered_model, baseline=pixel_logreg("pixels"),
        beat=("test_accuracy",), floors={"test_accuracy": dl.image_min_accuracy}, weight_decay=5e-4, augment=random_flip,
        params={"arch": dl.image_arch, "image_size": dl.image_size, "train_rows": dl.image_train_rows,
                "test_rows": dl.image_test_rows, "pretrained": dl.pretrained_resnet_path or "none",
                "validation_fraction": dl.validation_fraction},
    )
    try:
        splits = {name: data.where(F.col("split") == name) for name in ("train", "validation", "test")}
        return fit_classifier(model, splits, task, settings, table_versions, skipped=skip_counts(prepared), fresh=fresh)
    finally:
        prepared.unpersist()
