"""Run the analyses against the lake: read the inputs at one version, write the gold tables, log to MLflow.

Each part is one MLflow run (run name = the part) in the ``analytics`` experiment with the input
table versions, its settings, metrics and figures, and returns a dict of the versions it wrote
and its headline figures. :func:`run_analytics` runs a chosen subset in order.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import mlflow
from pyspark.sql import functions as F

from shoplake.analytics import anomalies, bundles, cohorts, funnel, plots, rfm, segments
from shoplake.analytics.checks import require_columns, require_rows
from shoplake.analytics.churn_run import run_churn
from shoplake.analytics.errors import AnalyticsError
from shoplake.analytics.runs import input_versions, overwrite_tables, tracked_run
from shoplake.analytics.truth import GroundTruth
from shoplake.config import Settings
from shoplake.lake import Lake
from shoplake.log import get_logger

log = get_logger(__name__)
SEGMENT_PLOT_POINTS = 3000


def run_funnel(lake: Lake, settings: Settings, truth: GroundTruth | None = None) -> dict:
    """``gold.funnel`` and ``gold.funnel_steps`` from ``silver.events``."""
    versions = input_versions(lake, ["silver.events"], "funnel")
    cfg, gap = settings.analytics, settings.ingest.session_gap_minutes
    events = lake.read("silver.events", version=versions["silver.events"])
    events = require_columns(events, funnel.EVENT_COLUMNS, "silver.events").select(*funnel.EVENT_COLUMNS).cache()
    counts = funnel.funnel_counts(events, gap, cfg.funnel_within_days).cache()
    params = {"funnel_within_days": cfg.funnel_within_days, "session_gap_minutes": gap}
    with tracked_run(settings, "funnel", versions, params):
        written = overwrite_tables(lake, {"gold.funnel": funnel.funnel_by_segment(counts),
                                  "gold.funnel_steps": funnel.funnel_totals(counts)})
        steps = [row.asDict() for row in lake.read("gold.funnel_steps").collect()]
        metrics = {f"{r['variant']}_{r['step']}_{name}": r[name] for r in steps
                   for name in ("units", "overall_conversion", "step_conversion") if r[name] is not None}
        mlflow.log_metrics(metrics)
        mlflow.log_figure(plots.funnel_figure(steps), "funnel.png")
    counts.unpersist()
    events.unpersist()
    return {**written, **metrics}


def run_cohorts(lake: Lake, settings: Settings, truth: GroundTruth | None = None) -> dict:
    """``gold.cohort_retention`` from ``silver.order_lines``."""
    versions = input_versions(lake, ["silver.order_lines"], "cohorts")
    cfg = settings.analytics
    orders = cohorts.purchases(lake.read("silver.order_lines", version=versions["silver.order_lines"])).cache()
    require_rows(orders, 1, "cohorts: counted orders")
    params = {"cohort_period": cfg.cohort_period, "cohort_max_periods": cfg.cohort_max_periods}
    with tracked_run(settings, "cohorts", versions, params):
        written = overwrite_tables(lake, {"gold.cohort_retention": cohorts.cohort_retention(
            orders, cfg.cohort_period, cfg.cohort_max_periods)})
        cells = [row.asDict() for row in lake.read("gold.cohort_retention").select(
            "cohort", "period", "retention").collect()]
        metrics = {"repeat_purchase_rate": cohorts.repeat_purchase_rate(orders),
                   "cohorts": float(len({c["cohort"] for c in cells}))}
        later = [c["retention"] for c in cells if c["period"] == 1]
        if later:
            metrics["mean_retention_period_1"] = sum(later) / len(later)
        mlflow.log_metrics(metrics)
        mlflow.log_figure(plots.cohort_heatmap(cells, cfg.cohort_period), "cohort_retention.png")
    orders.unpersist()
    return {**written, **metrics}


def run_segments(lake: Lake, settings: Settings, truth: GroundTruth | None = None) -> dict:
    """``gold.rfm_segments`` and ``gold.segment_summary`` from ``gold.user_features``."""
    versions = input_versions(lake, ["gold.user_features"], "segments")
    cfg = settings.analytics
    scored = rfm.rfm_scores(lake.read("gold.user_features", version=versions["gold.user_features"]),
                            cfg.rfm_score_levels).cache()
    customers = require_rows(scored, cfg.segment_k_min + 1, "segments: customers with an order")
    params = {"rfm_score_levels": cfg.rfm_score_levels, "segment_k_min": cfg.segment_k_min,
              "segment_k_max": cfg.segment_k_max, "seed": cfg.seed, **{
                  f"segment_rule.{name}": rule for name, rule in cfg.segment_rules.items()}}
    with tracked_run(settings, "segments", versions, params):
        found = segments.segment_customers(scored, range(cfg.segment_k_min, cfg.segment_k_max + 1), cfg.seed)
        for k, value in found.silhouettes.items():
            mlflow.log_metric("silhouette", value, step=k)
        summary = segments.name_segments(segments.segment_summary(found.customers), cfg.segment_rules,
                                         cfg.segment_default_name)
        names = summary.select("segment", "segment_name")
        written = overwrite_tables(lake, {
            "gold.segment_summary": summary.withColumn("k", F.lit(found.k)),
            "gold.rfm_segments": found.customers.join(F.broadcast(names), "segment"),
        })
        rows = [row.asDict() for row in lake.read("gold.segment_summary").collect()]
        points = lake.read("gold.rfm_segments").sample(fraction=min(1.0, SEGMENT_PLOT_POINTS / customers),
                                                       seed=cfg.seed).select(
            "segment", "recency_days", "monetary").collect()
        metrics = {"k": float(found.k), "best_silhouette": found.silhouettes[found.k], "customers": float(customers)}
        mlflow.log_metrics(metrics)
        mlflow.log_dict({r["segment_name"] + f"#{r['segment']}": r for r in rows}, "segment_summary.json")
        mlflow.log_figure(plots.segments_figure([p.asDict() for p in points], rows, found.silhouettes),
                          "segments.png")
    scored.unpersist()
    return {**written, **metrics}


def run_bundles(lake: Lake, settings: Settings, truth: GroundTruth | None = None) -> dict:
    """``gold.bundles`` from ``silver.order_lines``; scored against planted pairs when ``truth`` is given."""
    versions = input_versions(lake, ["silver.order_lines"], "bundles")
    cfg = settings.analytics
    baskets = bundles.baskets(lake.read("silver.order_lines", version=versions["silver.order_lines"])).cache()
    n_baskets = require_rows(baskets, 1, "bundles: orders")
    params = {"bundle_min_support": cfg.bundle_min_support, "bundle_min_confidence": cfg.bundle_min_confidence,
              "bundle_min_lift": cfg.bundle_min_lift}
    with tracked_run(settings, "bundles", versions, params):
        written = overwrite_tables(lake, {"gold.bundles": bundles.bundle_rules(
            baskets, cfg.bundle_min_support, cfg.bundle_min_confidence, cfg.bundle_min_lift)})
        rules = lake.read("gold.bundles")
        metrics = {"baskets": float(n_baskets), "rules": float(rules.count())}
        if truth is not None:
            metrics.update(bundles.pair_recovery(rules, truth.fbt_pairs(lake.spark)))
        mlflow.log_metrics(metrics)
    baskets.unpersist()
    return {**written, **metrics}


def run_anomalies(lake: Lake, settings: Settings, truth: GroundTruth | None = None) -> dict:
    """``gold.anomalies`` (flagged orders) from ``silver.order_lines`` and ``silver.sessions``."""
    versions = input_versions(lake, ["silver.order_lines", "silver.sessions"], "anomalies")
    cfg = settings.analytics
    orders = anomalies.order_facts(lake.read("silver.order_lines", version=versions["silver.order_lines"])).cache()
    n_orders = require_rows(orders, 2, "anomalies: orders")
    scored = anomalies.score_orders(orders, lake.read("silver.sessions", version=versions["silver.sessions"]),
                                    cfg).cache()
    params = {name: getattr(cfg, name) for name in cfg.__dataclass_fields__ if name.startswith("anomaly_")}
    with tracked_run(settings, "anomalies", versions, params):
        written = overwrite_tables(lake, {"gold.anomalies": scored.filter("flagged").drop("flagged")})
        metrics = {"orders": float(n_orders)}
        if truth is not None:
            metrics.update(anomalies.evaluate_flags(scored, truth.anomalies(lake.spark)))
        else:
            metrics["flagged"] = float(lake.read("gold.anomalies").count())
        daily = lake.read("gold.anomalies").groupBy("order_date", F.col("reasons")[0].alias("reason")).agg(
            F.count("*").alias("orders")).collect()
        mlflow.log_metrics(metrics)
        if daily:
            mlflow.log_figure(plots.anomalies_figure([row.asDict() for row in daily]), "anomalies.png")
    scored.unpersist()
    orders.unpersist()
    return {**written, **metrics}


PARTS: dict[str, Callable[..., dict]] = {
    "funnel": run_funnel, "cohorts": run_cohorts, "segments": run_segments, "bundles": run_bundles,
    "anomalies": run_anomalies, "churn": run_churn,
}


def run_analytics(lake: Lake, settings: Settings, parts: Sequence[str] = tuple(PARTS),
                  truth: GroundTruth | None = None) -> dict[str, dict]:
    """Run ``parts`` (default: all, in order) and return each part's written versions and figures."""
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise AnalyticsError(f"unknown analytics part(s) {', '.join(unknown)}; known: {', '.join(PARTS)}")
    results = {}
    for number, part in enumerate(parts, 1):
        log.info("analytics %d/%d: %s", number, len(parts), part)
        results[part] = PARTS[part](lake, settings, truth)
    return results
