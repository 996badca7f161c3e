"""A shop that sends orders only (no clickstream, product catalogue or reviews), through the pipeline: the gold
tables orders allow, analytics, the recommender and the forecast on them; the funnel, the ingest and the deep
learning steps without their inputs reported as not run with the reason; the references quality cannot check
recorded as skipped. Real Spark, Delta, Great Expectations and MLflow, in temp dirs."""
from __future__ import annotations

import io
import logging
import math
import re
import shutil
from contextlib import redirect_stdout
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from pyspark.sql import functions as F

from mlflow.tracking import MlflowClient

from shoplake import tracking
from shoplake.datasets.generator import generate, make_config
from shoplake.lake import open_lake
from shoplake.quality.store import latest_results
from shoplake.schemas import REVENUE_STATUSES
from shoplake.steps.context import StepNotRun
from tests.support.jobs import run_job_main

pytestmark = pytest.mark.slow

NOT_RUN = {"ingest_clickstream": "no clickstream", "ingest_catalog": "no product catalogue and no reviews",
           "train_sentiment": "no reviews", "score_reviews": "no reviews",
           "train_image_model": "no product catalogue", "embed_images": "no product catalogue"}
DONE = ("ingest_orders", "quality_silver", "build_gold", "quality_gold", "forecast", "analytics", "privacy_check",
        "report")


class Collected(logging.Handler):
    """The project's log lines, kept in a list."""

    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def shop(spark, settings, tmp_path_factory):
    """A generated shop (500 users, 60 days) whose clickstream, products and reviews are deleted before the
    pipeline runs on it from its first ingest step on, with its own lake and MLflow store (the recommender
    tries its blend with popularity only)."""
    root = tmp_path_factory.mktemp("orders-only")
    inputs = root / "inputs"
    config = make_config("small", users=500, days=60, seed=11, start_date=date(2024, 1, 1), corruption={})
    generate(spark, config, str(inputs), str(root / "truth"), settings.paths.cache)
    for source in ("clickstream", "products", "reviews"):
        shutil.rmtree(inputs / source)
    cfg = replace(settings, lake=replace(settings.lake, root=str(root / "lake")),
                  paths=replace(settings.paths, inputs=str(inputs)),
                  mlflow=replace(settings.mlflow, tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
                                 artifact_root=str(root / "mlartifacts")),
                  report=replace(settings.report, output=str(root / "report.html")),
                  als=replace(settings.als, families=("als+popularity",)))
    logs, printed = Collected(), io.StringIO()
    logging.getLogger("shoplake").addHandler(logs)
    try:
        with redirect_stdout(printed):  # from ingest on: demo_data is the demo shop for an empty inputs folder
            run_job_main(spark, cfg, "pipeline", "--from", "ingest_clickstream")
    finally:
        logging.getLogger("shoplake").removeHandler(logs)
    lake = open_lake(spark, cfg)
    steps = {r.step: r for r in lake.read("ops.pipeline_runs").collect()}
    return {"lake": lake, "settings": cfg, "logs": logs.lines, "summary": printed.getvalue(), "steps": steps}


def test_the_pipeline_runs_what_orders_allow_and_names_what_it_left_out(shop):
    steps = shop["steps"]
    assert {name: r.error for name, r in steps.items() if r.status == "not_run" and name != "recommend"} == NOT_RUN
    assert all(steps[name].status == "succeeded" for name in DONE), {n: steps[n].status for n in DONE}
    assert re.search(r"\n +ingest_clickstream +not run: no clickstream\n", shop["summary"])
    assert steps["build_gold"].figures["funnel_daily"] == "no clickstream"
    assert steps["analytics"].figures["funnel"] == "no clickstream"
    assert {steps["analytics"].figures[p] for p in ("cohorts", "segments", "bundles", "anomalies", "churn")} == {"done"}
    gold_lines = [line for line in shop["logs"] if line.startswith("build_gold: no clickstream")]
    assert len(gold_lines) == 1 and "gold.funnel_daily not built" in gold_lines[0]
    assert sum("funnel not run: no clickstream" in line for line in shop["logs"]) == 1


def test_gold_user_features_measure_recency_from_the_last_order(shop):
    lake = shop["lake"]
    lines = lake.read("silver.order_lines").toPandas()
    as_of = datetime.combine(lines["order_time"].max().date() + timedelta(days=1), datetime.min.time())
    counted = lines[lines["status"].isin(REVENUE_STATUSES)]
    last = counted.groupby("customer_id")["order_time"].max()
    expected = {user: math.floor((as_of - when).total_seconds() / 86400) for user, when in last.items()}
    frequency = counted.groupby("customer_id")["order_id"].nunique().to_dict()
    features = {r.user_id: r for r in lake.read("gold.user_features").collect()}
    assert set(features) == set(lines["customer_id"])  # every customer who ordered, bought or not
    assert {u: r.recency_days for u, r in features.items() if r.recency_days is not None} == expected
    assert {u: r.frequency for u, r in features.items() if r.frequency} == frequency
    assert {r.as_of for r in features.values()} == {as_of}
    assert all(r.sessions is None and r.conversion_rate is None and r.days_since_seen is None
               for r in features.values())
    assert min(expected.values()) == 0 and max(expected.values()) >= 30


