"""Train the product-image ResNet on Fashion-MNIST in the lake (silver.fashion_mnist), report test accuracy, log and register it in MLflow."""
from __future__ import annotations

import sys

from shoplake.runner import ConfigFlag, Job, run_job
from shoplake.steps.deep_learning import train_image_model_step



def add_arguments(parser):
    parser.add_argument("--fresh", action="store_true", help="ignore checkpoints of an interrupted run and start over")
    parser.add_argument("--reload", action="store_true", help="rewrite silver.fashion_mnist from the dataset")


FLAGS = (ConfigFlag("--epochs", ("dl.image_epochs",), int, help="training epochs"),
         ConfigFlag("--train-rows", ("dl.image_train_rows",), int, help="training images to use, 0 for all"),
         ConfigFlag("--test-rows", ("dl.image_test_rows",), int, help="held-out test images, 0 for all"),
         ConfigFlag("--arch", ("dl.image_arch",), help="resnet-tiny, resnet-small or resnet18"),
         ConfigFlag("--pretrained", ("dl.pretrained_resnet_path",), help="a saved ResNet state dict to start from"))

JOB = Job("train_image_model", train_image_model_step, __doc__, add_arguments, FLAGS)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
