"""The steps of the main pipeline, in order: check, demo data, ingest, gold, models, analyses, report.

Every step is the step function of a job (:mod:`shoplake.steps`); what each reads and writes comes
from the table catalogue (:mod:`shoplake.catalog`), so a new table needs no change here. A shop may
send orders only: the steps that need its clickstream, products or reviews are then not run, each
with its reason (``no clickstream``).
"""
from __future__ import annotations

from shoplake.catalog import (CLICKSTREAM, PRODUCT_CATALOGUE, REVIEWS, OptionalInput, inputs_of,
                              tables_written_by)
from shoplake.ingest.incremental import folder_exists
from shoplake.pipeline.dag import Need, Step
from shoplake.steps.analytics import analytics_step
from shoplake.steps.deep_learning import (embed_images_step, score_reviews_step, train_image_model_step,
                                          train_sentiment_step)
from shoplake.steps.demo_data import demo_data_step
from shoplake.steps.environment import check_environment_step
from shoplake.steps.forecast import train_forecast_step
from shoplake.steps.gold import build_gold_step
from shoplake.steps.ingest import ingest_catalog_step, ingest_clickstream_step, ingest_orders_step
from shoplake.steps.privacy import privacy_check_step
from shoplake.steps.quality import quality_checks_step
from shoplake.steps.recommend import train_and_recommend_step
from shoplake.steps.report import report_step

_SILVER_CHECKS = {"layers": ("bronze", "silver"), "changed_only": True}
_GOLD_CHECKS = {"layers": ("gold",), "changed_only": True}


def _step(name: str, run, description: str, **extra) -> Step:
    """A step that reads and writes what the catalogue says ``name`` reads and writes."""
    return Step(name, run, description, reads=extra.pop("reads", inputs_of(name)), writes=tables_written_by(name),
                **extra)


def _has(optional: OptionalInput) -> Need:
    """The tables of ``optional`` in the lake."""
    return Need(optional.reason, lambda ctx: optional.present(ctx.lake.exists))


def _has_files(*sources: tuple[str, OptionalInput]) -> Need:
    """For any of ``(folder, input)``: the input folder ``<paths.inputs>/<folder>``, or the input's tables."""
    def met(ctx) -> bool:
        inputs = ctx.settings.paths.inputs
        return any(optional.present(ctx.lake.exists) or folder_exists(ctx.spark, f"{inputs}/{folder}")
                   for folder, optional in sources)
    return Need(" and ".join(optional.reason for _, optional in sources), met)


PIPELINE_STEPS = (
    _step("environment", check_environment_step, "Spark, Java, Delta backend and executors"),
    _step("demo_data", demo_data_step, "synthetic shop inputs, unless inputs are already there"),
    _step("ingest_clickstream", ingest_clickstream_step, "new clickstream files to bronze, silver events, sessions",
          needs=(_has_files(("clickstream", CLICKSTREAM)),)),
    _step("ingest_orders", ingest_orders_step, "new order files to bronze, silver orders and lines"),
    _step("ingest_catalog", ingest_catalog_step, "new product and review files to bronze and silver",
          needs=(_has_files(("products", PRODUCT_CATALOGUE), ("reviews", REVIEWS)),)),
    _step("quality_silver", quality_checks_step, "data-quality suites of changed bronze and silver tables",
          reads=tables_written_by("ingest_clickstream", "ingest_orders", "ingest_catalog"), options=_SILVER_CHECKS),
    _step("build_gold", build_gold_step, "gold sales, interactions, user features, funnel"),
    _step("quality_gold", quality_checks_step, "data-quality suites of changed gold tables",
          reads=tables_written_by("build_gold"), options=_GOLD_CHECKS),
    _step("recommend", train_and_recommend_step,
          "ALS tuned and evaluated against popularity; recommendations when it wins"),
    _step("forecast", train_forecast_step, "demand forecast: GBT and statsforecast families, one per item by backtest"),
    _step("analytics", analytics_step, "funnel, cohorts, RFM segments, bundles, anomalies, churn"),
    _step("train_sentiment", train_sentiment_step, "MiniLM review sentiment fine-tuned on real clothing reviews",
          needs=(_has(REVIEWS),)),
    _step("score_reviews", score_reviews_step, "sentiment of every review, per product", needs=(_has(REVIEWS),)),
    _step("train_image_model", train_image_model_step, "ResNet on Fashion-MNIST product photos",
          needs=(_has(PRODUCT_CATALOGUE),)),
    _step("embed_images", embed_images_step, "image embeddings and visually similar items",
          needs=(_has(PRODUCT_CATALOGUE),)),
    _step("privacy_check", privacy_check_step, "no emails, phones or names outside bronze",
          reads=tables_written_by("ingest_clickstream", "ingest_orders", "ingest_catalog", "build_gold", "analytics")),
    _step("report", report_step, "the HTML report with every plot, logged to MLflow"),
)
