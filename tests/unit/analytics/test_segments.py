"""RFM scores, KMeans segments chosen by silhouette, and naming rules, on hand-made customers."""
from __future__ import annotations

import datetime as dt

import pytest

from shoplake.analytics.errors import AnalyticsError
from shoplake.analytics.quantiles import percentile_cuts, quantile_score
from shoplake.analytics.rfm import rfm_scores
from shoplake.analytics.segments import name_segments, segment_customers, segment_summary

AS_OF = dt.datetime(2024, 4, 1)
FEATURES = "user_id string, recency_days int, frequency long, monetary double, as_of timestamp"
# three groups no clustering can miss: frequent big spenders, lapsed one-off buyers, recent first-timers
GROUPS = {
    "vip": [(1 + i % 3, 8 + i % 3, 900.0 + 20 * i) for i in range(10)],
    "lapsed": [(80 + i, 1, 20.0 + i) for i in range(10)],
    "new": [(5 + i % 4, 1, 45.0 + i) for i in range(10)],
}


def features(spark):
    rows = [(f"{group}-{i}", r, f, m, AS_OF) for group, values in GROUPS.items() for i, (r, f, m) in enumerate(values)]
    rows.append(("browser", None, 0, 0.0, AS_OF))  # never ordered: not a customer
    return spark.createDataFrame(rows, FEATURES)


def test_quantile_scores_rank_values_and_share_ties(spark):
    df = spark.createDataFrame([(float(v),) for v in [1] * 6 + [2, 3, 4, 5]], "x double")
    cuts = percentile_cuts(df, "x")
    scores = {r.x: r.s for r in df.select("x", quantile_score("x", cuts, 5).alias("s")).distinct().collect()}
    assert scores[1.0] < scores[3.0] < scores[5.0] == 5
    assert scores[1.0] == 2  # six of ten tie at the bottom: their mid-rank is the 30th percentile
    reversed_ = {r.x: r.s for r in df.select("x", quantile_score("x", cuts, 5, lower_is_better=True).alias(
        "s")).distinct().collect()}
    assert reversed_[5.0] == 1 and reversed_[1.0] == 4


def test_rfm_scores_only_customers_with_recent_and_big_ones_high(spark):
    scored = {r.user_id: r for r in rfm_scores(features(spark), 5).collect()}
    assert "browser" not in scored and len(scored) == 30
    assert scored["vip-0"].r_score > scored["lapsed-0"].r_score
    assert scored["vip-0"].f_score > scored["new-0"].f_score
    assert scored["vip-9"].m_score == 5 and scored["lapsed-0"].m_score == 1


def test_kmeans_finds_the_three_groups_and_rules_name_them(spark):
    found = segment_customers(rfm_scores(features(spark), 5), range(2, 6), seed=1)
    assert found.k == 3 and max(found.silhouettes, key=found.silhouettes.get) == 3
    segment_of = {r.user_id: r.segment for r in found.customers.collect()}
    for group in GROUPS:
        assert len({s for u, s in segment_of.items() if u.startswith(group)}) == 1
    rules = {"champions": "f_score >= 4 AND m_score >= 4", "hibernating": "r_score < 2.5",
             "new_customers": "f_score < 2.5 AND r_score >= 2.5"}
    named = {r.segment_name: r for r in name_segments(segment_summary(found.customers), rules, "others").collect()}
    assert set(named) == {"champions", "hibernating", "new_customers"}
    assert named["champions"].customers == 10 and named["champions"].revenue_share > 0.8
    assert sum(r.revenue_share for r in named.values()) == pytest.approx(1.0, abs=1e-3)
    assert sum(r.customer_share for r in named.values()) == pytest.approx(1.0, abs=1e-3)


def test_rules_are_applied_in_order_with_a_default(spark):
    summary = spark.createDataFrame([(0, 4.5, 1.0), (1, 2.0, 5.0), (2, 1.0, 1.0)], "segment int, r_score double, f_score double")
    rules = {"recent": "r_score >= 4", "frequent": "f_score >= 4", "recent_and_frequent": "r_score >= 4 AND f_score >= 4"}
    names = {r.segment: r.segment_name for r in name_segments(summary, rules, "others").collect()}
    assert names == {0: "recent", 1: "frequent", 2: "others"}


@pytest.mark.parametrize("condition, message", [
    ("r_score >=", "cannot evaluate"),
    ("loyalty > 3", "cannot evaluate"),
    ("r_score + 1", "not a true/false condition"),
])
def test_bad_rules_are_clear_errors(spark, condition, message):
    summary = spark.createDataFrame([(0, 4.5)], "segment int, r_score double")
    with pytest.raises(AnalyticsError, match=f"segment_rules.odd: .*{message}"):
        name_segments(summary, {"odd": condition}, "others")


def test_too_few_customers_for_the_smallest_k(spark):
    rows = [("a", 1, 1, 10.0, AS_OF), ("b", 1, 1, 10.0, AS_OF), ("c", 1, 1, 10.0, AS_OF)]
    with pytest.raises(AnalyticsError, match="distinct customer profile"):
        segment_customers(rfm_scores(spark.createDataFrame(rows, FEATURES), 5), range(2, 4), seed=1)
