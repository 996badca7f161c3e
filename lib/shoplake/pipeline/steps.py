"""The steps of the main pipeline, in order: check, demo data, ingest, gold, models."""
from __future__ import annotations

import os

from shoplake.analytics.parts import PARTS as ANALYTICS_PARTS, run_analytics
from shoplake.analytics.truth import GroundTruth
from shoplake.datasets.cli import shop_dates
from shoplake.datasets.generator import default_truth_dir, generate, make_config
from shoplake.dl.runs import READS as DL_READS, WRITES as DL_WRITES
from shoplake.dl.runs import run_embed_images, run_score_reviews, run_train_image_model, run_train_sentiment
from shoplake.ingest.incremental import folder_exists
from shoplake.ingest.load_catalog import ingest_catalog
from shoplake.ingest.load_clickstream import ingest_clickstream
from shoplake.gold.build import GOLD_TABLES, SOURCES as GOLD_SOURCES, build_gold
from shoplake.ingest.load_orders import ingest_orders
from shoplake.lake import open_lake
from shoplake.log import get_logger
from shoplake.ml.forecast.load import FORECASTS, SALES as FORECAST_SALES, forecast_demand
from shoplake.ml.recommend.publish import RECOMMENDATIONS, SIMILAR_ITEMS, publish_recommendations
from shoplake.ml.recommend.recommender import INTERACTIONS, RecommenderConfig, train_on_lake
from shoplake.tracking import NoRegisteredModel
from shoplake.pipeline.dag import Step, StepNotRun
from shoplake.privacy.pii_scan import check_no_pii
from shoplake.privacy.keys import resolve_audit_key, resolve_key
from shoplake.quality import check_layer, require_passing
from shoplake.report.build import log_report, write_report
from shoplake.session.doctor import environment_report

log = get_logger(__name__)


def _check_environment(ctx) -> dict:
    report = environment_report(ctx.spark, ctx.settings, rows=10_000, partitions=ctx.spark.sparkContext.defaultParallelism)
    if not report["sum_of_squares_ok"]:
        raise RuntimeError("the executors returned a wrong result for the environment check")
    return {"spark": report["spark_version"], "delta_backend": report["delta_backend"],
            "executor_processes": len({p["pid"] for p in report["partitions"]})}


def _demo_data(ctx) -> dict:
    """Generate the demo shop into the inputs folder unless it already holds inputs (on any filesystem)."""
    inputs = ctx.settings.paths.inputs
    if folder_exists(ctx.spark, f"{inputs}/clickstream"):
        return {"inputs": inputs, "generated": False}
    config = make_config(ctx.args.preset, users=ctx.args.users, days=ctx.args.days, seed=ctx.args.seed,
                         **shop_dates(ctx.args))
    manifest = generate(ctx.spark, config, inputs, default_truth_dir(inputs), ctx.settings.paths.cache)
    return {"inputs": inputs, "generated": True, "dates": f"{config.start_date}..{config.end_date}",
            "events": manifest["counts"].get("clickstream_records", 0)}


def _ingest(load):
    def run(ctx) -> dict:
        return load(ctx.spark, open_lake(ctx.spark, ctx.settings), ctx.settings, resolve_key(ctx.settings, os.environ),
                    audit_key=resolve_audit_key(ctx.settings, os.environ))
    return run


def _gold(ctx) -> dict:
    lake = open_lake(ctx.spark, ctx.settings)
    require_passing(lake, ctx.settings, GOLD_SOURCES)
    return {table.split(".")[1]: version for table, version in build_gold(lake, ctx.settings).items()}


def _quality(*layers: str):
    def run(ctx) -> dict:
        lake = open_lake(ctx.spark, ctx.settings)
        figures = {"mlflow_run_ids": []}
        for layer in layers:
            summary = check_layer(lake, ctx.settings, layer)
            figures |= {f"{layer}_tables": summary["tables"], f"{layer}_checks": summary["checks"],
                        f"{layer}_failed": sorted(summary["failed"]) or "none", f"{layer}_warnings": summary["warnings"]}
            figures["mlflow_run_ids"] += [summary["run_id"]] if summary["run_id"] else []
        return figures
    return run


EVENTS_TABLES = ("bronze.clickstream", "bronze.quarantine", "silver.events", "silver.sessions")
ORDERS_TABLES = ("bronze.orders", "bronze.quarantine", "silver.orders", "silver.order_lines", "silver.customers")
ANALYTICS_TABLES = ("gold.funnel", "gold.funnel_steps", "gold.cohort_retention", "gold.rfm_segments",
                    "gold.segment_summary", "gold.bundles", "gold.anomalies", "gold.churn_scores")
CATALOG_TABLES = ("bronze.products", "bronze.reviews", "bronze.quarantine", "silver.products", "silver.reviews")

