"""The analytics job on the generated demo shop, scored against the generator's planted signals.

The job runs once (all parts) on a copy of the demo shop's input tables in a lake of its own;
each test reads the gold tables, the job's JSON output and the MLflow runs it left.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from pyspark.sql import functions as F

from shoplake.analytics.errors import AnalyticsError
from shoplake.analytics.on_lake import PARTS, run_analytics
from shoplake.analytics.truth import GroundTruth
from shoplake.datasets.generator.sessions import MAX_PROBABILITY
from shoplake.lake import open_lake
from shoplake import tracking
from shoplake.schemas import REVENUE_STATUSES
from tests.support.jobs import run_job_main

pytestmark = pytest.mark.slow

KEY = "demo-shop-pseudonym-key"
INPUTS = ("silver.events", "silver.sessions", "silver.order_lines", "gold.user_features")


@pytest.fixture(scope="module")
def shop(spark, demo_shop, tmp_path_factory):
    """The analytics job run on a copy of the demo shop's inputs: its settings, lake, output and truth."""
    root = tmp_path_factory.mktemp("analytics")
    base = demo_shop["settings"]
    settings = dataclasses.replace(
        base, lake=dataclasses.replace(base.lake, root=str(root / "lake")),
        mlflow=dataclasses.replace(base.mlflow, tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
                                   artifact_root=str(root / "mlartifacts")),
        privacy=dataclasses.replace(base.privacy, key=KEY))
    lake = open_lake(spark, settings)
    for name in INPUTS:
        lake.overwrite(demo_shop["lake"].read(name), name)
    run_job_main(spark, settings, "analytics", "--truth", str(demo_shop["truth"]), "--output", str(root / "out.json"))
    params = json.loads((Path(demo_shop["truth"]) / "params.json").read_text())
    return {"settings": settings, "lake": lake, "out": json.loads((root / "out.json").read_text()),
            "params": params, "truth": GroundTruth(str(demo_shop["truth"]), KEY.encode())}


def test_checkout_to_purchase_matches_the_planted_rate_per_device(shop):
    """The generator buys after a checkout with probability min(0.7 x device x channel effect, 0.95)."""
    params = shop["params"]
    cells = shop["lake"].read("gold.funnel").filter("variant = 'session'").groupBy("device", "channel").pivot(
        "step", ["begin_checkout", "purchase"]).agg(F.sum("units")).collect()
    for device in ("mobile", "desktop", "tablet"):
        mine = [c for c in cells if c.device == device and c.begin_checkout]
        checkouts = sum(c.begin_checkout for c in mine)
        expected = sum(c.begin_checkout * min(params["checkout_to_purchase"] * params["device_effect"][device]
                                              * params["channel_effect"][c.channel], MAX_PROBABILITY)
                       for c in mine) / checkouts
        observed = sum(c.purchase for c in mine) / checkouts
        assert abs(observed - expected) < 4 * (expected * (1 - expected) / checkouts) ** 0.5 + 0.01, device


def test_funnel_variants_and_totals_agree_with_silver_sessions(shop):
    lake = shop["lake"]
    steps = {(r.variant, r.step): r for r in lake.read("gold.funnel_steps").collect()}
    viewing = lake.read("silver.sessions").filter("n_product_view > 0").count()
    assert steps[("session", "product_view")].units == viewing
    assert steps[("within_7d", "purchase")].overall_conversion > steps[("session", "purchase")].overall_conversion
    sums = {(r.variant, r.step): r.units for r in lake.read("gold.funnel").groupBy("variant", "step").agg(
        F.sum("units").alias("units")).collect()}
    assert sums == {key: row.units for key, row in steps.items()}
    cart = steps[("session", "add_to_cart")]
    assert cart.drop_off == steps[("session", "product_view")].units - cart.units


def test_cohorts_cover_every_customer_once(shop):
    lake = shop["lake"]
    cells = lake.read("gold.cohort_retention")
    assert cells.filter("period = 0 AND retention != 1.0").count() == 0
    assert cells.filter("retention < 0 OR retention > 1").count() == 0
    counted = lake.read("silver.order_lines").filter(F.col("status").isin(*REVENUE_STATUSES))
    per_customer = counted.groupBy("customer_id").agg(F.countDistinct("order_id").alias("orders"))
    sizes = cells.filter("period = 0").agg(F.sum("cohort_size")).first()[0]
    assert sizes == per_customer.count()
    repeat = per_customer.filter("orders >= 2").count() / per_customer.count()
    assert shop["out"]["cohorts"]["repeat_purchase_rate"] == pytest.approx(repeat)


