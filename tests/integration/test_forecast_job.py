"""Forecasting end to end on real Spark, Delta and MLflow: the demo shop's gold sales to ``gold.forecasts``,
the real monthly retail series, and bad input refused with a sentence a user understands."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from pyspark.sql import functions as F

from shoplake.datasets.convert import convert
from shoplake.lake import open_lake
from shoplake.ml.forecast.features import history_length
from shoplake.ml.forecast.load import FORECASTS, RETAIL_FORECASTS, forecast_demand, forecast_retail_series
from shoplake.ml.forecast.series import ForecastInputError, shop_series
from shoplake.ml.forecast.train import train_forecast
from tests.support.jobs import run_job_main

pytestmark = pytest.mark.slow
COPIED = ("gold.daily_item_sales", "silver.products")


@pytest.fixture(scope="module")
def shop(demo_shop, spark, tmp_path_factory):
    """A lake of our own with copies of the demo shop's sales and products, forecast once."""
    root = tmp_path_factory.mktemp("forecast")
    base = demo_shop["settings"]
    cfg = replace(base, lake=replace(base.lake, root=str(root / "lake")),
                  mlflow=replace(base.mlflow, tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
                                 artifact_root=str(root / "mlartifacts")))
    lake = open_lake(spark, cfg)
    for table in COPIED:
        lake.overwrite(demo_shop["lake"].read(table), table)
    return {"lake": lake, "settings": cfg, "summary": forecast_demand(lake, cfg)}


def test_every_long_enough_product_gets_a_forecast_for_each_day_of_the_horizon(shop):
    fs, lake = shop["settings"].forecast, shop["lake"]
    sales = lake.read("gold.daily_item_sales")
    last = sales.agg(F.max("date")).first()[0]
    firsts = sales.groupBy("product_id").agg(F.min("date").alias("first"))
    needed = history_length(fs) + fs.horizon
    long_enough = {r.product_id for r in firsts.collect() if (last - r.first).days + 1 >= needed}
    rows = lake.read(FORECASTS).collect()
    assert {r.product_id for r in rows} == long_enough and len(rows) == len(long_enough) * fs.horizon
    assert {(r.date - last).days for r in rows} == set(range(1, fs.horizon + 1))
    assert all(r.date == r.origin + timedelta(days=r.horizon) and r.origin == last for r in rows)
    assert all(r.forecast >= 0 and 0 <= r.lower <= r.upper and r.interval_level == fs.interval_level for r in rows)
    assert any(r.upper > r.lower for r in rows)
    assert shop["summary"]["short_series"] == firsts.count() - len(long_enough)


def test_the_run_scores_gbt_beside_the_baselines_and_registers_only_a_winner(shop):
    summary, cfg = shop["summary"], shop["settings"]
    client = MlflowClient(cfg.mlflow.tracking_uri)
    run = client.get_run(summary["run_id"])
    metrics = run.data.metrics
    for model in ("gbt", "naive", "seasonal_naive"):
        assert all(f"{model}_{m}" in metrics for m in ("wape", "smape", "rmse", "mase"))
    assert any(k.startswith("category.") and k.endswith(".gbt_mase") for k in metrics)
    assert all(metrics[f"{model}_mase"] > 0 for model in ("gbt", "naive", "seasonal_naive"))
    assert 0 < metrics["interval_coverage"] <= 1
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"forecast_vs_actual.png", "feature_importances.png", "feature_importances.csv", "backtest_accuracy.png",
            "metrics_by_category.csv", "metrics_by_series.csv", "model"} <= artifacts
    versions = {int(v.version) for v in client.search_model_versions(f"name = '{cfg.forecast.registered_model}'")
                if v.run_id == run.info.run_id}
    assert (run.data.tags["beats_seasonal_naive"] == "true") == bool(versions) == (summary["model_version"] is not None)
    assert run.data.params["table.gold.daily_item_sales.version"] == str(shop["lake"].version("gold.daily_item_sales"))


def test_the_logged_model_fits_the_configured_loss(shop):
    import mlflow

    cfg = shop["settings"]
    mlflow.set_tracking_uri(cfg.mlflow.tracking_uri)
    model = mlflow.spark.load_model(f"runs:/{shop['summary']['run_id']}/model")
    assert model.stages[-1].getLossType() == cfg.forecast.loss == "absolute"


def test_missing_days_are_filled_with_zero_sales_and_counted(shop):
    sales = shop["lake"].read("gold.daily_item_sales")
    last = sales.agg(F.max("date")).first()[0]
    spans = sales.groupBy("product_id").agg(F.min("date").alias("first"), F.count("*").alias("rows")).collect()
    expected = sum((last - r.first).days + 1 - r.rows for r in spans)
    metrics = MlflowClient(shop["settings"].mlflow.tracking_uri).get_run(shop["summary"]["run_id"]).data.metrics
    assert metrics["filled_periods"] == expected > 0


def test_real_monthly_series_are_forecast_from_their_own_last_month(shop, spark):
    cfg = shop["settings"]
    summary = forecast_retail_series(shop["lake"], cfg, ["aus-cafes-restaurants", "souvenir-shop-qld"])
    rows = shop["lake"].read(RETAIL_FORECASTS).collect()
    frame = convert("retail-series", cfg.paths.cache)["item_sales"]
    ends = frame.groupby("item_id")["date"].max()
    starts = {name: min(r.date for r in rows if r.series_id == name) for name in {r.series_id for r in rows}}
    assert starts == {name: (ends[name] + pd.offsets.MonthBegin(1)).date()
                      for name in ("aus-cafes-restaurants", "souvenir-shop-qld")}
    assert str(starts["souvenir-shop-qld"]) == "1994-01-01"  # the souvenir series ends in December 1993
    assert len(rows) == 2 * cfg.forecast.for_frequency("month").horizon
    client = MlflowClient(cfg.mlflow.tracking_uri)
    per_series = client.download_artifacts(summary["run_id"], "metrics_by_series.csv")
    text = open(per_series).read()
    assert "souvenir-shop-qld" in text and "aus-cafes-restaurants" in text
    assert summary["gbt_mase"] > 0 and summary["seasonal_naive_mase"] > 0


def test_series_too_short_for_the_lags_and_horizon_are_refused(shop, spark):
    cfg = shop["settings"]
    sales = shop["lake"].read("gold.daily_item_sales")
    first = sales.agg(F.min("date")).first()[0]
    recent = sales.filter(F.col("date") < F.lit(first + timedelta(days=10)))
    needed = history_length(cfg.forecast) + cfg.forecast.horizon
    with pytest.raises(ForecastInputError, match=f"no series is long enough to forecast: each needs at least {needed} days"):
        train_forecast(shop_series(recent), cfg)


def test_the_job_names_unknown_retail_series(shop, spark):
    with pytest.raises(ForecastInputError, match="unknown retail series nowhere-cafe; known: a"):
        run_job_main(spark, shop["settings"], "train_forecast", "--input", "retail-series", "--series", "nowhere-cafe")
