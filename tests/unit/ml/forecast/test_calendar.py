"""Explicit calendars: gaps become zero-sale periods, prices and promotions carry forward, series end where told;
a forecast panel's history has its zero-sale days."""
from datetime import date

import pytest

from shoplake.ml.forecast.calendar import fill_calendar, recent_history
from shoplake.ml.forecast.series import conform

SCHEMA = "series_id string, date date, y double, price double, promotion boolean"
ROWS = [("a", date(2024, 1, 1), 2.0, 10.0, False), ("a", date(2024, 1, 4), 5.0, 8.0, True),
        ("b", date(2024, 1, 3), 1.0, 3.0, False), ("b", date(2024, 1, 6), 4.0, None, False)]


@pytest.fixture(scope="module")
def calendar(spark):
    return fill_calendar(conform(spark.createDataFrame(ROWS, SCHEMA)), "day")


@pytest.fixture(scope="module")
def filled(calendar):
    return {r.series_id + str(r.date.day): r for r in calendar.collect()}


def test_every_day_from_each_series_first_row_to_the_tables_last_date(filled):
    assert sorted(filled) == ["a1", "a2", "a3", "a4", "a5", "a6", "b3", "b4", "b5", "b6"]


def test_days_without_a_row_are_zero_sales_and_flagged(filled):
    assert [(filled[k].y, filled[k].filled) for k in ("a1", "a2", "a3", "a4", "a5")] == [
        (2.0, False), (0.0, True), (0.0, True), (5.0, False), (0.0, True)]


def test_price_and_promotion_carry_forward_from_the_last_row(filled):
    assert [filled[k].price for k in ("a1", "a2", "a3", "a4", "a6")] == [10.0, 10.0, 10.0, 8.0, 8.0]
    assert [filled[k].promotion for k in ("a3", "a4", "a6")] == [False, True, True]
    assert filled["b6"].price == 3.0  # a row without a price keeps the last known one


def test_period_index_and_periods_left(filled):
    assert [(filled[k].t, filled[k].periods_left) for k in ("a1", "a6", "b3", "b6")] == [(0, 5), (5, 0), (0, 3), (3, 0)]


def test_a_panels_history_has_every_day_of_its_window_a_day_without_sales_as_zero(calendar):
    history = recent_history(calendar, ["a"], 4).collect()
    assert sorted((r.series_id, r.date.day, r.y) for r in history) == [
        ("a", 3, 0.0), ("a", 4, 5.0), ("a", 5, 0.0), ("a", 6, 0.0)]


def test_monthly_series_end_on_their_own_last_month(spark):
    rows = [("x", date(2020, 1, 1), 1.0), ("x", date(2020, 4, 1), 4.0), ("y", date(2020, 2, 1), 2.0)]
    series = conform(spark.createDataFrame(rows, "series_id string, date date, y double"))
    own = fill_calendar(series, "month", until="series").collect()
    assert sorted((r.series_id, r.date.month, r.y) for r in own) == [
        ("x", 1, 1.0), ("x", 2, 0.0), ("x", 3, 0.0), ("x", 4, 4.0), ("y", 2, 2.0)]
    table = fill_calendar(series, "month", until="table").collect()
    assert sorted(r.date.month for r in table if r.series_id == "y") == [2, 3, 4]


def test_unknown_end_rule_is_refused(spark):
    series = conform(spark.createDataFrame([("x", date(2020, 1, 1), 1.0)], "series_id string, date date, y double"))
    with pytest.raises(ValueError, match="until must be one of table, series"):
        fill_calendar(series, "day", until="forever")
