"""The popularity baseline: most users first, ties by item id, seen items skipped."""
import pytest

from shoplake.ml.recommend.popularity import item_popularity, recommend_popular

# item 0 has 4 users, item 1 has 3, items 2 and 3 have 2 (tie: 2 first), item 4 has 1
TRAIN = [(0, 0), (1, 0), (2, 0), (3, 0), (0, 1), (1, 1), (2, 1), (0, 2), (1, 2), (3, 3), (2, 3), (0, 4)]


@pytest.fixture(scope="module")
def train(spark):
    return spark.createDataFrame(TRAIN, "user_idx int, item_idx int").cache()


def test_items_are_ranked_by_distinct_users(train):
    rows = [tuple(r) for r in item_popularity(train).orderBy("pop_rank").collect()]
    assert rows == [(0, 4.0, 1), (1, 3.0, 2), (2, 2.0, 3), (3, 2.0, 4), (4, 1.0, 5)]


def test_each_user_gets_the_most_popular_items_they_have_not_seen(spark, train):
    users = spark.createDataFrame([(0,), (2,), (3,), (9,)], "user_idx int")  # 9 has no history
    recs = recommend_popular(item_popularity(train), users, train, k=2)
    got = {}
    for row in recs.orderBy("user_idx", "rank").collect():
        got.setdefault(row.user_idx, []).append((row.item_idx, row.rank))
    assert got == {
        0: [(3, 1)],  # has seen 0, 1, 2, 4: only item 3 is left
        2: [(2, 1), (4, 2)],  # has seen 0, 1, 3
        3: [(1, 1), (2, 2)],  # has seen 0, 3
        9: [(0, 1), (1, 2)],
    }
