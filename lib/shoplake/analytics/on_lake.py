"""The analyses run against the lake and tracked in MLflow: read the inputs at one version, write the
gold tables, log one MLflow run per part.

Each part (run name = the part, in the ``analytics`` experiment) logs its input table versions, its
settings, metrics and figures, and returns a dict of the versions it wrote and its headline
figures; :func:`run_analytics` runs a chosen subset in order. Churn trains on customers at
``churn_train_cutoffs`` cutoffs (the last one the evaluation cutoff) minus a held-out share of
users, is evaluated on those users against the recency-only baseline, then scores every customer
with features as of the end of the data into ``gold.churn_scores``.

A shop without clickstream gets every part but the funnel (reported as not run, ``no clickstream``):
anomalies without the no-browsing signal, churn on the order features alone.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone

import mlflow
from matplotlib.figure import Figure
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from shoplake import tracking
from shoplake.analytics import anomalies, bundles, churn, cohorts, funnel, plots, rfm, segments
from shoplake.analytics.errors import AnalyticsError, PartNotRun, require_columns, require_rows
from shoplake.analytics.funnel import EVENT_COLUMNS
from shoplake.analytics.quantiles import percentile_cuts, quantile_score
from shoplake.analytics.ranking import auc, roc_points, score_bands
from shoplake.analytics.truth import GroundTruth
from shoplake.catalog import (CLICKSTREAM, GOLD_ANOMALIES, GOLD_BUNDLES, GOLD_CHURN_SCORES, GOLD_COHORT_RETENTION,
                              GOLD_FUNNEL, GOLD_FUNNEL_STEPS, GOLD_RFM_SEGMENTS, GOLD_SEGMENT_SUMMARY,
                              GOLD_USER_FEATURES, SILVER_EVENTS, SILVER_ORDER_LINES, SILVER_SESSIONS)
from shoplake.config import Settings
from shoplake.config.settings import MlflowSettings
from shoplake.lake import Lake
from shoplake.log import get_logger

log = get_logger(__name__)
FAMILY = "analytics"


def input_versions(lake: Lake, names: Sequence[str], part: str) -> dict[str, int]:
    """The current version of each input table, or a clear error naming the missing ones."""
    missing = [name for name in names if not lake.exists(name)]
    if missing:
        raise AnalyticsError(f"{part} needs {', '.join(missing)}: run the ingest jobs and build_gold first")
    return {name: lake.version(name) for name in names}


@contextmanager
def tracked_run(store: MlflowSettings, part: str, versions: Mapping[str, int],
                params: Mapping[str, object]) -> Iterator[mlflow.ActiveRun]:
    """An MLflow run named after the part in the ``analytics`` experiment, with its inputs and settings logged."""
    with tracking.start_run(store, FAMILY, run_name=part, tags={"analytics.part": part}) as run:
        tracking.log_table_versions(versions)
        mlflow.log_params(dict(params))
        yield run


def overwrite_tables(lake: Lake, tables: Mapping[str, DataFrame]) -> dict[str, int]:
    """Replace each named table with its DataFrame; return the versions written."""
    versions = {}
    for name, df in tables.items():
        versions[name] = lake.overwrite(df, name)
        log.info("%s: version %d", name, versions[name])
    return versions

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
    """``gold.churn_scores`` from ``silver.events`` and ``silver.order_lines`` (without clickstream, from the order
    lines alone, on :data:`~shoplake.analytics.churn.ORDER_FEATURES`)."""
    clicks = CLICKSTREAM.present(lake.exists)
    inputs = [SILVER_EVENTS, SILVER_ORDER_LINES] if clicks else [SILVER_ORDER_LINES]
    versions = input_versions(lake, inputs, "churn")
    cfg, gap = settings.analytics, settings.ingest.session_gap_minutes
    features = churn.FEATURES if clicks else churn.ORDER_FEATURES
    events = None
    if clicks:
        events = lake.read(SILVER_EVENTS, version=versions[SILVER_EVENTS]).select(*EVENT_COLUMNS).cache()
    lines = lake.read(SILVER_ORDER_LINES, version=versions[SILVER_ORDER_LINES]).select(*LINE_COLUMNS).cache()
    timeline, time_column = (events, "event_time") if clicks else (lines, "order_time")
    data_end = timeline.agg(F.max(F.to_date(time_column))).first()[0]
    if data_end is None:
        raise AnalyticsError(f"churn: {inputs[0]} is empty")
    cutoff = churn_cutoff(data_end, cfg.churn_horizon_days, cfg.churn_cutoff)
    cutoffs = churn.training_cutoffs(cutoff, cfg.churn_train_cutoffs, cfg.churn_cutoff_step_days)
    examples = churn.labelled_examples(events, lines, cutoffs, cfg.churn_horizon_days, gap).cache()
    at_cutoff = examples.filter(F.col("as_of") == F.lit(cutoff))
    _check_labels(at_cutoff, cutoff)
    held_out_users = at_cutoff.select("user_id").randomSplit([1 - cfg.churn_test_share, cfg.churn_test_share],
                                                             seed=cfg.seed)[1]
    params = {"churn_cutoff": str(cutoff.date()), "churn_horizon_days": cfg.churn_horizon_days,
              "churn_train_cutoffs": cfg.churn_train_cutoffs, "churn_cutoff_step_days": cfg.churn_cutoff_step_days,
              "churn_test_share": cfg.churn_test_share, "churn_max_iter": cfg.churn_max_iter,
              "churn_max_depth": cfg.churn_max_depth, "seed": cfg.seed, "features": ",".join(features)}
    with tracked_run(settings.mlflow, "churn", versions, params) as run:
        train = examples.join(held_out_users, "user_id", "left_anti")
        log.info("churn: training on %d examples at %d cutoffs (%s)", train.count(), len(cutoffs),
                 "clickstream and orders" if clicks else f"{CLICKSTREAM.reason}: orders alone")
        model = churn.fit_churn_model(train, cfg.churn_max_iter, cfg.churn_max_depth, cfg.seed, features)
        held_out = churn.churn_scores(model, at_cutoff.join(held_out_users, "user_id")).cache()
        metrics = {"customers_at_cutoff": float(at_cutoff.count()), "training_examples": float(train.count()),
                   **churn.evaluate_churn(held_out)}
        if truth is not None:
            metrics["planted_churner_auc"] = _planted_churner_auc(held_out, truth, lake, cutoff, cfg.churn_horizon_days)
        mlflow.log_metrics(metrics)
        mlflow.log_figure(_churn_figure(held_out, metrics["base_rate"]), "churn.png")
        now = datetime.combine(data_end + timedelta(days=1), time(), tzinfo=timezone.utc)
        current = churn.churn_scores(model, churn.features_as_of(events, lines, now, gap)).cache()
        cuts = percentile_cuts(current, churn.SCORE)
        written = overwrite_tables(lake, {GOLD_CHURN_SCORES: current.select(
            "user_id", "as_of", F.lit(cfg.churn_horizon_days).alias("horizon_days"), churn.SCORE,
            quantile_score(churn.SCORE, cuts, 10, lower_is_better=True).cast("int").alias("risk_decile"),
            *churn.FEATURES, F.lit(run.info.run_id).alias("model_run_id"),
        )})
    for df in (events, lines, examples, held_out, current):
        if df is not None:
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

SEGMENT_PLOT_POINTS = 3000


def run_funnel(lake: Lake, settings: Settings, truth: GroundTruth | None = None) -> dict:
    """``gold.funnel`` and ``gold.funnel_steps`` from ``silver.events``; :class:`PartNotRun` without clickstream."""
    if not CLICKSTREAM.present(lake.exists):
        raise PartNotRun(CLICKSTREAM.reason, f"{' and '.join(CLICKSTREAM.tables)} not in the lake")
    versions = input_versions(lake, [SILVER_EVENTS], "funnel")
    cfg, gap = settings.analytics, settings.ingest.session_gap_minutes
    events = lake.read(SILVER_EVENTS, version=versions[SILVER_EVENTS])
    events = require_columns(events, funnel.EVENT_COLUMNS, SILVER_EVENTS).select(*funnel.EVENT_COLUMNS).cache()
    counts = funnel.funnel_counts(events, gap, cfg.funnel_within_days).cache()
    params = {"funnel_within_days": cfg.funnel_within_days, "session_gap_minutes": gap}
    with tracked_run(settings.mlflow, "funnel", versions, params):
        written = overwrite_tables(lake, {GOLD_FUNNEL: funnel.funnel_by_segment(counts),
                                          GOLD_FUNNEL_STEPS: funnel.funnel_totals(counts)})
        steps = [row.asDict() for row in lake.read(GOLD_FUNNEL_STEPS).collect()]
        metrics = {f"{r['variant']}_{r['step']}_{name}": r[name] for r in steps
                   for name in ("units", "overall_conversion", "step_conversion") if r[name] is not None}
        mlflow.log_metrics(metrics)
        mlflow.log_figure(plots.funnel_figure(steps), "funnel.png")
    counts.unpersist()
    events.unpersist()
    return {**written, **metrics}


def run_cohorts(lake: Lake, settings: Settings, truth: GroundTruth | None = None) -> dict:
    """``gold.cohort_retention`` from ``silver.order_lines``."""
    versions = input_versions(lake, [SILVER_ORDER_LINES], "cohorts")
    cfg = settings.analytics
    orders = cohorts.purchases(lake.read(SILVER_ORDER_LINES, version=versions[SILVER_ORDER_LINES])).cache()
    require_rows(orders, 1, "cohorts: counted orders")
    params = {"cohort_period": cfg.cohort_period, "cohort_max_periods": cfg.cohort_max_periods}
    with tracked_run(settings.mlflow, "cohorts", versions, params):
        written = overwrite_tables(lake, {GOLD_COHORT_RETENTION: cohorts.cohort_retention(
            orders, cfg.cohort_period, cfg.cohort_max_periods)})
        cells = [row.asDict() for row in lake.read(GOLD_COHORT_RETENTION).select(
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
    versions = input_versions(lake, [GOLD_USER_FEATURES], "segments")
    cfg = settings.analytics
    scored = rfm.rfm_scores(lake.read(GOLD_USER_FEATURES, version=versions[GOLD_USER_FEATURES]),
                            cfg.rfm_score_levels).cache()
    customers = require_rows(scored, cfg.segment_k_min + 1, "segments: customers with an order")
    params = {"rfm_score_levels": cfg.rfm_score_levels, "segment_k_min": cfg.segment_k_min,
              "segment_k_max": cfg.segment_k_max, "seed": cfg.seed, **{
                  f"segment_rule.{name}": rule for name, rule in cfg.segment_rules.items()}}
    with tracked_run(settings.mlflow, "segments", versions, params):
        found = segments.segment_customers(scored, range(cfg.segment_k_min, cfg.segment_k_max + 1), cfg.seed)
        for k, value in found.silhouettes.items():
            mlflow.log_metric("silhouette", value, step=k)
        summary = segments.name_segments(segments.segment_summary(found.customers), cfg.segment_rules,
                                         cfg.segment_default_name)
        names = summary.select("segment", "segment_name")
        written = overwrite_tables(lake, {
            GOLD_SEGMENT_SUMMARY: summary.withColumn("k", F.lit(found.k)),
            GOLD_RFM_SEGMENTS: found.customers.join(F.broadcast(names), "segment"),
        })
        rows = [row.asDict() for row in lake.read(GOLD_SEGMENT_SUMMARY).collect()]
        points = lake.read(GOLD_RFM_SEGMENTS).sample(fraction=min(1.0, SEGMENT_PLOT_POINTS / customers),
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
    versions = input_versions(lake, [SILVER_ORDER_LINES], "bundles")
    cfg = settings.analytics
    baskets = bundles.baskets(lake.read(SILVER_ORDER_LINES, version=versions[SILVER_ORDER_LINES])).cache()
    n_baskets = require_rows(baskets, 1, "bundles: orders")
    params = {"bundle_min_support": cfg.bundle_min_support, "bundle_min_confidence": cfg.bundle_min_confidence,
              "bundle_min_lift": cfg.bundle_min_lift}
    with tracked_run(settings.mlflow, "bundles", versions, params):
        written = overwrite_tables(lake, {GOLD_BUNDLES: bundles.bundle_rules(
            baskets, cfg.bundle_min_support, cfg.bundle_min_confidence, cfg.bundle_min_lift)})
        rules = lake.read(GOLD_BUNDLES)
        metrics = {"baskets": float(n_baskets), "rules": float(rules.count())}
        if truth is not None:
            metrics.update(bundles.pair_recovery(rules, truth.fbt_pairs(lake.spark)))
        mlflow.log_metrics(metrics)
    baskets.unpersist()
    return {**written, **metrics}


def run_anomalies(lake: Lake, settings: Settings, truth: GroundTruth | None = None) -> dict:
    """``gold.anomalies`` (flagged orders) from ``silver.order_lines`` and ``silver.sessions`` (without clickstream,
    from the order lines alone: no order is flagged for lack of browsing)."""
    clicks = CLICKSTREAM.present(lake.exists)
    versions = input_versions(lake, [SILVER_ORDER_LINES, SILVER_SESSIONS] if clicks else [SILVER_ORDER_LINES],
                              "anomalies")
    cfg = settings.analytics
    orders = anomalies.order_facts(lake.read(SILVER_ORDER_LINES, version=versions[SILVER_ORDER_LINES])).cache()
    n_orders = require_rows(orders, 2, "anomalies: orders")
    if not clicks:
        log.info("anomalies: %s: orders scored without the no-browsing signal", CLICKSTREAM.reason)
    sessions = lake.read(SILVER_SESSIONS, version=versions[SILVER_SESSIONS]) if clicks else None
    scored = anomalies.score_orders(orders, sessions, cfg).cache()
    params = {name: getattr(cfg, name) for name in cfg.__dataclass_fields__ if name.startswith("anomaly_")}
    with tracked_run(settings.mlflow, "anomalies", versions, params):
        written = overwrite_tables(lake, {GOLD_ANOMALIES: scored.filter("flagged").drop("flagged")})
        metrics = {"orders": float(n_orders)}
        if truth is not None:
            metrics.update(anomalies.evaluate_flags(scored, truth.anomalies(lake.spark)))
        else:
            metrics["flagged"] = float(lake.read(GOLD_ANOMALIES).count())
        daily = lake.read(GOLD_ANOMALIES).groupBy("order_date", F.col("reasons")[0].alias("reason")).agg(
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
    """Run ``parts`` (default: all, in order) and return each part's written versions and figures; a part
    that needs an input the shop does not send returns ``{"not_run": reason}`` instead."""
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise AnalyticsError(f"unknown analytics part(s) {', '.join(unknown)}; known: {', '.join(PARTS)}")
    results = {}
    for number, part in enumerate(parts, 1):
        log.info("analytics %d/%d: %s", number, len(parts), part)
        try:
            results[part] = PARTS[part](lake, settings, truth)
        except PartNotRun as missing:
            log.info("analytics %d/%d: %s not run: %s", number, len(parts), part, missing)
            results[part] = {"not_run": missing.reason}
    return results
