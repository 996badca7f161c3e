"""ALS on tiny data: it learns the obvious structure, never recommends what a user has seen."""
import pytest
from pyspark.sql import functions as F

from shoplake.ml.recommend.als import AlsParams, fit_als, recommend_als

# two tastes: users 0-3 use items 0-3, users 4-7 use items 4-7; each user misses one item of their taste
MISSING = {u: (u % 4) + (4 if u >= 4 else 0) for u in range(8)}
ROWS = [(u, i, 1.0 + (u + i) % 3) for u in range(8) for i in range(8) if (i < 4) == (u < 4) and i != MISSING[u]]
PARAMS = AlsParams(rank=4, reg_param=0.05, alpha=5.0, max_iter=8)


@pytest.fixture(scope="module")
def train(spark):
    return spark.createDataFrame(ROWS, "user_idx int, item_idx int, strength double").cache()


@pytest.fixture(scope="module")
def recs(spark, train):
    model = fit_als(train, PARAMS)
    return recommend_als(model, train.select("user_idx"), train, k=3).collect()


def test_the_missing_item_of_the_users_taste_comes_first(recs):
    top = {r.user_idx: r.item_idx for r in recs if r.rank == 1}
    assert top == MISSING


def test_seen_items_are_never_recommended_and_ranks_follow_scores(recs):
    seen = {(u, i) for u, i, _ in ROWS}
    assert not [r for r in recs if (r.user_idx, r.item_idx) in seen]
    for user in range(8):
        mine = sorted((r for r in recs if r.user_idx == user), key=lambda r: r.rank)
        assert [r.rank for r in mine] == [1, 2, 3]
        assert [r.score for r in mine] == sorted((r.score for r in mine), reverse=True)


def test_explicit_mode_fits_the_ratings(spark, train):
    model = fit_als(train, AlsParams(rank=4, reg_param=0.01, max_iter=10, implicit=False))
    predicted = model.transform(train).agg(F.sqrt(F.avg((F.col("prediction") - F.col("strength")) ** 2))).first()[0]
    assert predicted < 0.3  # ratings are 1..3; implicit mode would predict preferences near 1


def test_long_runs_without_a_checkpoint_directory_are_refused_before_mllib_overflows(spark, train, monkeypatch):
    monkeypatch.setattr(spark.sparkContext, "getCheckpointDir", lambda: None)
    with pytest.raises(ValueError, match="25 iterations needs a checkpoint directory"):
        fit_als(train, AlsParams(max_iter=25))