def _recommend(ctx) -> dict:
    """Choose and train the recommender; when it beats popularity (and so is registered), publish its recommendations."""
    lake, als = open_lake(ctx.spark, ctx.settings), ctx.settings.als
    config = RecommenderConfig.from_settings(als)
    require_passing(lake, ctx.settings, [INTERACTIONS])
    trained = train_on_lake(lake, ctx.settings, config)
    metric = config.metric
    figures = {"family": trained.recipe.family, metric: round(trained.metrics[f"model_{metric}"], 4),
               f"popularity_{metric}": round(trained.metrics[f"popularity_{metric}"], 4),
               "margin_over_popularity": round(trained.metrics["margin_over_popularity"], 4),
               "mlflow_run_ids": [trained.run_id]}
    if trained.model_version is None:
        raise StepNotRun(f"{trained.recipe.describe()} did not beat popularity on {metric} "
                         f"({figures[metric]} vs {figures[f'popularity_{metric}']}): not registered, "
                         "recommendations left as they were")
    publish_recommendations(lake, ctx.settings, config.registered_model, trained.model_version, als.top_n)
    return figures | {"model_version": trained.model_version}


def _forecast(ctx) -> dict:
    lake = open_lake(ctx.spark, ctx.settings)
    require_passing(lake, ctx.settings, [FORECAST_SALES])
    return _with_run_ids(forecast_demand(lake, ctx.settings))


def _analytics(ctx) -> dict:
    settings = ctx.settings
    truth_dir = default_truth_dir(settings.paths.inputs)
    truth = GroundTruth(truth_dir, resolve_key(settings, os.environ)) if GroundTruth.present(truth_dir) else None
    results = run_analytics(open_lake(ctx.spark, settings), settings, tuple(ANALYTICS_PARTS), truth)
    return _with_run_ids({part: "done" for part in results}, *results.values())


def _deep_learning(run, gated: tuple[str, ...] = ()):
    """A deep-learning step; a scoring step (``gated`` on its input) needs a registered model to score with."""
    def step(ctx) -> dict:
        if gated:
            require_passing(open_lake(ctx.spark, ctx.settings), ctx.settings, gated)
        try:
            return _with_run_ids(run(ctx.spark, ctx.settings))
        except NoRegisteredModel as missing:
            raise StepNotRun(f"{missing} (a model is registered only when it beats its baseline on the held-out test "
                             "split, and reaches the dl.*_min_* floors where dl.enforce_floors is on)") from missing
    return step


def _privacy_check(ctx) -> dict:
    return check_no_pii(open_lake(ctx.spark, ctx.settings), ctx.settings)


def _report(ctx) -> dict:
    report = write_report(open_lake(ctx.spark, ctx.settings), ctx.settings)
    return {"report": report.path, "mlflow_run_ids": [log_report(ctx.settings, report)]}


def _with_run_ids(summary: dict, *parts: dict) -> dict:
    """A step's figures: scalar entries of ``summary``, and the MLflow run ids of it and ``parts``."""
    figures = {k: v for k, v in summary.items() if isinstance(v, (str, int, float)) and k != "run_id"}
    run_ids = [part["run_id"] for part in (summary, *parts) if isinstance(part, dict) and part.get("run_id")]
    return figures | {"mlflow_run_ids": run_ids}


PIPELINE_STEPS = (
    Step("environment", _check_environment, "Spark, Java, Delta backend and executors"),
    Step("demo_data", _demo_data, "synthetic shop inputs, unless inputs are already there"),
    Step("ingest_clickstream", _ingest(ingest_clickstream), "new clickstream files to bronze, silver events, sessions",
         writes=EVENTS_TABLES),
    Step("ingest_orders", _ingest(ingest_orders), "new order files to bronze, silver orders and lines",
         writes=ORDERS_TABLES),
    Step("ingest_catalog", _ingest(ingest_catalog), "new product and review files to bronze and silver",
         writes=CATALOG_TABLES),
    Step("quality_silver", _quality("bronze", "silver"), "data-quality suites of changed bronze and silver tables",
         reads=EVENTS_TABLES + ORDERS_TABLES + CATALOG_TABLES),
    Step("build_gold", _gold, "gold sales, interactions, user features, funnel", reads=GOLD_SOURCES,
         writes=GOLD_TABLES),
    Step("quality_gold", _quality("gold"), "data-quality suites of changed gold tables", reads=GOLD_TABLES),
    Step("recommend", _recommend, "ALS tuned and evaluated against popularity; recommendations when it wins",
         reads=(INTERACTIONS,), writes=(RECOMMENDATIONS, SIMILAR_ITEMS)),
    Step("forecast", _forecast, "GBT demand forecast, backtested against seasonal-naive", reads=(FORECAST_SALES,),
         writes=(FORECASTS,)),
    Step("analytics", _analytics, "funnel, cohorts, RFM segments, bundles, anomalies, churn",
         reads=GOLD_SOURCES + ("silver.orders", "gold.user_features"), writes=ANALYTICS_TABLES),
    *(Step(name, _deep_learning(run, gated), description, reads=DL_READS[name], writes=DL_WRITES[name])
      for name, run, gated, description in (
          ("train_sentiment", run_train_sentiment, (), "MiniLM review sentiment fine-tuned on real clothing reviews"),
          ("score_reviews", run_score_reviews, ("silver.reviews",), "sentiment of every review, per product"),
          ("train_image_model", run_train_image_model, (), "ResNet on Fashion-MNIST product photos"),
          ("embed_images", run_embed_images, ("silver.products",), "image embeddings and visually similar items"))),
    Step("privacy_check", _privacy_check, "no emails, phones or names outside bronze",
         reads=EVENTS_TABLES + ORDERS_TABLES + CATALOG_TABLES + GOLD_TABLES + ANALYTICS_TABLES),
    Step("report", _report, "the HTML report with every plot, logged to MLflow"),
)
