"""Embed every product image in silver.products with the registered ResNet (gold.item_embeddings) and write each product's most similar products by cosine (gold.visually_similar_items)."""
from __future__ import annotations

import sys

from shoplake.dl.options import add_model_arguments
from shoplake.dl.runs import run_embed_images
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    add_model_arguments(parser, "image_registered_model")


def main(ctx: JobContext) -> None:
    run_embed_images(ctx.spark, ctx.settings, ctx.args.registered_model, ctx.args.model_version)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
