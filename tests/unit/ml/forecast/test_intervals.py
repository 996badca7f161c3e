"""Prediction intervals: the model's own kept, the others from scaled backtest residuals per family and step."""
import pytest
from pyspark.sql import functions as F

from shoplake.ml.forecast.intervals import coverage, residual_quantiles, with_intervals

SCHEMA = "family string, horizon int, scale double, actual double, forecast double, lower double, upper double"


@pytest.fixture(scope="module")
def residuals(spark):
    # gbt step 1: residuals -10..10 (scale 2, so scaled -5..5); step 2: residuals 0..40 (scale 4, scaled 0..10);
    # naive step 1: residuals 0..20 at scale 1
    rows = ([("gbt", 1, 2.0, 50.0 + r, 50.0, None, None) for r in range(-10, 11)]
            + [("gbt", 2, 4.0, 50.0 + r, 50.0, None, None) for r in range(0, 41)]
            + [("naive", 1, 1.0, 50.0 + r, 50.0, None, None) for r in range(0, 21)])
    return spark.createDataFrame(rows, SCHEMA)


def test_quantiles_are_per_family_and_step_in_units_of_scale(residuals):
    quantiles = residual_quantiles(residuals, 0.8)
    assert quantiles[("gbt", 1)] == pytest.approx((-4.0, 4.0), abs=0.51)
    assert quantiles[("gbt", 2)] == pytest.approx((1.0, 9.0), abs=0.51)
    assert quantiles[("naive", 1)] == pytest.approx((2.0, 18.0), abs=1.01)


def test_intervals_cover_the_asked_share_and_never_go_below_zero(residuals):
    quantiles = residual_quantiles(residuals, 0.8)
    gbt = residuals.filter("family = 'gbt'")
    assert coverage(with_intervals(gbt, quantiles)) == pytest.approx(0.8, abs=0.06)
    low = with_intervals(gbt.withColumn("forecast", F.lit(1.0)), quantiles).filter("horizon = 1")
    assert low.agg(F.min("lower")).first()[0] == 0.0
    row = with_intervals(gbt, quantiles).filter("horizon = 2").first()
    assert (row.lower, row.upper) == pytest.approx((50 + 4 * quantiles[("gbt", 2)][0], 50 + 4 * quantiles[("gbt", 2)][1]))


def test_a_models_own_interval_is_kept(spark, residuals):
    quantiles = residual_quantiles(residuals, 0.8)
    own = spark.createDataFrame([("auto_ets", 1, 2.0, 50.0, 50.0, 45.0, 56.0)], SCHEMA)
    row = with_intervals(own, quantiles).first()
    assert (row.lower, row.upper) == (45.0, 56.0)
    unknown = with_intervals(own.withColumn("lower", F.lit(None).cast("double")), quantiles).first()
    assert unknown.lower == 50.0  # no residuals for this family and step: the forecast itself
