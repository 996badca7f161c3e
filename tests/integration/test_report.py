"""The HTML report on a copy of the demo shop: every section drawn, logged to MLflow, and opened in a real
headless Chromium (screenshot, DOM and every resource load checked).

The gold tables other jobs build (cohorts, segments, bundles, forecasts, recommendations, sentiment,
anomalies, data quality) are written here as small stand-ins in those jobs' shapes, computed from
the demo shop's own orders, reviews and interactions.
"""
import base64
import re
import shutil
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from matplotlib.image import imread
from mlflow.tracking import MlflowClient
from pyspark.sql import Window
from pyspark.sql import functions as F

from shoplake.lake import open_lake
from shoplake import tracking
from shoplake.quality.results import CheckResult
from shoplake.quality.store import append_results
from shoplake.report.build import FAMILY, build_sections
from shoplake.report.sections import SECTIONS
from tests.support.browser import load_page, require_chromium, serve_directory
from tests.support.jobs import run_job_main

pytestmark = pytest.mark.slow
PLOT_BLUE = (31, 119, 180)  # matplotlib's first colour: bars and lines of the plots, nowhere in the page's CSS


def write_stand_ins(lake):
    """The tables of the analytics, forecast, recommend, sentiment and quality jobs, from the shop's data."""
    lines = lake.read("silver.order_lines")
    first = lines.groupBy("customer_id").agg(F.min("order_time").alias("first"))
    months = lines.join(first, "customer_id").select(
        "customer_id", F.trunc("first", "month").alias("cohort"),
        F.months_between(F.trunc("order_time", "month"), F.trunc("first", "month")).cast("int").alias("period"))
    sizes = months.where("period = 0").groupBy("cohort").agg(F.countDistinct("customer_id").alias("size"))
    lake.overwrite(months.groupBy("cohort", "period").agg(F.countDistinct("customer_id").alias("active")).join(
        sizes, "cohort").select("cohort", "period", (F.col("active") / F.col("size")).alias("retention")),
        "gold.cohort_retention")
    features = lake.read("gold.user_features").where("frequency > 0").withColumn(
        "segment", F.ntile(3).over(Window.orderBy("monetary")) - 1)
    totals = features.agg(F.count("*").alias("n"), F.sum("monetary").alias("m")).first()
    lake.overwrite(features.groupBy("segment").agg(F.count("*").alias("customers"), F.sum("monetary").alias("money"))
                   .select("segment", F.element_at(F.array(*map(F.lit, ["low", "mid", "high"])), F.col("segment") + 1)
                           .alias("segment_name"), "customers", (F.col("customers") / totals.n).alias("customer_share"),
                           (F.col("money") / totals.m).alias("revenue_share")), "gold.segment_summary")
    orders = lines.select("order_id", "product_id").distinct()
    n_orders = orders.select("order_id").distinct().count()
    item = orders.groupBy("product_id").agg(F.count("*").alias("n"))
    pairs = orders.alias("a").join(orders.alias("b"), "order_id").where("a.product_id < b.product_id").groupBy(
        F.col("a.product_id").alias("x"), F.col("b.product_id").alias("y")).agg(F.count("*").alias("both"))
    rules = pairs.join(item.select(F.col("product_id").alias("x"), F.col("n").alias("nx")), "x").join(
        item.select(F.col("product_id").alias("y"), F.col("n").alias("ny")), "y").where("both >= 3")
    lake.overwrite(rules.select(F.array("x").alias("antecedent"), F.col("y").alias("consequent"),
                                (F.col("both") / n_orders).alias("support"), (F.col("both") / F.col("nx")).alias("confidence"),
                                (F.col("both") * n_orders / (F.col("nx") * F.col("ny"))).alias("lift")), "gold.bundles")
    sales = lake.read("gold.daily_item_sales")
    last = sales.agg(F.max("date")).first()[0]
    level = sales.where(F.col("date") > F.lit(last - timedelta(days=28))).groupBy("product_id").agg(
        (F.sum("units") / 28).alias("level"))
    ahead = level.crossJoin(lake.spark.range(1, 15).select(F.col("id").cast("int").alias("horizon")))
    lake.overwrite(ahead.select("product_id", F.date_add(F.lit(last), F.col("horizon")).alias("date"),
                                "horizon", F.col("level").alias("forecast"), (F.col("level") * 0.5).alias("lower"),
                                (F.col("level") * 1.5).alias("upper")), "gold.forecasts")
    interactions = lake.read("gold.user_item_interactions")
    popular = interactions.groupBy("product_id").agg(F.sum("weight").alias("score")).withColumn(
        "rank", F.row_number().over(Window.orderBy(F.desc("score"), "product_id"))).where("rank <= 12")
    users = interactions.select("user_id").distinct()
    recs = users.crossJoin(popular).join(interactions.select("user_id", "product_id"), ["user_id", "product_id"],
                                         "left_anti")
    recs = recs.withColumn("rank", F.row_number().over(Window.partitionBy("user_id").orderBy(F.desc("score"))))
    lake.overwrite(recs.select("user_id", "product_id", "score", "rank", F.lit(False).alias("is_fallback")).unionByName(
        popular.select(F.lit("new-user").alias("user_id"), "product_id", "score", "rank", F.lit(True).alias("is_fallback"))),
        "gold.recommendations")
    mood = F.when(F.col("rating") >= 4, "positive").when(F.col("rating") == 3, "neutral").otherwise("negative")
    lake.overwrite(lake.read("silver.reviews").select("review_id", "product_id", mood.alias("sentiment")),
                   "gold.review_sentiment")
    amounts = lines.groupBy("order_id").agg(F.sum("net_amount").alias("amount"), F.min("order_time").alias("t"))
    cut = amounts.approxQuantile("amount", [0.97], 0.001)[0]
    lake.overwrite(amounts.where(F.col("amount") > cut).select("order_id", F.to_date("t").alias("order_date"),
                                                              F.array(F.lit("high_amount")).alias("reasons")),
                   "gold.anomalies")
    now = datetime.now(timezone.utc)
    check = {"kind": "schema", "expectation": "expect_column_values_to_not_be_null", "observed_value": "0",
             "details": "{}", "table_seconds": 0.1, "table_version": 0}
    append_results(lake, [CheckResult("r1", now - timedelta(days=1), "silver.orders", check="order_id_not_null",
                                      column="order_id", severity="critical", success=True, **check)])
    append_results(lake, [CheckResult("r2", now, table, check=name, column="c", severity=severity, success=ok, **check)
                          for table, name, severity, ok in [
                              ("silver.orders", "order_id_not_null", "critical", True),
                              ("silver.orders", "status_in_set", "critical", False),
                              ("silver.events", "event_id_unique", "warning", True),
                              ("gold.daily_item_sales", "units_positive", "critical", True)]])


