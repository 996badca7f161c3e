"""The registered forecaster's predictions: each series by its selected family, unknown series by the default,
dates stepped by the frequency."""
from datetime import date

import numpy as np
import pandas as pd
import pytest

from shoplake.ml.forecast.forecaster import forecast_histories
from shoplake.ml.forecast.local_models import combine, forecast_local

VALUES = 50 + 10 * np.sin(np.arange(40) * 2 * np.pi / 4) + np.arange(40)
SELECTION = {"frequency": "quarter", "horizon": 4, "season_length": 4, "interval_level": 0.8,
             "families": ["naive", "auto_ets", "auto_theta", "combination"], "default": "naive",
             "series": {"a": "auto_ets", "b": "combination"}}


def _history(name: str) -> pd.DataFrame:
    return pd.DataFrame({"series_id": name, "date": pd.date_range("2010-01-01", periods=40, freq="QS").date,
                         "y": VALUES})


def test_each_series_is_forecast_by_its_family():
    out = forecast_histories(SELECTION, pd.concat([_history(n) for n in ("a", "b", "new")]))
    assert dict(out.groupby("series_id").family.first()) == {"a": "auto_ets", "b": "combination", "new": "naive"}
    ets = forecast_local("auto_ets", VALUES, 4, 4, 0.8)
    a = out[out.series_id == "a"]
    assert a.forecast.to_numpy() == pytest.approx(ets.mean) and a.lower.to_numpy() == pytest.approx(ets.lower)
    both = combine([ets, forecast_local("auto_theta", VALUES, 4, 4, 0.8)])
    assert out[out.series_id == "b"].forecast.to_numpy() == pytest.approx(both.mean)
    assert (out[out.series_id == "new"].forecast == VALUES[-1]).all()


def test_dates_follow_the_frequency():
    out = forecast_histories(SELECTION, _history("a"))
    assert list(out.date) == [date(2020, 1, 1), date(2020, 4, 1), date(2020, 7, 1), date(2020, 10, 1)]
    assert list(out.horizon) == [1, 2, 3, 4]
    weekly = forecast_histories({**SELECTION, "frequency": "week"}, _history("a"))
    assert weekly.date.iloc[1] - weekly.date.iloc[0] == pd.Timedelta(days=7)
