"""Embed every product image in silver.products with the registered ResNet (gold.item_embeddings) and write each product's most similar products by cosine (gold.visually_similar_items)."""
from __future__ import annotations

import sys

from shoplake.dl.options import add_model_arguments
from shoplake.dl.runs import READS, run_embed_images
from shoplake.lake import open_lake
from shoplake.quality import require_passing
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    add_model_arguments(parser, "image_registered_model")


def main(ctx: JobContext) -> None:
    require_passing(open_lake(ctx.spark, ctx.settings), ctx.settings, READS["embed_images"])  # no scoring of failed data
    run_embed_images(ctx.spark, ctx.settings, ctx.args.registered_model, ctx.args.model_version)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