@pytest.fixture(scope="module")
def shop(spark, demo_shop, tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    shutil.copytree(demo_shop["settings"].lake.root, root / "lake")
    base = demo_shop["settings"]
    settings = replace(base, lake=replace(base.lake, root=str(root / "lake")))
    lake = open_lake(spark, settings)
    write_stand_ins(lake)
    path = run_job_main(spark, settings, "report", "--out", str(root / "out" / "report.html")).figures["report"]
    return {"settings": settings, "lake": lake, "path": path, "root": root}


def test_every_section_is_drawn_from_its_table(shop):
    html = open(shop["path"], encoding="utf-8").read()
    states = dict(re.findall(r'<section id="(\w+)" data-state="(\w+)"', html))
    assert states == {key: "rendered" for key, _, _ in SECTIONS}
    plots = re.findall(r'<img class="plot" src="data:image/png;base64,([^"]+)"', html)
    assert len(plots) >= len(SECTIONS) - 1  # the recommendation examples are a table of product photos
    for encoded in plots:
        assert base64.b64decode(encoded)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "3 tables checked; 1 check(s) failed." in html and "status_in_set" in html
    assert "gold.user_item_interactions v" in html


def test_the_report_is_logged_to_mlflow_with_the_table_versions_it_read(shop):
    settings, lake = shop["settings"], shop["lake"]
    client = MlflowClient(settings.mlflow.tracking_uri)
    experiment = client.get_experiment_by_name(tracking.experiment_name(settings.mlflow, FAMILY))
    run = client.search_runs([experiment.experiment_id], "metrics.sections_unavailable = 0")[0]
    assert [a.path for a in client.list_artifacts(run.info.run_id)] == ["report.html"]
    assert run.data.metrics == {"sections_drawn": len(SECTIONS), "sections_unavailable": 0}
    versions = tracking.table_versions(settings.mlflow, run.info.run_id)
    assert versions["gold.funnel_daily"] == lake.version("gold.funnel_daily") and "ops.dq_results" in versions


def test_chromium_renders_every_plot_without_loading_anything_else(shop):
    require_chromium()
    folder = shop["root"] / "out"
    with serve_directory(folder) as base:
        page = load_page(base + "report.html", shop["root"] / "browser", window=(1280, 6000))
    assert [r.url for r in page.requests] == [base + "report.html"] and page.failed_requests() == []
    rendered = re.findall(r'<section id="(\w+)" data-state="rendered"', page.dom)
    assert rendered == [key for key, _, _ in SECTIONS]
    assert len(re.findall(r'<img class="plot" src="data:image/png', page.dom)) >= len(SECTIONS) - 1
    pixels = (imread(page.screenshot)[..., :3] * 255).round().astype(int)
    assert pixels.shape[:2] == (6000, 1280)
    blue = np.all(np.abs(pixels - PLOT_BLUE) <= 3, axis=-1)
    assert blue.mean() > 0.002  # bars and lines of the plots were painted
    rows_with_blue = np.flatnonzero(blue.any(axis=1))
    assert rows_with_blue.max() - rows_with_blue.min() > 3000  # in plots all down the page, not in one place


def test_the_browser_check_sees_a_resource_that_fails_to_load(shop, tmp_path):
    require_chromium()
    (tmp_path / "broken.html").write_text('<html><body><img src="missing.png"></body></html>')
    with serve_directory(tmp_path) as base:
        page = load_page(base + "broken.html", tmp_path / "browser", window=(400, 300))
    assert [r.url for r in page.failed_requests()] == [base + "missing.png"]


def test_sections_without_their_table_say_which_job_builds_it(spark, demo_shop, tmp_path):
    settings = demo_shop["settings"]
    path = run_job_main(spark, settings, "report", "--out", str(tmp_path / "report.html")).figures["report"]
    html = open(path, encoding="utf-8").read()
    states = dict(re.findall(r'<section id="(\w+)" data-state="(\w+)"', html))
    assert states["funnel"] == "rendered"
    assert {k for k, v in states.items() if v == "unavailable"} == {k for k, _, _ in SECTIONS} - {"funnel"}
    assert "not built yet: gold.cohort_retention is missing; run `shoplake run analytics --only cohorts`" in html
    assert "not built yet: gold.forecasts is missing; run `shoplake run train_forecast`" in html


def test_a_table_without_the_columns_a_section_reads_is_named(spark, settings, tmp_path):
    own = replace(settings, lake=replace(settings.lake, root=str(tmp_path / "lake")))
    lake = open_lake(spark, own)
    lake.overwrite(spark.createDataFrame([(["p1"], "p2", 0.1)], "antecedent array<string>, consequent string, "
                                                                  "support double"), "gold.bundles")
    sections, versions = build_sections(lake, own)
    bundles = next(s for s in sections if s.key == "bundles")
    assert bundles.content is None and "gold.bundles lacks the column(s) confidence, lift" in bundles.unavailable
    assert versions == {"gold.bundles": 0} and all(s.content is None for s in sections)
