"""Similar items: exact cosine top-k from item factors, the same across block sizes."""
import math

import pytest

from shoplake.ml.recommend.similar_items import similar_items

FACTORS = [(0, [1.0, 0.0]), (1, [3.0, 1.0]), (2, [0.0, 2.0]), (3, [-1.0, 0.0]), (4, [1.0, 1.0])]


def _cos(a, b):
    return sum(x * y for x, y in zip(a, b)) / math.hypot(*a) / math.hypot(*b)


@pytest.fixture(scope="module")
def factors(spark):
    return spark.createDataFrame(FACTORS, "id int, features array<float>")


@pytest.mark.parametrize("block_size", [2, 100])
def test_top_k_by_cosine_excluding_the_item_itself(factors, block_size):
    rows = similar_items(factors, k=2, block_size=block_size).collect()
    got = {(r.item_idx, r.rank): (r.similar_idx, r.similarity) for r in rows}
    vectors = dict(FACTORS)
    expected = {}
    for item, vector in vectors.items():
        others = sorted((-_cos(vector, v), other) for other, v in vectors.items() if other != item)[:2]
        for rank, (negative, other) in enumerate(others, start=1):
            expected[(item, rank)] = (other, -negative)
    assert got.keys() == expected.keys()
    for key, (other, similarity) in expected.items():
        assert got[key][0] == other
        assert got[key][1] == pytest.approx(similarity)
    assert got[(0, 1)] == (1, pytest.approx(3 / math.sqrt(10)))
