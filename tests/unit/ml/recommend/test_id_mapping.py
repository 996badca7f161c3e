"""Id mapping: dense sorted integer ids for any id type, and the way back."""
import pytest

from shoplake.ml.recommend.id_mapping import IdMapping


@pytest.fixture(scope="module")
def mapping(spark):
    df = spark.createDataFrame(
        [("carol", 30), ("alice", 10), ("bob", 20), ("alice", 30), (None, 40)], "user_id string, product_id long"
    )
    return IdMapping.fit(df, "user_id", "product_id")


def test_ids_are_numbered_densely_in_sorted_order(mapping):
    assert sorted(tuple(r) for r in mapping.users.collect()) == [("alice", 0), ("bob", 1), ("carol", 2)]
    assert sorted(tuple(r) for r in mapping.items.collect()) == [(10, 0), (20, 1), (30, 2), (40, 3)]
    assert dict(mapping.users.dtypes)["user_idx"] == "int"


def test_encode_then_decode_gives_back_the_rows_and_drops_unknown_ids(spark, mapping):
    recs = spark.createDataFrame([("bob", 30, 0.9), ("alice", 20, 0.5), ("zoe", 10, 0.1)],
                                 "user_id string, product_id long, score double")
    encoded = mapping.encode(recs)
    assert set(encoded.columns) == {"user_idx", "item_idx", "score"}
    assert sorted(tuple(r) for r in encoded.select("user_idx", "item_idx", "score").collect()) == [
        (0, 1, 0.5), (1, 2, 0.9)]
    decoded = mapping.decode(encoded).select("user_id", "product_id", "score")
    assert sorted(tuple(r) for r in decoded.collect()) == [("alice", 20, 0.5), ("bob", 30, 0.9)]


def test_any_item_index_column_can_be_decoded(spark, mapping):
    pairs = spark.createDataFrame([(0, 3)], "item_idx int, similar_idx int")
    decoded = mapping.decode_items(mapping.decode(pairs), "similar_idx", "similar_product_id")
    assert [tuple(r) for r in decoded.select("product_id", "similar_product_id").collect()] == [(10, 40)]