def test_segments_chosen_by_silhouette_and_named_by_rules(shop):
    lake, cfg = shop["lake"], shop["settings"].analytics
    summary = lake.read("gold.segment_summary").collect()
    k = summary[0].k
    assert cfg.segment_k_min <= k <= cfg.segment_k_max and len(summary) == k
    assert {r.segment_name for r in summary} <= {*cfg.segment_rules, cfg.segment_default_name}
    assert sum(r.revenue_share for r in summary) == pytest.approx(1.0, abs=1e-3)
    customers = lake.read("gold.user_features").filter("frequency >= 1").count()
    assert lake.read("gold.rfm_segments").filter(F.col("segment_name").isNotNull()).count() == customers
    run_id = _runs(shop)["segments"].info.run_id
    history = MlflowClient(shop["settings"].mlflow.tracking_uri).get_metric_history(run_id, "silhouette")
    tried = {m.step: m.value for m in history}
    assert set(tried) == set(range(cfg.segment_k_min, cfg.segment_k_max + 1)) and max(tried, key=tried.get) == k


def test_bundles_recover_the_planted_pairs(shop):
    found, cfg = shop["out"]["bundles"], shop["settings"].analytics
    assert found["pair_recall"] >= 0.5 and found["pair_precision"] >= 0.5
    rules = shop["lake"].read("gold.bundles")
    assert rules.filter((F.col("lift") < cfg.bundle_min_lift) | (F.col("support") < cfg.bundle_min_support)
                        | (F.col("confidence") < cfg.bundle_min_confidence)).count() == 0


def test_anomalies_find_the_planted_orders(shop):
    found = shop["out"]["anomalies"]
    assert found["planted"] >= 5
    assert found["recall"] >= 0.8 and found["precision"] >= 0.7
    assert found["recall_fraud_amount"] == 1.0 and found["recall_burst"] == 1.0
    flagged = shop["lake"].read("gold.anomalies")
    assert flagged.count() == found["flagged"] and flagged.filter("score < 1 OR size(reasons) = 0").count() == 0


def test_churn_scores_rank_planted_churners_higher(shop):
    found, lake = shop["out"]["churn"], shop["lake"]
    assert 0.0 < found["base_rate"] < 1.0 and found["model_auc"] > 0.5 and found["baseline_auc"] > 0.5
    scores = lake.read("gold.churn_scores")
    planted = shop["truth"].users(lake.spark).select("user_id", F.col("churn_date").isNotNull().alias("planted"))
    means = {r.planted: r.p for r in scores.join(planted, "user_id").groupBy("planted").agg(
        F.avg("churn_probability").alias("p")).collect()}
    assert means[True] > means[False]
    deciles = {r.risk_decile: r.p for r in scores.groupBy("risk_decile").agg(F.avg("churn_probability").alias(
        "p")).collect()}
    assert set(deciles) == set(range(1, 11)) and deciles[1] > deciles[10]


def test_each_part_is_an_mlflow_run_with_inputs_and_figures(shop):
    client = MlflowClient(shop["settings"].mlflow.tracking_uri)
    runs = _runs(shop)
    assert set(runs) == set(PARTS)
    assert tracking.table_versions(shop["settings"].mlflow, runs["churn"].info.run_id) == {
        "silver.events": 0, "silver.order_lines": 0}
    figures = {part: {a.path for a in client.list_artifacts(run.info.run_id)} for part, run in runs.items()}
    for part, figure in (("funnel", "funnel.png"), ("cohorts", "cohort_retention.png"), ("segments", "segments.png"),
                         ("anomalies", "anomalies.png"), ("churn", "churn.png")):
        assert figure in figures[part]


def test_unknown_parts_and_missing_tables_are_clear_errors(spark, shop, tmp_path):
    with pytest.raises(AnalyticsError, match="unknown analytics part.*funel"):
        run_analytics(shop["lake"], shop["settings"], ["funel"])
    empty = dataclasses.replace(shop["settings"], lake=dataclasses.replace(shop["settings"].lake, root=str(tmp_path)))
    with pytest.raises(AnalyticsError, match="bundles needs silver.order_lines: run the ingest jobs"):
        run_analytics(open_lake(spark, empty), empty, ["bundles"])


def _runs(shop):
    client = MlflowClient(shop["settings"].mlflow.tracking_uri)
    experiment = client.get_experiment_by_name(tracking.experiment_name(shop["settings"].mlflow, "analytics"))
    return {run.info.run_name: run for run in client.search_runs([experiment.experiment_id])}
