"""A series' frequency told from its dates, and its dates moved to each period's first day, with clear errors."""
from datetime import date, timedelta

import pytest

from shoplake.ml.forecast.frequency import FREQUENCIES, align_to_frequency, infer_frequency
from shoplake.ml.forecast.series import ForecastInputError

SCHEMA = "series_id string, date date, y double"


def _frame(spark, dates_by_series):
    rows = [(sid, day, 1.0) for sid, days in dates_by_series.items() for day in days]
    return spark.createDataFrame(rows, SCHEMA)


def _infer(spark, dates_by_series):
    return infer_frequency(_frame(spark, dates_by_series))


def _months(first, count, step=1, end=False):
    """``count`` firsts of months from ``first``, ``step`` months apart (or the last days of those months)."""
    start = first.year * 12 + first.month - 1
    firsts = [_month(start + i * step + end) for i in range(count)]
    return [day - timedelta(days=1) for day in firsts] if end else firsts


def _month(index):
    return date(index // 12, index % 12 + 1, 1)


def test_daily_sales_with_days_missing_are_daily(spark):
    assert _infer(spark, {"a": [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 9)],
                          "b": [date(2024, 1, 3), date(2024, 1, 20)]}) == "day"


def test_whole_weeks_on_sundays_are_weekly_even_with_weeks_missing(spark):
    sundays = [date(2024, 1, 7) + timedelta(weeks=w) for w in (0, 1, 2, 4)]
    assert _infer(spark, {"a": sundays, "b": sundays[1:3]}) == "week"


def test_firsts_of_months_are_monthly(spark):
    assert _infer(spark, {"a": _months(date(2023, 11, 1), 5), "b": _months(date(2024, 1, 1), 3, step=2)}) == "month"


def test_month_ends_are_monthly(spark):
    ends = _months(date(2024, 1, 1), 4, end=True)
    assert ends[:2] == [date(2024, 1, 31), date(2024, 2, 29)]
    assert _infer(spark, {"a": ends}) == "month"


def test_months_three_apart_are_quarterly_on_firsts_and_on_month_ends(spark):
    quarters = {"a": _months(date(2023, 1, 1), 6, step=3), "b": _months(date(2023, 4, 1), 2, step=6)}
    assert _infer(spark, quarters) == "quarter"
    assert _infer(spark, {"a": _months(date(2023, 3, 1), 4, step=3, end=True)}) == "quarter"


def test_a_series_with_one_date_is_ignored(spark):
    assert _infer(spark, {"a": _months(date(2024, 1, 1), 3), "lonely": [date(2024, 2, 17)]}) == "month"


def test_irregular_gaps_name_the_series_its_dates_and_the_gap(spark):
    weekly = [date(2024, 1, 1) + timedelta(weeks=w) for w in range(4)]
    with pytest.raises(ForecastInputError) as error:
        _infer(spark, {"a": [date(2024, 1, 1), date(2024, 1, 15)],
                       "b": [date(2024, 1, 1), date(2024, 1, 15), date(2024, 2, 2)]})
    assert str(error.value) == (
        "cannot tell the frequency: series 'b' has dates 2024-01-15 and 2024-02-02, 18 days apart, which is not "
        "daily, weekly, monthly or quarterly; aggregate to one of those (day, week, month, quarter), "
        "or give --frequency")
    assert _infer(spark, {"a": weekly, "b": [date(2024, 1, 1), date(2024, 1, 15)]}) == "week"


def test_fortnightly_gaps_alone_are_not_weekly(spark):
    with pytest.raises(ForecastInputError, match=r"series 'b' has dates 2024-01-01 and 2024-01-15, 14 days apart"):
        _infer(spark, {"b": [date(2024, 1, 1), date(2024, 1, 15), date(2024, 1, 29)]})


def test_no_series_with_two_dates_cannot_be_inferred(spark):
    with pytest.raises(ForecastInputError, match="no series has two dates.*give --frequency"):
        _infer(spark, {"a": [date(2024, 1, 1)], "b": [date(2024, 3, 1), date(2024, 3, 1)]})


def _aligned(spark, dates_by_series, frequency):
    aligned = align_to_frequency(_frame(spark, dates_by_series), frequency)
    return sorted((r.series_id, r.date) for r in aligned.collect())


def test_weeks_move_to_their_monday(spark):
    sundays = [date(2024, 1, 7), date(2024, 1, 14)]
    assert _aligned(spark, {"a": sundays}, "week") == [("a", date(2024, 1, 1)), ("a", date(2024, 1, 8))]


def test_month_ends_move_to_the_first_and_days_stay(spark):
    ends = [date(2024, 1, 31), date(2024, 2, 29)]
    assert _aligned(spark, {"a": ends}, "month") == [("a", date(2024, 1, 1)), ("a", date(2024, 2, 1))]
    assert _aligned(spark, {"a": ends}, "day") == [("a", ends[0]), ("a", ends[1])]


def test_quarters_move_to_their_first_day(spark):
    assert _aligned(spark, {"a": [date(2024, 3, 31), date(2024, 5, 15), date(2024, 12, 1)]}, "quarter") == [
        ("a", date(2024, 1, 1)), ("a", date(2024, 4, 1)), ("a", date(2024, 10, 1))]


def test_two_rows_in_one_period_name_the_series_the_period_and_the_count(spark):
    frame = {"a": _months(date(2024, 1, 1), 3), "b": [date(2024, 1, 1), date(2024, 1, 15), date(2024, 2, 1),
                                                       date(2024, 2, 20)]}
    with pytest.raises(ForecastInputError) as error:
        _aligned(spark, frame, "month")
    assert str(error.value) == (
        "series 'b' has 2 rows in the month starting 2024-01-01 (2 series-periods have more than one row); "
        "aggregate to one row per month first, or give a finer --frequency")


def test_weekly_dates_on_different_weekdays_are_refused(spark):
    with pytest.raises(ForecastInputError, match="series 'a' has dates on a Monday and on a Wednesday"):
        _aligned(spark, {"a": [date(2024, 1, 1), date(2024, 1, 10)], "b": [date(2024, 1, 7)]}, "week")


def test_an_unknown_frequency_lists_the_known_ones(spark):
    with pytest.raises(ValueError, match=", ".join(FREQUENCIES)):
        align_to_frequency(_frame(spark, {"a": [date(2024, 1, 1)]}), "year")
