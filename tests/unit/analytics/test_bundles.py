"""FPGrowth bundles on hand-made baskets whose support, confidence and lift are known."""
from __future__ import annotations

import pytest

from shoplake.analytics.bundles import baskets, bundle_rules, pair_recovery
from shoplake.analytics.errors import AnalyticsError

# 30 orders: A and B always together (10), C alone or with both (12), D or E alone (10)
ORDERS = ([["A", "B"]] * 8 + [["A", "B", "C"]] * 2 + [["C"]] * 10 + [["D"]] * 5 + [["E"]] * 5)


def order_lines(spark):
    rows = [(f"o{n}", product) for n, items in enumerate(ORDERS) for product in items]
    rows.append(("o0", "A"))  # the same product on a second line of an order
    return spark.createDataFrame(rows, "order_id string, product_id string")


def test_baskets_hold_each_product_once(spark):
    first = {r.order_id: r.items for r in baskets(order_lines(spark)).collect()}["o0"]
    assert first == ["A", "B"]


def test_rules_have_the_expected_support_confidence_and_lift(spark):
    rules = {(tuple(r.antecedent), r.consequent): r for r in
             bundle_rules(baskets(order_lines(spark)), 0.05, 0.1, 2.0).collect()}
    assert set(rules) == {(("A",), "B"), (("B",), "A"), (("A", "C"), "B"), (("B", "C"), "A")}
    a_b = rules[(("A",), "B")]
    assert (a_b.support, a_b.confidence, a_b.lift, a_b.orders) == (pytest.approx(1 / 3, abs=1e-5), 1.0, 3.0, 10)
    assert a_b.items == ["A", "B"]
    assert rules[(("A", "C"), "B")].orders == 2


def test_minimum_lift_and_support_filter_rules(spark):
    assert bundle_rules(baskets(order_lines(spark)), 0.05, 0.1, 3.5).count() == 0
    pairs_only = bundle_rules(baskets(order_lines(spark)), 0.1, 0.1, 2.0).collect()
    assert {(tuple(r.antecedent), r.consequent) for r in pairs_only} == {(("A",), "B"), (("B",), "A")}


def test_pair_recovery_against_known_pairs(spark):
    rules = bundle_rules(baskets(order_lines(spark)), 0.05, 0.1, 2.0)
    known = spark.createDataFrame([("B", "A"), ("D", "E")], "product_a string, product_b string")
    scores = pair_recovery(rules, known)
    assert (scores["pair_recall"], scores["pair_precision"], scores["pairs_found"]) == (0.5, 1.0, 1.0)


def test_lines_without_products_are_a_clear_error(spark):
    with pytest.raises(AnalyticsError, match="product_id"):
        baskets(spark.createDataFrame([("o1",)], "order_id string"))
