"""Backtest accuracy: WAPE, sMAPE, RMSE and MASE against their textbook definitions, per series and fold, per
group and overall; a family that could not forecast a fold is counted as failed, not scored."""
import numpy as np
import pandas as pd
import pytest

from shoplake.ml.forecast.metrics import accuracy, fold_scores

# two folds, three series; series c has a zero seasonal-naive scale (left out of MASE)
ROWS = pd.DataFrame({
    "fold": [0, 0, 0, 0, 1, 1, 0, 0],
    "series_id": ["a", "a", "b", "b", "a", "a", "c", "c"],
    "category": ["x", "x", "y", "y", "x", "x", "y", "y"],
    "actual": [4.0, 0.0, 10.0, 12.0, 3.0, 5.0, 0.0, 0.0],
    "mase_scale": [2.0, 2.0, 4.0, 4.0, 1.0, 1.0, 0.0, 0.0],
    "model": [3.0, 1.0, 11.0, 9.0, 3.0, 7.0, 0.0, 2.0],
})


def _expected(frame: pd.DataFrame) -> dict:
    error = frame.actual - frame.model
    denominator = frame.actual.abs() + frame.model.abs()
    smape = np.where(denominator == 0, 0.0, 2 * error.abs() / denominator.where(denominator > 0, 1))
    per_series = frame.assign(abs_error=error.abs()).groupby(["fold", "series_id"]).agg(
        mae=("abs_error", "mean"), scale=("mase_scale", "first"))
    scaled = per_series[per_series.scale > 0]
    return {"model_wape": error.abs().sum() / frame.actual.abs().sum(), "model_smape": smape.mean(),
            "model_rmse": float(np.sqrt((error ** 2).mean())), "model_mase": (scaled.mae / scaled.scale).mean()}


def _long(frame: pd.DataFrame, **families: pd.Series) -> pd.DataFrame:
    parts = [frame.drop(columns="model").assign(family=name, forecast=values, error=None)
             for name, values in families.items()]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def scores(spark):
    rows = _long(ROWS, model=ROWS.model, perfect=ROWS.actual)
    return fold_scores(spark.createDataFrame(rows, "fold int, series_id string, category string, actual double, "
                                             "mase_scale double, family string, forecast double, error string"),
                       keep=("category",)).cache()


def test_overall_metrics_match_their_definitions(scores):
    [overall] = accuracy(scores)
    assert {k: overall[k] for k in _expected(ROWS)} == pytest.approx(_expected(ROWS))
    assert (overall["series"], overall["series_without_mase"]) == (3, 1)


def test_metrics_per_group(scores):
    by = {g["category"]: g for g in accuracy(scores, by=["category"])}
    for category, frame in ROWS.groupby("category"):
        assert {k: by[category][k] for k in _expected(frame)} == pytest.approx(_expected(frame))


def test_a_perfect_forecast_scores_zero_beside_the_model(scores):
    [overall] = accuracy(scores)
    assert [overall[f"perfect_{m}"] for m in ("wape", "smape", "rmse", "mase")] == [0.0, 0.0, 0.0, 0.0]
    assert overall["model_mase"] > 0


def test_per_series_and_fold_scores(scores):
    row = scores.filter("series_id = 'b' and family = 'model'").first()
    assert (row.n, row.mae, row.mase, row.failed) == (2, 2.0, 0.5, False)  # |10-11|, |12-9| over a scale of 4
    assert scores.filter("series_id = 'c' and family = 'model'").first().mase is None  # no scale: no MASE


def test_a_failed_fold_is_counted_not_scored(spark):
    rows = _long(ROWS, model=ROWS.model).astype({"forecast": object})
    failing = (rows.series_id == "a") & (rows.fold == 1)
    rows.loc[failing, "forecast"], rows.loc[failing, "error"] = None, "ValueError: too short"
    scored = fold_scores(spark.createDataFrame(rows, "fold int, series_id string, category string, actual double, "
                                               "mase_scale double, family string, forecast double, error string"))
    failed = scored.filter("failed").collect()
    assert [(r.series_id, r.fold, r.error, r.mae) for r in failed] == [("a", 1, "ValueError: too short", None)]
    [overall] = accuracy(scored)
    assert overall["model_mase"] == pytest.approx(_expected(ROWS[~((ROWS.series_id == "a") & (ROWS.fold == 1))])[
        "model_mase"])
