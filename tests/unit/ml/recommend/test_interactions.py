"""The clear errors for interactions ALS cannot learn from."""
import pytest

from shoplake.ml.recommend.interactions import InteractionsError, check_interactions


def _interactions(spark, rows):
    return spark.createDataFrame(rows, "user_idx int, item_idx int, strength double")


@pytest.mark.parametrize(
    "rows, message",
    [
        ([], "no interactions: the input table is empty"),
        ([(0, i, 1.0) for i in range(20)], "only 1 user in 20 interactions"),
        ([(u, 0, 1.0) for u in range(20)], "only 1 item in 20 interactions"),
        ([(0, 0, 1.0), (1, 1, 1.0), (1, 0, 1.0)], "only 3 interactions: need at least 10"),
    ],
)
def test_degenerate_interactions_get_a_clear_error(spark, rows, message):
    with pytest.raises(InteractionsError, match=message):
        check_interactions(_interactions(spark, rows), "user_idx", "item_idx")

