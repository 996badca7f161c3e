"""Cohort retention and repeat-purchase rate on hand-made orders."""
from __future__ import annotations

import datetime as dt

import pytest

from shoplake.analytics.cohorts import cohort_retention, purchases, repeat_purchase_rate
from shoplake.analytics.errors import AnalyticsError

MONDAY = dt.datetime(2024, 1, 1, 12)  # a Monday
LINES = "order_id string, customer_id string, order_time timestamp, status string"


def week(n, day=0):
    return MONDAY + dt.timedelta(weeks=n, days=day)


def orders(spark):
    rows = [
        ("o1", "c1", week(0), "delivered"), ("o2", "c1", week(1, 3), "paid"),      # c1: weeks 0 and 1
        ("o3", "c2", week(0, 6), "placed"),                                         # c2: week 0 only
        ("o4", "c2", week(2), "cancelled"),                                         # cancelled: not a purchase
        ("o5", "c3", week(1), "shipped"), ("o6", "c3", week(3), "delivered"),      # c3: weeks 1 and 3
        ("o6", "c3", week(3), "delivered"),                                         # a second line of o6
        ("o7", "c4", week(0), "refunded"),                                          # refunded only: no customer
    ]
    return purchases(spark.createDataFrame(rows, LINES))


def test_retention_matrix_per_week(spark):
    cells = {(r.cohort, r.period): r for r in cohort_retention(orders(spark), "week", 12).collect()}
    first, second = MONDAY.date(), week(1).date()
    assert {k: (v.cohort_size, v.active_customers) for k, v in cells.items()} == {
        (first, 0): (2, 2), (first, 1): (2, 1), (first, 2): (2, 0), (first, 3): (2, 0),
        (second, 0): (1, 1), (second, 1): (1, 0), (second, 2): (1, 1),
    }
    assert cells[(first, 1)].retention == 0.5 and cells[(first, 0)].retention == 1.0
    assert cells[(first, 0)].cohort_repeat_rate == 0.5 and cells[(second, 0)].cohort_repeat_rate == 1.0


def test_max_periods_caps_the_matrix(spark):
    periods = {r.period for r in cohort_retention(orders(spark), "week", 1).collect()}
    assert periods == {0, 1}


def test_monthly_cohorts(spark):
    rows = [("o1", "c1", dt.datetime(2024, 1, 31), "paid"), ("o2", "c1", dt.datetime(2024, 2, 1), "paid"),
            ("o3", "c2", dt.datetime(2024, 2, 15), "paid")]
    cells = {(r.cohort, r.period): r.active_customers
             for r in cohort_retention(purchases(spark.createDataFrame(rows, LINES)), "month", 12).collect()}
    assert cells == {(dt.date(2024, 1, 1), 0): 1, (dt.date(2024, 1, 1), 1): 1, (dt.date(2024, 2, 1), 0): 1}


def test_repeat_purchase_rate(spark):
    assert repeat_purchase_rate(orders(spark)) == pytest.approx(2 / 3)


def test_orders_without_a_status_column_are_a_clear_error(spark):
    bad = spark.createDataFrame([("o1", "c1", MONDAY)], "order_id string, customer_id string, order_time timestamp")
    with pytest.raises(AnalyticsError, match="status"):
        purchases(bad)
