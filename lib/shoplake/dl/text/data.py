"""Reviews → labelled model inputs: sentiment labels from ratings and the text a model reads.

Labels: ratings 4-5 positive, 3 neutral, 1-2 negative. The text is the title and the review
joined; a review with neither (or, for training, without a 1-5 rating) gets a ``skip_reason``.
"""
from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from shoplake.dl.skips import SKIP_REASON

SENTIMENTS = ("negative", "neutral", "positive")
NEGATIVE, NEUTRAL, POSITIVE = range(3)


def sentiment_label(rating: Column) -> Column:
    """0 (negative) for ratings 1-2, 1 (neutral) for 3, 2 (positive) for 4-5; null otherwise."""
    return (F.when(rating.isin(1, 2), F.lit(NEGATIVE)).when(rating == 3, F.lit(NEUTRAL))
            .when(rating.isin(4, 5), F.lit(POSITIVE)).cast("int"))


def review_text(title: Column, text: Column) -> Column:
    """Title and text joined with ``". "`` (blank parts left out); null when both are blank."""
    parts = [F.when(F.length(F.trim(c)) > 0, F.trim(c)) for c in (title, text)]
    joined = F.concat_ws(". ", *parts)
    return F.when(F.length(joined) > 0, joined)


def with_review_text(reviews: DataFrame, require_rating: bool = False) -> DataFrame:
    """``reviews`` with ``review_text``, ``label`` and ``skip_reason`` (``empty_text``, ``bad_rating``)."""
    out = reviews.withColumn("review_text", review_text(F.col("title"), F.col("text")))
    out = out.withColumn("label", sentiment_label(F.col("rating")))
    reason = F.when(F.col("review_text").isNull(), F.lit("empty_text"))
    if require_rating:
        reason = reason.when(F.col("label").isNull(), F.lit("bad_rating"))
    return out.withColumn(SKIP_REASON, reason)
