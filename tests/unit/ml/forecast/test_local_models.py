"""The local statistical families on real statsforecast models: forecasts, their own intervals, the
combination, and every series' folds fitted on the executors with a model's failure recorded, not fatal."""
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from dateutil.relativedelta import relativedelta

from shoplake.config.settings import ForecastSettings
from shoplake.ml.forecast.calendar import fill_calendar
from shoplake.ml.forecast.local_backtest import local_backtest
from shoplake.ml.forecast.local_models import LOCAL_FAMILIES, combine, forecast_local
from shoplake.ml.forecast.series import conform

MONTHS = 72
SEASONAL = 100 + 20 * np.sin(np.arange(MONTHS) * 2 * np.pi / 12) + np.arange(MONTHS) * 0.5


@pytest.mark.parametrize("family", LOCAL_FAMILIES)
def test_every_family_forecasts_the_horizon_with_its_own_interval_where_it_has_one(family):
    fitted = forecast_local(family, SEASONAL, 12, 12, 0.8)
    assert fitted.mean.shape == (12,) and np.all(fitted.mean >= 0)
    if family in ("croston", "adida", "imapa"):
        assert fitted.lower is None and fitted.upper is None
    else:
        assert np.all(fitted.lower <= fitted.mean + 1e-9) and np.all(fitted.mean <= fitted.upper + 1e-9)


def test_seasonal_models_follow_the_season():
    ets = forecast_local("auto_ets", SEASONAL, 12, 12, 0.8).mean
    expected = 100 + 20 * np.sin(np.arange(MONTHS, MONTHS + 12) * 2 * np.pi / 12) + np.arange(MONTHS, MONTHS + 12) * 0.5
    assert np.mean(np.abs(ets - expected)) < 2.0  # a noiseless season is learnt
    assert np.array_equal(forecast_local("seasonal_naive", SEASONAL, 12, 12, 0.8).mean, SEASONAL[-12:])


def test_the_combination_averages_forecasts_and_bounds():
    a, b = forecast_local("auto_ets", SEASONAL, 6, 12, 0.8), forecast_local("auto_theta", SEASONAL, 6, 12, 0.8)
    both = combine([a, b])
    assert np.allclose(both.mean, (a.mean + b.mean) / 2) and np.allclose(both.upper, (a.upper + b.upper) / 2)
    assert combine([a, forecast_local("croston", SEASONAL, 6, 12, 0.8)]).lower is None


FS = replace(ForecastSettings().for_frequency("month"), horizon=3, folds=2, lags=(1, 2), windows=(3,),
             seasonal_cycles=1, season_length=12, families=("naive", "seasonal_naive", "auto_ets", "combination"))


def _series(spark, values):
    rows = [("s", date(2020, 1, 1) + relativedelta(months=i), float(v)) for i, v in enumerate(values)]
    return fill_calendar(conform(spark.createDataFrame(rows, "series_id string, date date, y double")), "month",
                         "series")


def test_every_fold_and_the_final_forecast_of_every_family(spark):
    rows = local_backtest(_series(spark, SEASONAL[:40]), FS).toPandas()
    assert set(rows.family) == {"naive", "seasonal_naive", "auto_ets", "combination"}
    per_fold = rows.groupby([rows.fold.fillna(-1), "family"]).size()
    assert set(per_fold) == {3}  # every family: 3 steps in each fold and in the final forecast
    final = rows[rows.fold.isna()]
    assert set(final.origin) == {date(2023, 4, 1)} and final.actual.isna().all()  # from the last month, no actuals
    last_fold = rows[(rows.fold == 1) & (rows.family == "naive")].sort_values("horizon")
    assert last_fold.origin.iloc[0] == date(2023, 1, 1) and list(last_fold.actual) == list(SEASONAL[37:40])
    assert list(last_fold.forecast) == [SEASONAL[36]] * 3  # naive: the value at the origin
    combined = rows[(rows.fold == 1) & (rows.family == "combination")].forecast.to_numpy()
    assert np.allclose(combined, rows[(rows.fold == 1) & (rows.family == "auto_ets")].forecast.to_numpy())


def test_a_family_that_cannot_fit_a_series_gets_an_error_row(spark):
    broken = replace(FS, families=("naive", "auto_ets"))
    rows = local_backtest(_series(spark, [float("nan"), *SEASONAL[1:30]]), broken).toPandas()  # ETS cannot fit a NaN
    failed = rows[rows.error.notna()]
    assert set(failed.family) == {"auto_ets"} and len(failed) == 3 * 3 and failed.forecast.isna().all()
    assert failed.error.str.contains("no model able to be fitted").all()
    assert rows[rows.family == "naive"].error.isna().all() and rows[rows.family == "naive"].forecast.notna().all()
