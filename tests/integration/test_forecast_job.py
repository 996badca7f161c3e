"""Forecasting end to end on real Spark, Delta, MLflow and statsforecast: the demo shop's gold sales to
``gold.forecasts`` with every family backtested and one chosen per product, the real monthly retail series, a
user's own weekly and quarterly files, and bad input refused with a sentence a user understands."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from pyspark.sql import functions as F

from shoplake.datasets.convert import convert
from shoplake.lake import open_lake
from shoplake.ml.forecast.features import history_length
from shoplake.ml.forecast.load import forecast_demand, forecast_series
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
    return {"lake": lake, "settings": cfg, "summary": forecast_demand(lake, cfg), "root": root}


@pytest.fixture(scope="module")
def retail(shop):
    """The real monthly retail series forecast into gold.series_forecasts, registering the forecaster if it wins."""
    summary = forecast_series(shop["lake"], shop["settings"], "retail-series", register=True)
    return {"summary": summary, "rows": shop["lake"].read("gold.series_forecasts").toPandas(),
            "backtest": shop["lake"].read("gold.series_forecast_backtest").toPandas()}


def test_every_long_enough_product_gets_a_forecast_for_each_day_of_the_horizon(shop):
    fs, lake = shop["settings"].forecast, shop["lake"]
    sales = lake.read("gold.daily_item_sales")
    last = sales.agg(F.max("date")).first()[0]
    firsts = sales.groupBy("product_id").agg(F.min("date").alias("first"))
    needed = history_length(fs) + fs.horizon
    long_enough = {r.product_id for r in firsts.collect() if (last - r.first).days + 1 >= needed}
    rows = lake.read("gold.forecasts").collect()
    assert {r.product_id for r in rows} == long_enough and len(rows) == len(long_enough) * fs.horizon
    assert {(r.date - last).days for r in rows} == set(range(1, fs.horizon + 1))
    assert all(r.date == r.origin + timedelta(days=r.horizon) and r.origin == last for r in rows)
    assert all(r.forecast >= 0 and 0 <= r.lower <= r.upper and r.interval_level == fs.interval_level for r in rows)
    assert all(r.family in fs.families for r in rows) and any(r.upper > r.lower for r in rows)
    assert len({(r.product_id, r.family) for r in rows}) == len(long_enough)  # one family per product
    assert shop["summary"]["short_series"] == firsts.count() - len(long_enough)


def test_the_backtest_table_scores_every_family_on_every_product_and_fold_and_marks_the_chosen_one(shop):
    fs, lake = shop["settings"].forecast, shop["lake"]
    backtest = lake.read("gold.forecast_backtest").toPandas()
    products = set(lake.read("gold.forecasts").select("product_id").distinct().toPandas().product_id)
    assert set(backtest.product_id) == products and set(backtest.family) == set(fs.families)
    assert set(backtest.fold) == set(range(fs.folds))
    full = backtest.groupby(["product_id", "fold"]).family.nunique()
    assert (full == len(fs.families)).all()
    chosen = backtest[backtest.chosen].groupby("product_id").family.agg(set)
    published = lake.read("gold.forecasts").groupBy("product_id").agg(F.first("family").alias("family")).toPandas()
    assert (chosen.apply(len) == 1).all()
    assert {p: f.pop() for p, f in chosen.items()} == dict(zip(published.product_id, published.family))
    scored = backtest[~backtest.failed]
    assert (scored.mae >= 0).all() and scored.mase.notna().any() and (scored.n == fs.horizon).all()
    assert scored.abs_error.to_numpy() == pytest.approx((scored.mae * scored.n).to_numpy())


def _honest_selected_mase(backtest: pd.DataFrame, families: tuple, margin: float) -> float:
    """The selected MASE recomputed from the backtest table: fold 1 forecast by the family chosen on fold 0."""
    earlier, later = backtest[backtest.fold == 0], backtest[backtest.fold == 1].set_index(["product_id", "family"])
    fitted = earlier[~earlier.failed]
    score = fitted.assign(score=lambda f: f.mase.fillna(f.mae)).pivot(index="product_id", columns="family",
                                                                      values="score")
    pooled = fitted.groupby("family").abs_error.sum() / fitted.groupby("family").volume.sum()  # WAPE per family
    default = min(score.columns, key=lambda f: (-score[f].count(), pooled[f], families.index(f)))
    best = score.apply(lambda row: min(row.dropna().index, key=lambda f: (row[f], families.index(f))), axis=1)
    picked = {p: best[p] if score.at[p, best[p]] < (1 - margin) * score.at[p, default] else default for p in score.index}
    counts = pd.Series(picked).value_counts()
    most_won = min(counts.index, key=lambda f: (-counts[f], f))  # for a product too young for fold 0
    products = set(later.index.get_level_values("product_id"))
    picked.update({p: most_won for p in products - set(picked)})
    return float(np.nanmean([later.at[(p, f), "mase"] for p, f in picked.items() if (p, f) in later.index]))


def test_the_run_scores_each_family_and_the_selection_honestly_and_registers_only_a_winner(shop):
    summary, cfg, fs = shop["summary"], shop["settings"], shop["settings"].forecast
    client = MlflowClient(cfg.mlflow.tracking_uri)
    run = client.get_run(summary["run_id"])
    metrics = run.data.metrics
    for model in (*fs.families, "selected"):
        assert all(f"{model}_{m}" in metrics for m in ("wape", "smape", "rmse", "mase"))
    backtest = shop["lake"].read("gold.forecast_backtest").toPandas()
    assert metrics["selected_mase"] == pytest.approx(_honest_selected_mase(backtest, fs.families, fs.selection_margin))
    shares = {k.split(".", 1)[1]: v for k, v in metrics.items() if k.startswith("won_share.")}
    chosen = backtest[backtest.chosen].drop_duplicates("product_id").family.value_counts(normalize=True)
    assert shares == pytest.approx(chosen.to_dict()) and sum(shares.values()) == pytest.approx(1.0)
    assert 0 < metrics["interval_coverage"] <= 1
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"forecast_vs_actual.png", "backtest_accuracy.png", "families_won.png", "metrics_by_category.csv",
            "metrics_by_series.csv"} <= artifacts
    if "gbt" in shares:
        assert {"feature_importances.png", "feature_importances.csv"} <= artifacts
    versions = {int(v.version) for v in client.search_model_versions(f"name = '{fs.registered_model}'")
                if v.run_id == run.info.run_id}
    beats = metrics["selected_mase"] < metrics["seasonal_naive_mase"]
    assert (run.data.tags["beats_seasonal_naive"] == str(beats).lower()) and bool(versions) == beats
    assert (summary["model_version"] is not None) == beats
    assert run.data.params["table.gold.daily_item_sales.version"] == str(shop["lake"].version("gold.daily_item_sales"))


def test_missing_days_are_filled_with_zero_sales_and_counted(shop):
    sales = shop["lake"].read("gold.daily_item_sales")
    last = sales.agg(F.max("date")).first()[0]
    spans = sales.groupBy("product_id").agg(F.min("date").alias("first"), F.count("*").alias("rows")).collect()
    expected = sum((last - r.first).days + 1 - r.rows for r in spans)
    metrics = MlflowClient(shop["settings"].mlflow.tracking_uri).get_run(shop["summary"]["run_id"]).data.metrics
    assert metrics["filled_periods"] == expected > 0


def test_real_monthly_series_are_forecast_from_their_own_last_month(shop, retail):
    cfg, rows = shop["settings"], retail["rows"]
    monthly = cfg.forecast.for_frequency("month")
    frame = convert("retail-series", cfg.paths.cache)["item_sales"]
    ends = frame.groupby("item_id")["date"].max()
    starts = rows.groupby("series_id").date.min().to_dict()
    assert starts == {name: (ends[name] + pd.offsets.MonthBegin(1)).date() for name in ends.index}
    assert str(starts["souvenir-shop-qld"]) == "1994-01-01"  # the souvenir series ends in December 1993
    assert len(rows) == len(ends) * monthly.horizon and set(rows.family) <= set(monthly.families)
    assert set(retail["backtest"].family) == set(monthly.families)  # ARIMA, CES and the combination among them
    assert retail["summary"]["frequency"] == "month" and retail["summary"]["selected_mase"] > 0


def test_the_logged_forecaster_reproduces_the_published_forecasts(shop, retail):
    mlflow.set_tracking_uri(shop["settings"].mlflow.tracking_uri)
    model = mlflow.pyfunc.load_model(f"runs:/{retail['summary']['run_id']}/model")
    frame = convert("retail-series", shop["settings"].paths.cache)["item_sales"]
    history = frame.rename(columns={"item_id": "series_id", "revenue": "y"})[["series_id", "date", "y"]]
    predicted = model.predict(history.assign(date=pd.to_datetime(history.date).dt.date))
    published = retail["rows"]
    local = published[published.family != "gbt"]
    assert not local.empty
    merged = local.merge(predicted, on=["series_id", "date"], suffixes=("", "_model"))
    assert len(merged) == len(local) and (merged.family == merged.family_model).all()
    assert merged.forecast_model.to_numpy() == pytest.approx(merged.forecast.to_numpy(), rel=1e-6)


def _weekly_csv(path, weeks: int = 156) -> None:
    rng = np.random.default_rng(3)
    first = date(2021, 1, 3)  # a Sunday
    rows = [(store, first + timedelta(weeks=w), float(rng.poisson(40 + 15 * np.sin(2 * np.pi * w / 52) + 10 * s)))
            for s, store in enumerate(("north", "south", "east")) for w in range(weeks)]
    pd.DataFrame(rows, columns=["store", "week_start", "sales"]).to_csv(path, index=False)


def test_a_users_weekly_csv_is_forecast_with_its_frequency_inferred(shop, spark, tmp_path):
    _weekly_csv(tmp_path / "weekly.csv")
    outcome = run_job_main(spark, shop["settings"], "train_forecast", "--input", str(tmp_path / "weekly.csv"),
                           "--id-column", "store", "--date-column", "week_start", "--value-column", "sales",
                           "--no-register")
    assert outcome.figures["frequency"] == "week"
    rows = shop["lake"].read("gold.series_forecasts").toPandas()
    weekly = shop["settings"].forecast.for_frequency("week")
    assert sorted(rows.series_id.unique()) == ["east", "north", "south"] and len(rows) == 3 * weekly.horizon
    last_monday = date(2021, 1, 3) + timedelta(weeks=155) - timedelta(days=6)
    assert set(rows.origin) == {last_monday}  # Sunday dates belong to the week starting the Monday before
    assert sorted(set(rows.date)) == [last_monday + timedelta(weeks=k) for k in range(1, weekly.horizon + 1)]
    assert set(shop["lake"].read("gold.series_forecast_backtest").toPandas().family) == set(weekly.families)


def test_a_users_quarterly_parquet_with_month_end_dates(shop, spark, tmp_path):
    quarters = pd.period_range("2008Q1", periods=48, freq="Q")
    values = [100 + 20 * (q.quarter == 4) + i for i, q in enumerate(quarters)]
    pd.DataFrame({"series_id": "shop", "date": quarters.end_time.date, "y": values}).to_parquet(
        tmp_path / "quarterly.parquet")
    outcome = run_job_main(spark, shop["settings"], "train_forecast", "--input", str(tmp_path / "quarterly.parquet"),
                           "--no-register")
    assert outcome.figures["frequency"] == "quarter"
    rows = shop["lake"].read("gold.series_forecasts").toPandas().sort_values("horizon")
    assert list(rows.date) == [date(2020, 1, 1), date(2020, 4, 1), date(2020, 7, 1), date(2020, 10, 1)]
    assert rows.forecast.iloc[3] > rows.forecast.iloc[2]  # the fourth quarter's peak is learnt


def test_an_irregular_series_is_refused_with_its_name(shop, spark, tmp_path):
    days = [date(2024, 1, 1) + timedelta(days=14 * k) for k in range(30)]
    pd.DataFrame({"series_id": "fortnightly", "date": days, "y": 1.0}).to_csv(tmp_path / "odd.csv", index=False)
    with pytest.raises(ForecastInputError, match="series 'fortnightly' has dates 2024-01-01 and 2024-01-15, 14 days"):
        run_job_main(spark, shop["settings"], "train_forecast", "--input", str(tmp_path / "odd.csv"))


def test_series_too_short_for_the_lags_and_horizon_are_refused(shop):
    cfg = shop["settings"]
    sales = shop["lake"].read("gold.daily_item_sales")
    first = sales.agg(F.min("date")).first()[0]
    recent = sales.filter(F.col("date") < F.lit(first + timedelta(days=10)))
    needed = history_length(cfg.forecast) + cfg.forecast.horizon
    with pytest.raises(ForecastInputError, match=f"no series is long enough to forecast: each needs at least {needed} days"):
        train_forecast(shop_series(recent), cfg)


def test_the_job_names_unknown_series(shop, spark):
    with pytest.raises(ForecastInputError, match="unknown series nowhere-cafe in retail-series; known: a"):
        run_job_main(spark, shop["settings"], "train_forecast", "--input", "retail-series", "--series", "nowhere-cafe")
