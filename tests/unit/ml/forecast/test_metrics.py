"""Backtest accuracy: WAPE, sMAPE, RMSE and MASE against their textbook definitions, per group and overall."""
import numpy as np
import pandas as pd
import pytest

from shoplake.ml.forecast.metrics import accuracy

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


@pytest.fixture(scope="module")
def results(spark):
    return spark.createDataFrame(ROWS)


def test_overall_metrics_match_their_definitions(results):
    [overall] = accuracy(results, ["model"])
    assert {k: overall[k] for k in _expected(ROWS)} == pytest.approx(_expected(ROWS))
    assert (overall["series"], overall["series_without_mase"]) == (3, 1)


def test_metrics_per_group(results):
    by = {g["category"]: g for g in accuracy(results, ["model"], by=["category"])}
    for category, frame in ROWS.groupby("category"):
        assert {k: by[category][k] for k in _expected(frame)} == pytest.approx(_expected(frame))


def test_a_perfect_forecast_scores_zero_and_several_models_are_scored_side_by_side(results):
    [overall] = accuracy(results.withColumn("perfect", results.actual), ["model", "perfect"])
    assert [overall[f"perfect_{m}"] for m in ("wape", "smape", "rmse", "mase")] == [0.0, 0.0, 0.0, 0.0]
    assert overall["model_mase"] > 0
