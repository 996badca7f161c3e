"""Run the churn analysis against the lake: train and evaluate at the cutoff, score every customer now.

The model trains on customers at ``churn_train_cutoffs`` cutoffs (the last one the evaluation
cutoff) minus a held-out share of users, is evaluated on those users at the evaluation cutoff
against the recency-only baseline, and then scores every customer with features as of the end
of the data into ``gold.churn_scores``.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import mlflow
from matplotlib.figure import Figure
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake.analytics import churn, plots
from shoplake.analytics.errors import AnalyticsError
from shoplake.analytics.funnel import EVENT_COLUMNS
from shoplake.analytics.quantiles import percentile_cuts, quantile_score
from shoplake.analytics.ranking import auc, roc_points, score_bands
from shoplake.analytics.runs import input_versions, overwrite_tables, tracked_run
from shoplake.analytics.truth import GroundTruth
from shoplake.config import Settings
from shoplake.lake import Lake
from shoplake.log import get_logger

log = get_logger(__name__)
MIN_CUSTOMERS = 20
LINE_COLUMNS = ("order_id", "customer_id", "order_time", "status", "updated_at", "net_amount")


def churn_cutoff(events_end: date, horizon_days: int, configured: str) -> datetime:
    """The cutoff: the configured date, else the day after the data ends minus the horizon (UTC midnight).

    Raises :class:`AnalyticsError` when the horizon after the cutoff runs past the end of the data.
    """
    end = datetime.combine(events_end + timedelta(days=1), time(), tzinfo=timezone.utc)
    cutoff = (datetime.combine(date.fromisoformat(configured), time(), tzinfo=timezone.utc) if configured
              else end - timedelta(days=horizon_days))
    if cutoff + timedelta(days=horizon_days) > end:
        raise AnalyticsError(
            f"churn: cutoff {cutoff.date()} plus {horizon_days} days runs past the end of the data ({events_end}); "
            f"set analytics.churn_cutoff to {(end - timedelta(days=horizon_days)).date()} or earlier")
    return cutoff


def run_churn(lake: Lake, settings: Settings, truth: GroundTruth | None = None) -> dict:
    """``gold.churn_scores`` from ``silver.events`` and ``silver.order_lines``."""
    versions = input_versions(lake, ["silver.events", "silver.order_lines"], "churn")
    cfg, gap = settings.analytics, settings.ingest.session_gap_minutes
    events = lake.read("silver.events", version=versions["silver.events"]).select(*EVENT_COLUMNS).cache()
    lines = lake.read("silver.order_lines", version=versions["silver.order_lines"]).select(*LINE_COLUMNS).cache()
    events_end = events.agg(F.max(F.to_date("event_time"))).first()[0]
    if events_end is None:
        raise AnalyticsError("churn: silver.events is empty")
    cutoff = churn_cutoff(events_end, cfg.churn_horizon_days, cfg.churn_cutoff)
    cutoffs = churn.training_cutoffs(cutoff, cfg.churn_train_cutoffs, cfg.churn_cutoff_step_days)
    examples = churn.labelled_examples(events, lines, cutoffs, cfg.churn_horizon_days, gap).cache()
    at_cutoff = examples.filter(F.col("as_of") == F.lit(cutoff))
    _check_labels(at_cutoff, cutoff)
    held_out_users = at_cutoff.select("user_id").randomSplit([1 - cfg.churn_test_share, cfg.churn_test_share],
                                                             seed=cfg.seed)[1]
    params = {"churn_cutoff": str(cutoff.date()), "churn_horizon_days": cfg.churn_horizon_days,
              "churn_train_cutoffs": cfg.churn_train_cutoffs, "churn_cutoff_step_days": cfg.churn_cutoff_step_days,
              "churn_test_share": cfg.churn_test_share, "churn_max_iter": cfg.churn_max_iter,
              "churn_max_depth": cfg.churn_max_depth, "seed": cfg.seed, "features": ",".join(churn.FEATURES)}
    with tracked_run(settings, "churn", versions, params) as run:
        train = examples.join(held_out_users, "user_id", "left_anti")
        log.info("churn: training on %d examples at %d cutoffs", train.count(), len(cutoffs))
        model = churn.fit_churn_model(train, cfg.churn_max_iter, cfg.churn_max_depth, cfg.seed)
        held_out = churn.churn_scores(model, at_cutoff.join(held_out_users, "user_id")).cache()
        metrics = {"customers_at_cutoff": float(at_cutoff.count()), "training_examples": float(train.count()),
                   **churn.evaluate_churn(held_out)}
        if truth is not None:
            metrics["planted_churner_auc"] = _planted_churner_auc(held_out, truth, lake, cutoff, cfg.churn_horizon_days)
        mlflow.log_metrics(metrics)
        mlflow.log_figure(_churn_figure(held_out, metrics["base_rate"]), "churn.png")
        now = datetime.combine(events_end + timedelta(days=1), time(), tzinfo=timezone.utc)
        current = churn.churn_scores(model, churn.features_as_of(events, lines, now, gap)).cache()
        cuts = percentile_cuts(current, churn.SCORE)
        written = overwrite_tables(lake, {"gold.churn_scores": current.select(
            "user_id", "as_of", F.lit(cfg.churn_horizon_days).alias("horizon_days"), churn.SCORE,
            quantile_score(churn.SCORE, cuts, 10, lower_is_better=True).cast("int").alias("risk_decile"),
            *churn.FEATURES, F.lit(run.info.run_id).alias("model_run_id"),
        )})
    for df in (events, lines, examples, held_out, current):
        df.unpersist()
    log.info("churn: model AUC %.3f vs recency-only %.3f on held-out customers", metrics["model_auc"],
             metrics["baseline_auc"])
    return {**written, **metrics}


def _check_labels(labelled: DataFrame, cutoff: datetime) -> None:
    counts = {row[churn.LABEL]: row["count"] for row in labelled.groupBy(churn.LABEL).count().collect()}
    total = sum(counts.values())
    if total < MIN_CUSTOMERS:
        raise AnalyticsError(f"churn: {total} customers ordered before the cutoff {cutoff.date()}, need at least "
                             f"{MIN_CUSTOMERS}; set a later analytics.churn_cutoff")
    if len(counts) < 2:
        which = "churned" if 1.0 in counts else "ordered again"
        raise AnalyticsError(f"churn: every customer at the cutoff {cutoff.date()} {which}; a model needs both "
                             "outcomes (change analytics.churn_cutoff or churn_horizon_days)")


def _churn_figure(held_out: DataFrame, base_rate: float) -> Figure:
    curves = {name: roc_points(score_bands(held_out, column, churn.LABEL, 100))
              for name, column in (("GBT model", churn.SCORE), ("recency only", churn.BASELINE))}
    deciles = score_bands(held_out, churn.SCORE, churn.LABEL, 10)
    return plots.churn_figure(curves, [p / (p + n) if p + n else 0.0 for p, n in deciles], base_rate)


def _planted_churner_auc(held_out: DataFrame, truth: GroundTruth, lake: Lake, cutoff: datetime,
                         horizon_days: int) -> float:
    """AUC of the model's score for the users the generator made stop before the label window closed."""
    window_end = (cutoff + timedelta(days=horizon_days)).date()
    stopped = F.col("churn_date").isNotNull() & (F.col("churn_date") < F.lit(window_end))
    planted = truth.users(lake.spark).select("user_id", stopped.cast("double").alias("planted"))
    return auc(held_out.join(planted, "user_id"), churn.SCORE, "planted")
