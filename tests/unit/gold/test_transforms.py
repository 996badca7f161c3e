"""Gold from orders alone (a shop without clickstream): interactions from purchases, user features, as-of time."""
from __future__ import annotations

import datetime as dt

import pytest

from shoplake.gold.transforms import orders_end, purchase_interactions, user_features

T0 = dt.datetime(2024, 3, 1, 9, 30)
LINES = ("order_id string, line_no int, customer_id string, order_time timestamp, status string, product_id string, "
         "net_amount double")


def hours(n):
    return T0 + dt.timedelta(hours=n)


@pytest.fixture(scope="module")
def lines(spark):
    return spark.createDataFrame([
        ("o1", 0, "u1", hours(0), "delivered", "p1", 20.0),
        ("o1", 1, "u1", hours(0), "delivered", "p2", 5.0),
        ("o2", 0, "u1", hours(50), "paid", "p1", 20.0),
        ("o3", 0, "u2", hours(30), "cancelled", "p3", 9.0),  # u2 ordered but bought nothing
        ("o4", 0, "u3", hours(70), "refunded", None, 7.0),  # a line without a product: no interaction
    ], LINES)


def test_each_order_line_is_a_purchase_of_the_purchase_weight(lines):
    got = {(r.user_id, r.product_id): r for r in purchase_interactions(lines, 8.0).collect()}
    assert set(got) == {("u1", "p1"), ("u1", "p2"), ("u2", "p3")}
    p1 = got[("u1", "p1")]
    assert (p1.weight, p1.n_events, p1.n_purchases, p1.last_event_time) == (16.0, 2, 2, hours(50))
    assert got[("u2", "p3")].weight == 8.0  # placed, even if cancelled later, like a purchase event
    with pytest.raises(ValueError, match="positive purchase weight"):
        purchase_interactions(lines, 0.0)


def test_without_sessions_features_come_from_orders_and_the_clickstream_columns_are_null(lines):
    as_of = orders_end(lines)
    assert as_of == dt.datetime(2024, 3, 5)  # midnight after the day of the last order (hours(70): 4 March)
    got = {r.user_id: r for r in user_features(None, lines, as_of).collect()}
    assert set(got) == {"u1", "u2", "u3"}
    u1 = got["u1"]
    assert (u1.recency_days, u1.frequency, u1.monetary, u1.as_of) == (1, 2, 45.0, as_of)  # last order 36.5 hours before
    assert (got["u2"].recency_days, got["u2"].frequency, got["u2"].monetary) == (None, 0, 0.0)
    assert all(r.days_since_seen is None and r.sessions is None and r.conversion_rate is None for r in got.values())


def test_without_sessions_only_orders_before_as_of_count(lines):
    got = {r.user_id: r for r in user_features(None, lines, hours(40)).collect()}
    assert set(got) == {"u1", "u2"}
    assert (got["u1"].recency_days, got["u1"].frequency, got["u1"].monetary) == (1, 1, 25.0)
