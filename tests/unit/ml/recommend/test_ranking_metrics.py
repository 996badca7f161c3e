"""Ranking metrics on tiny hand-computed cases (Recommenders' definitions)."""
from math import log2

import pytest

from shoplake.ml.recommend.evaluation import evaluate_recommendations
from shoplake.ml.recommend.ranking_metrics import catalogue_coverage, ranking_metrics

K = 5
RECS = {  # user -> items at ranks 1..5
    "a": ["a1", "b", "a3", "d", "e"],
    "b": ["f", "g", "h", "i", "b5"],
    "c": ["p", "c2", "r", "c4", "t"],
    "e": ["x", "y", "z", "w", "v"],  # recommendations but nothing relevant: not evaluated
}
TRUTH = {
    "a": ["a1", "a3", "xx"],  # hits at ranks 1 and 3 of 3 relevant
    "b": ["b5"],  # one hit at rank 5
    "c": ["c2", "c4", "u1", "u2", "u3", "u4", "u5"],  # hits at 2 and 4 of 7 relevant (more than k)
    "d": ["q"],  # relevant items but no recommendations: not evaluated
}


def _frames(spark, recs, truth):
    rec_rows = [(u, item, rank) for u, items in recs.items() for rank, item in enumerate(items, start=1)]
    truth_rows = [(u, item) for u, items in truth.items() for item in items]
    return (
        spark.createDataFrame(rec_rows, "user_idx string, item_idx string, rank int"),
        spark.createDataFrame(truth_rows, "user_idx string, item_idx string"),
    )


def dcg(*ranks):
    return sum(1 / log2(1 + r) for r in ranks)


@pytest.fixture(scope="module")
def metrics(spark):
    return ranking_metrics(*_frames(spark, RECS, TRUTH), k=K)


def test_only_users_with_recommendations_and_relevant_items_count(metrics):
    assert metrics["users"] == 3


def test_precision_is_hits_over_k(metrics):
    assert metrics["precision_at_k"] == pytest.approx((2 / 5 + 1 / 5 + 2 / 5) / 3)


def test_recall_is_hits_over_relevant(metrics):
    assert metrics["recall_at_k"] == pytest.approx((2 / 3 + 1 / 1 + 2 / 7) / 3)


def test_ndcg_uses_log2_discount_and_ideal_list_of_min_n_k(metrics):
    expected = (dcg(1, 3) / dcg(1, 2, 3) + dcg(5) / dcg(1) + dcg(2, 4) / dcg(1, 2, 3, 4, 5)) / 3
    assert metrics["ndcg_at_k"] == pytest.approx(expected)
    assert metrics["ndcg_at_k"] == pytest.approx(0.48361, abs=1e-5)


def test_map_divides_by_all_relevant_items(metrics):
    # average precision sums i / rank_i over the hits
    assert metrics["map"] == pytest.approx(((1 / 1 + 2 / 3) / 3 + (1 / 5) / 1 + (1 / 2 + 2 / 4) / 7) / 3)


def test_map_at_k_divides_by_min_relevant_k(metrics):
    assert metrics["map_at_k"] == pytest.approx(((1 / 1 + 2 / 3) / 3 + (1 / 5) / 1 + (1 / 2 + 2 / 4) / 5) / 3)


def test_recommendations_beyond_k_are_ignored(spark):
    recs, truth = _frames(spark, {"a": ["x", "y", "hit"]}, {"a": ["hit"]})
    assert ranking_metrics(recs, truth, k=2)["precision_at_k"] == 0.0
    assert ranking_metrics(recs, truth, k=3)["ndcg_at_k"] == pytest.approx(dcg(3))


def test_no_common_users_gives_zeros(spark):
    recs, truth = _frames(spark, {"a": ["x"]}, {"b": ["x"]})
    assert ranking_metrics(recs, truth, k=K) == {
        "precision_at_k": 0.0, "recall_at_k": 0.0, "ndcg_at_k": 0.0, "map": 0.0, "map_at_k": 0.0, "users": 0,
    }


def test_catalogue_coverage_counts_distinct_items_in_top_k(spark):
    recs, _ = _frames(spark, {"a": ["i1", "i2", "i3"], "b": ["i1", "i4", "i9"]}, {})
    catalogue = spark.createDataFrame([(f"i{n}",) for n in range(10)], "item_idx string")
    assert catalogue_coverage(recs, catalogue, k=2) == pytest.approx(3 / 10)


def test_training_items_are_neither_recommended_nor_counted(spark):
    recs, _ = _frames(spark, {"a": ["old", "new1", "x"]}, {})
    train = spark.createDataFrame([("a", "old"), ("a", "gone")], "user_idx string, item_idx string")
    test = spark.createDataFrame([("a", "old"), ("a", "new1"), ("a", "new2")], "user_idx string, item_idx string")
    result = evaluate_recommendations(recs, train, test, k=3)
    # "old" is dropped from both sides: one hit (rank 2) of two relevant items
    assert result["recall_at_k"] == pytest.approx(1 / 2)
    assert result["precision_at_k"] == pytest.approx(1 / 3)
