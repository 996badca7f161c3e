"""The series contract: what the shop's gold table maps to, and clear errors for input that cannot be forecast."""
from datetime import date

import pytest

from shoplake.ml.forecast.series import ForecastInputError, check_series, conform, shop_series

SCHEMA = "series_id string, date date, y double"
GOOD = [("a", date(2024, 1, 1), 1.0), ("a", date(2024, 1, 2), 0.0), ("b", date(2024, 1, 2), 3.0)]


def _check(spark, rows, frequency="day"):
    return check_series(conform(spark.createDataFrame(rows, SCHEMA)), frequency)


def test_good_series_are_counted(spark):
    stats = _check(spark, GOOD)
    assert (stats.rows, stats.series, stats.first, stats.last) == (3, 2, date(2024, 1, 1), date(2024, 1, 2))


@pytest.mark.parametrize("rows, message", [
    ([], "has no rows"),
    (GOOD + [(None, date(2024, 1, 3), 1.0)], "1 rows without a series_id"),
    (GOOD + [("a", None, 1.0)], "1 rows without a date"),
    (GOOD + [("a", date(2024, 1, 3), None)], r"1 rows without a value \(y\)"),
    (GOOD + [("a", date(2024, 1, 3), -2.0), ("b", date(2024, 1, 3), -1.0)], "2 rows with a negative value"),
    (GOOD + [("a", date(2024, 1, 2), 4.0)], "1 series-periods with more than one row"),
])
def test_bad_input_is_refused_with_a_reason(spark, rows, message):
    with pytest.raises(ForecastInputError, match=message):
        _check(spark, rows)


def test_monthly_dates_must_start_their_month(spark):
    rows = [("m", date(2020, 1, 1), 1.0), ("m", date(2020, 2, 15), 1.0)]
    with pytest.raises(ForecastInputError, match="1 rows dated other than the first day of a month"):
        _check(spark, rows, "month")
    assert _check(spark, rows[:1], "month").rows == 1


def test_missing_required_columns_are_named(spark):
    with pytest.raises(ForecastInputError, match="missing: y"):
        conform(spark.createDataFrame([("a", date(2024, 1, 1))], "series_id string, date date"))


def test_shop_sales_map_units_price_promotion_and_the_products_category(spark):
    sales = spark.createDataFrame([("p1", date(2024, 1, 1), 3, 30.0, 1, 9.5, True)],
                                  "product_id string, date date, units long, revenue double, orders long, "
                                  "avg_price double, promotion boolean")
    products = spark.createDataFrame([("p1", "Shirt", 12.0)], "product_id string, category string, price double")
    row = conform(shop_series(sales, products)).first()
    assert (row.series_id, row.y, row.price, row.promotion, row.category, row.list_price) == (
        "p1", 3.0, 9.5, True, "Shirt", 12.0)
    assert conform(shop_series(sales)).first().category == "unknown"
