"""Train the product-image ResNet on Fashion-MNIST in the lake (silver.fashion_mnist), report test accuracy, log and register it in MLflow."""
from __future__ import annotations

import sys

from shoplake.dl.options import with_dl_options
from shoplake.dl.runs import run_train_image_model
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    parser.add_argument("--epochs", type=int, help="training epochs (default: dl.image_epochs)")
    parser.add_argument("--train-rows", type=int, help="training images to use, 0 for all (default: dl.image_train_rows)")
    parser.add_argument("--test-rows", type=int, help="held-out test images, 0 for all (default: dl.image_test_rows)")
    parser.add_argument("--arch", help="resnet-tiny, resnet-small or resnet18 (default: dl.image_arch)")
    parser.add_argument("--pretrained", help="a saved ResNet state dict to start from (default: dl.pretrained_resnet_path)")
    parser.add_argument("--fresh", action="store_true", help="ignore checkpoints of an interrupted run and start over")
    parser.add_argument("--reload", action="store_true", help="rewrite silver.fashion_mnist from the dataset")


def main(ctx: JobContext) -> None:
    args = ctx.args
    settings = with_dl_options(ctx.settings, image_epochs=args.epochs, image_train_rows=args.train_rows,
                               image_test_rows=args.test_rows, image_arch=args.arch, pretrained_resnet_path=args.pretrained)
    run_train_image_model(ctx.spark, settings, reload=args.reload, fresh=args.fresh)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
