"""The forecast config section: defaults, the monthly profile, and clear errors for bad values."""
import pytest

from shoplake.config import ConfigError, load_config


def test_defaults_and_the_monthly_profile():
    fs = load_config("local", environ={}).forecast
    assert (fs.frequency, fs.horizon, fs.season_length) == ("day", 14, 7)
    monthly = fs.for_frequency("month")
    assert (monthly.frequency, monthly.season_length, monthly.holidays) == ("month", 12, ())
    assert all(isinstance(k, int) for k in monthly.lags) and monthly.registered_model.endswith("-monthly")
    assert (fs.loss, monthly.loss) == ("absolute", "squared")  # the median for daily units, the mean monthly


def test_lags_from_the_environment_become_integers():
    fs = load_config("test", environ={"SHOPLAKE__FORECAST__LAGS": "[1, 7, 28]"}).forecast
    assert fs.lags == (1, 7, 28)


@pytest.mark.parametrize("key, value, message", [
    ("forecast.horizon", 0, "forecast.horizon: must be >= 1"),
    ("forecast.lags", [0, 7], r"forecast.lags: must be a non-empty list of integers >= 1"),
    ("forecast.windows", [1], r"forecast.windows: must be a non-empty list of integers >= 2"),
    ("forecast.interval_level", 1.0, r"forecast.interval_level: must be in \(0, 1\)"),
    ("forecast.holidays", ["12-32"], "forecast.holidays: '12-32' is not MM-DD or YYYY-MM-DD"),
    ("forecast.frequency", "hour", "forecast.frequency: 'hour' is not one of day, week, month, quarter"),
    ("forecast.loss", "huber", "forecast.loss: 'huber' is not one of squared, absolute"),
    ("forecast.monthly", {"loss": "l1"}, "forecast.monthly.loss: 'l1' is not one of squared, absolute"),
    ("forecast.monthly", {"horizon": 0}, "forecast.monthly.horizon: must be >= 1"),
    ("forecast.monthly", {"horizn": 12}, "forecast.monthly: unknown key 'horizn'"),
])
def test_bad_values_are_named(key, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config("test", environ={}, overrides={key: value})


def test_each_frequency_has_a_profile_applied_over_its_defaults():
    fs = load_config("test", environ={}, overrides={"forecast.weekly": {"horizon": 4}}).forecast
    weekly, quarterly = fs.for_frequency("week"), fs.for_frequency("quarter")
    assert (weekly.horizon, weekly.season_length, weekly.registered_model) == (4, 52, "shoplake-forecast-weekly")
    assert (quarterly.season_length, quarterly.frequency) == (4, "quarter") and "gbt" not in quarterly.families
    local = load_config("local", environ={}).forecast  # no quarterly profile in the file: the defaults
    assert "auto_arima" in local.for_frequency("quarter").families and local.for_frequency("quarter").horizon == 8
    assert "auto_arima" not in local.families and "gbt" in local.families  # daily: ARIMA is too slow for many items


@pytest.mark.parametrize("key, value, message", [
    ("forecast.families", ["gbt", "prophet"], "forecast.families: 'prophet' is not one of gbt, naive"),
    ("forecast.families", [], "forecast.families: must name at least one family"),
    ("forecast.families", ["naive", "combination"], "forecast.families: combination needs at least one of auto_ets"),
    ("forecast.selection_margin", 1.0, r"forecast.selection_margin: must be in \[0, 1\)"),
    ("forecast.quarterly", {"families": ["arima"]}, "forecast.quarterly.families: 'arima' is not one of"),
    ("forecast.input_frequency", "hourly", "forecast.input_frequency: 'hourly' is not one of auto, day"),
])
def test_bad_family_settings_are_named(key, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config("test", environ={}, overrides={key: value})
