"""Review sentiment end to end: train on labelled reviews, score a reviews table, aggregate per product."""
from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np
import pandas as pd
import torch
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import FloatType, StringType, StructField, StructType

from shoplake.config import Settings
from shoplake.config.settings import DlSettings
from shoplake.dl.baselines import tfidf_logreg
from shoplake.dl.classifier import ClassifierTask, FittedClassifier, fit_classifier
from shoplake.dl.inference import map_model
from shoplake.dl.metrics import auc_between
from shoplake.dl.skips import skip_counts, split_skipped
from shoplake.dl.sampling import hash_sample, split_column
from shoplake.dl.text.data import NEGATIVE, POSITIVE, SENTIMENTS, with_review_text
from shoplake.dl.text.model import SentimentModel, from_spec, pretrained_sentiment_model
from shoplake.dl.text.tokenizer import tokenized
from shoplake.dl.text.weights import minilm_folder

FAMILY = "sentiment"
TOKENS = ("input_ids", "attention_mask")
LENGTH = "tokens"  # a review's token count: scoring batches reviews of similar length (the model trims the padding)
SCORES = StructType([
    StructField("review_id", StringType()),
    StructField("product_id", StringType()),
    StructField("sentiment", StringType()),
    *(StructField(f"p_{name}", FloatType()) for name in SENTIMENTS),
    StructField("score", FloatType()),
])


def with_tokens(df: DataFrame, text_col: str, tokenizer_json: str, max_len: int) -> DataFrame:
    """``df`` with ``input_ids`` and ``attention_mask`` of ``text_col`` (tokenised on the executors)."""
    encoded = tokenized(text_col, tokenizer_json, max_len)
    return df.withColumn("_encoded", encoded).select("*", *(F.col(f"_encoded.{c}").alias(c) for c in TOKENS)).drop("_encoded")


def sentiment_metrics(labels: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """The positive-vs-negative AUC (neutral reviews left out)."""
    return {"auc_pos_neg": auc_between(labels, probs, NEGATIVE, POSITIVE)}


def train_sentiment(reviews: DataFrame, settings: Settings, table_versions: Mapping[str, int],
                    fresh: bool = False) -> FittedClassifier:
    """Fine-tune MiniLM on ``reviews`` (``review_id``, ``rating``, ``title``, ``text``) and log the run.

    Reviews without text or a 1-5 rating are skipped and reported; the test split (a hash of the
    review id) is never trained on.
    """
    dl = settings.dl
    prepared = with_review_text(hash_sample(reviews, "review_id", dl.text_rows, dl.seed), require_rating=True)
    torch.manual_seed(dl.seed)  # the new head's initial weights
    model = pretrained_sentiment_model(minilm_folder(settings.paths.cache), dl.text_max_seq_len, dl.text_encoder_layers)
    usable, _ = split_skipped(prepared)
    split = split_column(F.col("review_id"), dl.text_test_fraction, dl.validation_fraction, dl.seed)
    data = with_tokens(usable.withColumn("split", split), "review_text", model.tokenizer_json, dl.text_max_seq_len)
    data = data.select("split", "label", "review_text", *TOKENS).cache()
    task = ClassifierTask(
        family=FAMILY, class_names=SENTIMENTS, inputs=TOKENS, batch_size=dl.text_batch_size, epochs=dl.text_epochs,
        lr=dl.text_lr, registered_model=dl.text_registered_model, balance_classes=True,
        baseline=tfidf_logreg("review_text"), beat=("test_macro_f1",),
        floors={"test_auc_pos_neg": dl.text_min_auc, "test_macro_f1": dl.text_min_macro_f1},
        test_metrics=sentiment_metrics, length_mask="attention_mask", length_pool=dl.text_length_pool,
        params={"encoder": "all-MiniLM-L6-v2", "encoder_layers": model.encoder.config.num_hidden_layers,
                "max_seq_len": dl.text_max_seq_len, "rows": dl.text_rows, "test_fraction": dl.text_test_fraction,
                "validation_fraction": dl.validation_fraction, "length_pool": dl.text_length_pool},
    )
    try:
        splits = {name: data.where(F.col("split") == name) for name in ("train", "validation", "test")}
        fitted = fit_classifier(model, splits, task, settings, table_versions, skipped=skip_counts(prepared),
                                fresh=fresh)
    finally:
        data.unpersist()
    return fitted


def _score_batch(model: SentimentModel, rows: pd.DataFrame, device: torch.device) -> pd.DataFrame:
    ids = torch.as_tensor(np.stack(rows["input_ids"].to_numpy()), device=device)
    mask = torch.as_tensor(np.stack(rows["attention_mask"].to_numpy()), device=device)
    probs = torch.softmax(model(ids, mask).float(), dim=-1).cpu().numpy()
    out = pd.DataFrame({"review_id": rows["review_id"].to_numpy(), "product_id": rows["product_id"].to_numpy(),
                        "sentiment": np.asarray(SENTIMENTS)[probs.argmax(axis=1)]})
    for index, name in enumerate(SENTIMENTS):
        out[f"p_{name}"] = probs[:, index]
    out["score"] = probs[:, POSITIVE] - probs[:, NEGATIVE]
    return out


def score_reviews(reviews: DataFrame, model: SentimentModel, dl: DlSettings) -> tuple[DataFrame, DataFrame]:
    """Scores of every review with a text (``sentiment``, ``p_*``, ``score`` = P(positive) − P(negative)),
    computed on the executors, and the reviews skipped (with ``skip_reason``)."""
    usable, skipped = split_skipped(with_review_text(reviews))
    tokens = with_tokens(usable.select("review_id", "product_id", "review_text"), "review_text",
                         model.tokenizer_json, model.max_seq_len).drop("review_text")
    tokens = tokens.withColumn(LENGTH, F.aggregate("attention_mask", F.lit(0), lambda total, x: total + x))
    scored = map_model(tokens, partial(from_spec, model.spec()), model, _score_batch, SCORES,
                       dl.inference_batch_size, dl.device, sort_by=LENGTH)
    return scored, skipped.select("review_id", "product_id", "skip_reason")


def product_sentiment(scored: DataFrame) -> DataFrame:
    """Per product: ``reviews`` scored, ``share_negative``, ``share_positive`` and ``mean_score``."""
    return scored.groupBy("product_id").agg(
        F.count("*").alias("reviews"),
        F.avg((F.col("sentiment") == "negative").cast("double")).alias("share_negative"),
        F.avg((F.col("sentiment") == "positive").cast("double")).alias("share_positive"),
        F.avg("score").alias("mean_score"),
    )
