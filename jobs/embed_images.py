"""Embed every product image in silver.products with the registered ResNet (gold.item_embeddings) and write each product's most similar products by cosine (gold.visually_similar_items)."""
from __future__ import annotations

import sys

from shoplake.runner import ConfigFlag, Job, run_job
from shoplake.steps.deep_learning import embed_images_step


def add_arguments(parser):
    parser.add_argument("--model-version", help="registered version to use (default: the latest)")


FLAGS = (ConfigFlag("--registered-model", ("dl.image_registered_model",), help="MLflow registered model name"),)
JOB = Job("embed_images", embed_images_step, __doc__, add_arguments, FLAGS)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
