"""Fine-tune the MiniLM review-sentiment model on the clothing reviews in the lake (silver.clothing_reviews), report held-out metrics, log and register it in MLflow."""
from __future__ import annotations

import sys

from shoplake.dl.options import with_dl_options
from shoplake.dl.runs import run_train_sentiment
from shoplake.runner import JobContext, run_job


def add_arguments(parser):
    parser.add_argument("--epochs", type=int, help="training epochs (default: dl.text_epochs)")
    parser.add_argument("--rows", type=int, help="reviews to use before the split, 0 for all (default: dl.text_rows)")
    parser.add_argument("--max-seq-len", type=int, help="tokens per review (default: dl.text_max_seq_len)")
    parser.add_argument("--encoder-layers", type=int, help="MiniLM layers to keep, 0 for all 6 (default: dl.text_encoder_layers)")
    parser.add_argument("--fresh", action="store_true", help="ignore checkpoints of an interrupted run and start over")
    parser.add_argument("--reload", action="store_true", help="rewrite silver.clothing_reviews from the dataset")


def main(ctx: JobContext) -> None:
    args = ctx.args
    settings = with_dl_options(ctx.settings, text_epochs=args.epochs, text_rows=args.rows,
                               text_max_seq_len=args.max_seq_len, text_encoder_layers=args.encoder_layers)
    run_train_sentiment(ctx.spark, settings, reload=args.reload, fresh=args.fresh)


if __name__ == "__main__":
    sys.exit(run_job(main, __doc__, add_arguments))
