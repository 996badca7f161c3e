"""The inputs a shop may not send: which tables each feeds, and what is left when some are absent."""
from shoplake.catalog import CLICKSTREAM, PRODUCT_CATALOGUE, REVIEWS, absent_inputs, inputs_of, without_absent


def test_an_input_is_present_only_with_all_its_tables():
    assert CLICKSTREAM.tables == ("silver.events", "silver.sessions") and CLICKSTREAM.reason == "no clickstream"
    assert not CLICKSTREAM.present({"silver.events"}.__contains__)
    assert CLICKSTREAM.present({"silver.events", "silver.sessions"}.__contains__)


def test_an_orders_only_lake_keeps_the_required_inputs_of_a_step_and_drops_the_absent_ones():
    orders_only = {"silver.orders", "silver.order_lines", "silver.customers"}.__contains__
    assert absent_inputs(orders_only) == (CLICKSTREAM, PRODUCT_CATALOGUE, REVIEWS)
    assert without_absent(inputs_of("build_gold"), orders_only) == ("silver.order_lines",)
    with_clickstream = {"silver.events", "silver.sessions", "silver.order_lines"}.__contains__
    assert without_absent(inputs_of("build_gold"), with_clickstream) == inputs_of("build_gold")
