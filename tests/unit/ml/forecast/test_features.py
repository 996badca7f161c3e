"""Origin features: exact lags and seasonal values, level scaling, and nothing from after the origin."""
from dataclasses import replace
from datetime import date, timedelta

import pytest

from shoplake.config.settings import ForecastSettings
from shoplake.ml.forecast.calendar import fill_calendar
from shoplake.ml.forecast.features import history_length, origin_features, seasonal_offset
from shoplake.ml.forecast.series import conform
from shoplake.ml.forecast.strategy import stack_horizons

FS = ForecastSettings(horizon=3, season_length=4, lags=(1, 2, 4), windows=(2, 4), seasonal_cycles=2,
                      holidays=("01-09", "2024-01-12"))
START = date(2024, 1, 1)
VALUES = [float(v) for v in (3, 0, 5, 1, 4, 2, 0, 6, 3, 1, 2, 5)]


def _origins(spark, values, fs=FS):
    rows = [("s", START + timedelta(days=i), v) for i, v in enumerate(values)]
    filled = fill_calendar(conform(spark.createDataFrame(rows, "series_id string, date date, y double")), fs.frequency)
    return origin_features(filled, fs)


@pytest.fixture(scope="module")
def origins(spark):
    return {(r.date - START).days: r for r in _origins(spark, VALUES).collect()}


def test_history_length_covers_lags_windows_and_seasons():
    assert history_length(FS) == 8
    assert history_length(replace(FS, lags=(1, 30))) == 30


def test_only_origins_with_a_full_history(origins):
    assert sorted(origins) == list(range(7, 12))


def test_scale_is_the_longest_window_mean_and_lags_are_scaled(origins):
    row = origins[9]  # values up to t=9: ... 2, 0, 6, 3, 1
    assert row.scale == pytest.approx((0 + 6 + 3 + 1) / 4)
    assert [row.lag_1 * row.scale, row.lag_2 * row.scale, row.lag_4 * row.scale] == pytest.approx([1, 3, 0])
    assert row.mean_2 * row.scale == pytest.approx(2.0)
    assert row.y == 1.0 and row.future == [2.0, 5.0]


def test_seasonal_values_are_the_same_season_before_the_origin(origins):
    row = origins[9]
    assert [seasonal_offset(h, 4) for h in (1, 2, 3, 4, 5)] == [3, 2, 1, 0, 3]
    # t + h = 10, 11, 12: same season 4 and 8 periods earlier = t 6/2, 7/3, 8/4
    assert row.seasonal_last == pytest.approx([VALUES[6], VALUES[7], VALUES[8]])
    assert row.seasonal_mean == pytest.approx([(VALUES[6] + VALUES[2]) / 2, (VALUES[7] + VALUES[3]) / 2,
                                               (VALUES[8] + VALUES[4]) / 2])


def test_features_at_an_origin_ignore_everything_after_it(spark, origins):
    changed = VALUES[:10] + [100.0, 0.0]
    other = {(r.date - START).days: r for r in _origins(spark, changed).collect()}
    drop = {"future"}
    for t in (7, 8, 9):
        assert {k: v for k, v in other[t].asDict().items() if k not in drop} == \
               {k: v for k, v in origins[t].asDict().items() if k not in drop}
    assert other[9].future == [100.0, 0.0]


def test_stacked_rows_carry_target_calendar_holidays_and_label(spark):
    stacked = stack_horizons(_origins(spark, VALUES), FS).collect()
    rows = {((r.origin - START).days, int(r.horizon)): r for r in stacked}
    row = rows[(9, 2)]  # origin 2024-01-10, target 2024-01-12: a Friday and a dated holiday
    assert row.target_date == date(2024, 1, 12) and row.day_of_week == 6.0 and row.is_holiday == 1.0
    assert rows[(7, 1)].is_holiday == 1.0 and rows[(7, 2)].is_holiday == 0.0  # 01-09 recurs every year
    assert row.actual == VALUES[11] and row.label == pytest.approx(VALUES[11] / row.scale)
    assert row.seasonal_last == pytest.approx(VALUES[7] / row.scale)  # the same season, one season before the target
    assert rows[(10, 2)].actual is None and rows[(10, 2)].label is None  # past the data


def test_free_items_get_a_finite_relative_price(spark):
    """A price of 0 (a gift, a promotion) and a list price of 0 give no NaN or infinity."""
    rows = [("s", START + timedelta(days=i), v, 0.0 if i % 2 else 4.0, 0.0) for i, v in enumerate(VALUES)]
    series = conform(spark.createDataFrame(rows, "series_id string, date date, y double, price double, "
                                                 "list_price double"))
    features = origin_features(fill_calendar(series, FS.frequency), FS).collect()
    assert features and all(r.relative_price == 1.0 and r.price in (0.0, 4.0) for r in features)
