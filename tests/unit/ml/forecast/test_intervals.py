"""Prediction intervals from scaled backtest residuals, per step."""
import pytest
from pyspark.sql import functions as F

from shoplake.ml.forecast.intervals import coverage, residual_quantiles, with_intervals


@pytest.fixture(scope="module")
def residuals(spark):
    # step 1: residuals -10..10 (scale 2, so scaled -5..5); step 2: residuals 0..40 (scale 4, scaled 0..10)
    rows = [(1.0, 2.0, 50.0 + r, 50.0) for r in range(-10, 11)] + [(2.0, 4.0, 50.0 + r, 50.0) for r in range(0, 41)]
    return spark.createDataFrame(rows, "horizon double, scale double, actual double, forecast double")


def test_quantiles_are_per_step_and_in_units_of_scale(residuals):
    quantiles = residual_quantiles(residuals, 0.8)
    assert quantiles[1] == pytest.approx((-4.0, 4.0), abs=0.51)
    assert quantiles[2] == pytest.approx((1.0, 9.0), abs=0.51)


def test_intervals_cover_the_asked_share_and_never_go_below_zero(spark, residuals):
    quantiles = residual_quantiles(residuals, 0.8)
    assert coverage(with_intervals(residuals, quantiles)) == pytest.approx(0.8, abs=0.06)
    low = with_intervals(residuals.withColumn("forecast", F.lit(1.0)), quantiles).filter("horizon = 1")
    assert low.agg(F.min("lower")).first()[0] == 0.0
    row = with_intervals(residuals, quantiles).filter("horizon = 2").first()
    assert (row.lower, row.upper) == pytest.approx((50 + 4 * quantiles[2][0], 50 + 4 * quantiles[2][1]))
