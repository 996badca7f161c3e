"""Review texts and labels, tokenisation in Spark, and the MiniLM encoder with its real weights."""
from __future__ import annotations

import pytest
import torch
from pyspark.sql import Row
from pyspark.sql import functions as F

from shoplake.datasets.fetch import FetchError
from shoplake.dl.skips import skip_counts, split_skipped
from shoplake.dl.text.data import sentiment_label, with_review_text
from shoplake.dl.text.encoder import mean_pool
from shoplake.dl.text.model import pretrained_sentiment_model
from shoplake.dl.text.tokenizer import load_tokenizer
from shoplake.dl.text.weights import minilm_folder


@pytest.fixture(scope="module")
def minilm(settings):
    try:
        return minilm_folder(settings.paths.cache)
    except FetchError as exc:
        pytest.skip(reason=f"the MiniLM weights cannot be fetched here: {exc}")


def test_labels_from_ratings(spark):
    df = spark.createDataFrame([(r,) for r in (1, 2, 3, 4, 5, 0, 6, None)], "rating int")
    labels = [row.label for row in df.select(sentiment_label(F.col("rating")).alias("label")).collect()]
    assert labels == [0, 0, 1, 2, 2, None, None, None]


def test_the_text_joins_title_and_review_and_empty_ones_are_skipped(spark):
    reviews = spark.createDataFrame([
        Row(review_id="a", title="Lovely", text="Fits well.", rating=5),
        Row(review_id="b", title=None, text="  Runs small ", rating=2),
        Row(review_id="c", title="Meh", text="   ", rating=3),
        Row(review_id="d", title=" ", text=None, rating=4),
        Row(review_id="e", title=None, text="", rating=1),
        Row(review_id="f", title="No stars", text="text", rating=None),
    ], "review_id string, title string, text string, rating int")
    prepared = with_review_text(reviews, require_rating=True)
    rows = {r.review_id: r for r in prepared.collect()}
    assert rows["a"].review_text == "Lovely. Fits well." and rows["a"].label == 2
    assert rows["b"].review_text == "Runs small" and rows["b"].label == 0
    assert rows["c"].review_text == "Meh"
    assert (rows["d"].skip_reason, rows["e"].skip_reason, rows["f"].skip_reason) == ("empty_text", "empty_text", "bad_rating")
    assert skip_counts(prepared) == {"empty_text": 2, "bad_rating": 1}
    usable, skipped = split_skipped(prepared)
    assert sorted(r.review_id for r in usable.collect()) == ["a", "b", "c"]
    assert "skip_reason" not in usable.columns and skipped.count() == 3
    scoring = with_review_text(reviews)  # scoring needs no rating
    assert skip_counts(scoring) == {"empty_text": 2}


def test_tokenisation_in_spark_matches_the_tokenizer(spark, minilm):
    from shoplake.dl.text.sentiment import with_tokens

    tokenizer_json = (minilm / "tokenizer.json").read_text()
    texts = ["This dress is gorgeous!", "Way too small in the shoulders, returned it. " * 5, ""]
    df = spark.createDataFrame([(t,) for t in texts], "review_text string")
    rows = with_tokens(df, "review_text", tokenizer_json, 16).collect()
    direct = load_tokenizer(tokenizer_json, 16)
    for row, text in zip(rows, texts):
        assert len(row.input_ids) == len(row.attention_mask) == 16
        assert row.input_ids == direct.encode(text).ids
    assert rows[0].input_ids[0] == 101 and 102 in rows[0].input_ids  # [CLS] ... [SEP]
    assert sum(rows[1].attention_mask) == 16 and rows[1].input_ids[-1] == 102  # truncated, still closed by [SEP]
    assert sum(rows[2].attention_mask) == 2  # [CLS] [SEP]


def _embed(model, texts, max_len=32, pad_to=None):
    tokenizer = load_tokenizer(model.tokenizer_json, pad_to or max_len)
    encodings = tokenizer.encode_batch(texts)
    ids = torch.tensor([e.ids for e in encodings])
    mask = torch.tensor([e.attention_mask for e in encodings])
    with torch.no_grad():
        return torch.nn.functional.normalize(mean_pool(model.encoder(ids, mask), mask), dim=-1)


def test_the_encoder_with_minilm_weights_embeds_meaning(minilm):
    model = pretrained_sentiment_model(minilm, 32).eval()
    vectors = _embed(model, ["This dress fits perfectly and looks lovely.", "I love how this dress fits, it is beautiful.",
                             "The stock market fell sharply today."])
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > 0.7
    assert similarity[0, 2] < 0.3


def test_padding_does_not_change_the_sentence_embedding(minilm):
    model = pretrained_sentiment_model(minilm, 64).eval()
    short = _embed(model, ["Runs small but the fabric is great."], pad_to=12)
    long = _embed(model, ["Runs small but the fabric is great."], pad_to=64)
    assert torch.allclose(short, long, atol=1e-5)
    ids = torch.tensor([load_tokenizer(model.tokenizer_json, 64).encode("Runs small").ids])
    with torch.no_grad():
        assert torch.allclose(model(ids), model(ids, (ids != 0).int()))


def test_fewer_layers_make_a_shallower_encoder(minilm):
    model = pretrained_sentiment_model(minilm, 32, layers=2)
    assert len(model.encoder.encoder.layer) == 2 == model.encoder.config.num_hidden_layers
    assert model.spec()["encoder"]["num_hidden_layers"] == 2
