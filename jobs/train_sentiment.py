"""Fine-tune the MiniLM review-sentiment model on the clothing reviews in the lake (silver.clothing_reviews), report held-out metrics, log and register it in MLflow."""
from __future__ import annotations

import sys

from shoplake.runner import ConfigFlag, Job, run_job
from shoplake.steps.deep_learning import train_sentiment_step



def add_arguments(parser):
    parser.add_argument("--fresh", action="store_true", help="ignore checkpoints of an interrupted run and start over")
    parser.add_argument("--reload", action="store_true", help="rewrite silver.clothing_reviews from the dataset")


FLAGS = (ConfigFlag("--epochs", ("dl.text_epochs",), int, help="training epochs"),
         ConfigFlag("--rows", ("dl.text_rows",), int, help="reviews to use before the split, 0 for all"),
         ConfigFlag("--max-seq-len", ("dl.text_max_seq_len",), int, help="tokens per review"),
         ConfigFlag("--encoder-layers", ("dl.text_encoder_layers",), int, help="MiniLM layers to keep, 0 for all 6"))

JOB = Job("train_sentiment", train_sentiment_step, __doc__, add_arguments, FLAGS)

if __name__ == "__main__":
    sys.exit(run_job(JOB))
