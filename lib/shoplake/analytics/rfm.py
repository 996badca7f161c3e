"""RFM: recency, frequency and monetary value per customer, each scored 1..levels by quantile.

Scores come from the value's mid-rank among approximate percentiles over all customers (computed
by Spark, a few numbers reach the driver): ``levels`` is the best score, so a recent purchase
scores high on recency and many orders or much money high on frequency and monetary value.
Tied values share a score.
"""
from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.analytics.errors import require_columns
from shoplake.analytics.quantiles import percentile_cuts, quantile_score

RFM_COLUMNS = ("recency_days", "frequency", "monetary")
SCORES = {"recency_days": "r_score", "frequency": "f_score", "monetary": "m_score"}


def rfm_scores(user_features: DataFrame, levels: int) -> DataFrame:
    """Customers (one or more counted orders) of ``gold.user_features`` with their R, F and M scores."""
    require_columns(user_features, ("user_id", *RFM_COLUMNS, "as_of"), "RFM user features")
    customers = user_features.filter((F.col("frequency") >= 1) & F.col("recency_days").isNotNull())
    scores = [quantile_score(column, percentile_cuts(customers, column), levels,
                             lower_is_better=column == "recency_days").cast("int").alias(score)
              for column, score in SCORES.items()]
    return customers.select("user_id", *RFM_COLUMNS, *scores, "as_of")