def test_interactions_are_the_purchases_weighted_like_a_purchase_event(shop):
    lake, weight = shop["lake"], shop["settings"].gold.interaction_weights["purchase"]
    lines = lake.read("silver.order_lines")
    per_pair = lines.groupBy(F.col("customer_id").alias("user_id"), "product_id").agg(F.count("*").alias("n"),
                                                                                     F.max("order_time").alias("t"))
    interactions = lake.read("gold.user_item_interactions")
    joined = interactions.join(per_pair, ["user_id", "product_id"], "full").collect()
    assert len(joined) == lines.select("customer_id", "product_id").distinct().count() > 100
    assert all(r.weight == r.n * weight and r.n_purchases == r.n_events == r.n and r.last_event_time == r.t
               for r in joined)
    assert not lake.exists("gold.funnel_daily") and not lake.exists("silver.events")
    assert lake.read("gold.daily_item_sales").count() > 0


def test_analytics_segment_score_churn_and_find_bundles_on_orders_alone(shop):
    lake = shop["lake"]
    customers = lake.read("gold.user_features").filter("frequency >= 1").count()
    assert lake.read("gold.rfm_segments").count() == customers
    assert lake.read("gold.segment_summary").count() >= 2
    churn = lake.read("gold.churn_scores")
    assert churn.count() > 20 and churn.filter("churn_probability between 0 and 1").count() == churn.count()
    assert churn.filter("sessions is not null or conversion_rate is not null").count() == 0
    assert lake.read("gold.cohort_retention").count() > 0 and lake.exists("gold.bundles")
    assert lake.read("gold.anomalies").filter(F.array_contains("reasons", "no_browsing")).count() == 0
    assert not lake.exists("gold.funnel")


def test_the_recommender_trains_on_purchases_and_the_forecast_on_daily_sales(shop):
    lake, settings, recommend = shop["lake"], shop["settings"], shop["steps"]["recommend"]
    client = MlflowClient(settings.mlflow.tracking_uri)
    experiment = client.get_experiment_by_name(tracking.experiment_name(settings.mlflow, "als"))
    runs = client.search_runs([experiment.experiment_id], "attributes.run_name = 'train_als'")
    interactions = lake.version("gold.user_item_interactions")
    assert [r.data.params["table.gold.user_item_interactions.version"] for r in runs] == [str(interactions)]
    assert recommend.status == "succeeded" and recommend.figures["model_version"] == "1", recommend.error
    assert float(recommend.figures["ndcg_at_k"]) > float(recommend.figures["popularity_ndcg_at_k"]) > 0
    recs = lake.read("gold.recommendations").filter(~F.col("is_fallback"))
    buyers = lake.read("gold.user_item_interactions").select("user_id").distinct()
    assert recs.join(buyers, "user_id", "left_semi").select("user_id").distinct().count() == buyers.count()
    assert recs.join(lake.read("gold.user_item_interactions"), ["user_id", "product_id"], "left_semi").count() == 0
    forecasts = lake.read("gold.forecasts")
    assert forecasts.count() > 0 and set(forecasts.columns) >= {"product_id", "date", "forecast", "lower", "upper"}
    assert forecasts.select("category").distinct().collect()[0].category == "unknown"  # no catalogue


def test_quality_records_the_references_to_the_missing_catalogue_as_skipped(shop):
    checked = ["silver.order_lines", "gold.daily_item_sales", "gold.user_item_interactions"]
    latest = latest_results(shop["lake"], checked)
    for table, results in latest.items():
        known = {r.check: r for r in results}["product_id_known"]
        assert known.skipped and not known.failed and known.success is None, table
        assert known.details_dict()["skipped"] == "silver.products is not in the lake (no product catalogue)"
        assert known.reference_versions == {"silver.products": None}
        assert not any(r.failed_critical for r in results), table
    assert set(latest) == set(checked)


def test_the_scoring_jobs_run_alone_say_what_the_shop_does_not_send(shop, spark):
    with pytest.raises(StepNotRun, match=r"^no reviews: silver\.reviews not in the lake"):
        run_job_main(spark, shop["settings"], "score_reviews")
    with pytest.raises(StepNotRun, match=r"^no product catalogue: silver\.products not in the lake"):
        run_job_main(spark, shop["settings"], "embed_images")


def test_the_report_says_there_is_no_clickstream_and_no_reviews(shop):
    html = open(shop["settings"].report.output, encoding="utf-8").read()
    sections = dict(re.findall(r'<section id="(\w+)" data-state="\w+">\s*<h2>[^<]*</h2>\s*<p class="\w+">([^<]*)</p>',
                               html))
    assert sections["funnel"].startswith("no clickstream: silver.events and silver.sessions not in the lake")
    assert sections["sentiment"].startswith("no reviews: silver.reviews not in the lake")
    assert "check(s) skipped" in sections["data_quality"]
    for key in ("cohorts", "segments", "forecasts", "anomalies"):
        assert f'<section id="{key}" data-state="rendered">' in html
