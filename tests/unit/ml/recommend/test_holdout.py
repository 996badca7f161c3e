"""Per-user splits: Recommenders' rounding, no overlap, chronological order, determinism."""
from collections import Counter

import pytest

from shoplake.ml.recommend.holdout import chrono_split, split, stratified_split

# user u<n> has n interactions; item j happened at time j
SIZES = {"u1": 1, "u2": 2, "u4": 4, "u6": 6, "u10": 10}
ROWS = [(user, item, item) for user, n in SIZES.items() for item in range(n)]
# round(0.75 * n) with half to even, as Python's round in python_stratified_split
EXPECTED_TRAIN = {"u1": 1, "u2": 2, "u4": 3, "u6": 4, "u10": 8}


@pytest.fixture(scope="module")
def interactions(spark):
    return spark.createDataFrame(ROWS, "user_idx string, item_idx int, last_time int").cache()


def _rows(df):
    return sorted(tuple(r) for r in df.collect())


@pytest.mark.parametrize("method", ["chrono", "stratified"])
def test_each_user_keeps_round_half_even_share_in_training(interactions, method):
    train, test = split(interactions, method)
    train_rows, test_rows = _rows(train), _rows(test)
    assert Counter(u for u, _, _ in train_rows) == EXPECTED_TRAIN
    assert sorted(train_rows + test_rows) == sorted(ROWS)


def test_chrono_split_puts_each_users_latest_interactions_in_test(interactions):
    _, test = chrono_split(interactions)
    assert _rows(test) == [("u10", 8, 8), ("u10", 9, 9), ("u4", 3, 3), ("u6", 4, 4), ("u6", 5, 5)]


def test_stratified_split_is_random_but_reproducible(interactions):
    _, test = stratified_split(interactions, seed=7)
    held_out = _rows(test)
    assert held_out == _rows(stratified_split(interactions.repartition(3), seed=7)[1])
    assert held_out != _rows(stratified_split(interactions, seed=8)[1])
    assert held_out != _rows(chrono_split(interactions)[1])


def test_bad_ratio_and_unknown_method_are_rejected(interactions):
    with pytest.raises(ValueError, match="between 0 and 1"):
        split(interactions, "chrono", ratio=1.0)
    with pytest.raises(ValueError, match="unknown split 'random'"):
        split(interactions, "random")
