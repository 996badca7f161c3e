"""The report's sections: each reads its tables, aggregates in Spark and draws the small result.

A section function takes the :class:`~shoplake.report.inputs.Inputs` and the settings and returns its
:class:`~shoplake.report.model.Content`; it raises :class:`~shoplake.report.model.SectionUnavailable`
when its table is not built yet (the message says which job builds it).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from shoplake.analytics import plots as analytics_plots
from shoplake.catalog import (CLICKSTREAM, GOLD_ANOMALIES, GOLD_BUNDLES, GOLD_COHORT_RETENTION, GOLD_DAILY_ITEM_SALES,
                              GOLD_FORECASTS, GOLD_FUNNEL_DAILY, GOLD_RECOMMENDATIONS, GOLD_REVIEW_SENTIMENT,
                              GOLD_SEGMENT_SUMMARY, GOLD_USER_ITEM_INTERACTIONS, OPS_DQ_RESULTS, REVIEWS,
                              SILVER_PRODUCTS)
from shoplake.config import Settings
from shoplake.dl.scorecard import LABELS as SCORECARD_LABELS
from shoplake.dl.scorecard import scorecard
from shoplake.ml.forecast.calendar import fill_calendar, recent_history
from shoplake.ml.forecast.series import DATE, SERIES_ID, TARGET, conform, shop_series
from shoplake.report import figures
from shoplake.report.figures import png
from shoplake.report.inputs import Inputs, rows
from shoplake.quality.describe import describe
from shoplake.quality.summary import STATUS_ORDER, table_status
from shoplake.quality.results import ADDED_COLUMNS, RESULTS_SCHEMA, CheckResult
from shoplake.quality.store import latest_results
from shoplake.report.model import Content, Image, SectionUnavailable, Table
from shoplake.schemas import FUNNEL_STEPS

SENTIMENT_COLORS = {"positive": "tab:green", "neutral": "tab:gray", "negative": "tab:red"}


def _product_names(inputs: Inputs, ids: Iterable[str], with_images: bool = False) -> dict[str, dict]:
    """``product_id -> {"title", "image"}`` for a few products; empty without silver.products."""
    products = inputs.optional(SILVER_PRODUCTS, ["product_id", "title"])
    if products is None:
        return {}
    columns = ["product_id", "title"] + (["image"] if with_images and "image" in products.columns else [])
    found = products.where(F.col("product_id").isin(sorted(set(ids)))).select(*columns)
    return {r["product_id"]: r.asDict() for r in found.collect()}


def _label(product_id: str, names: dict[str, dict]) -> str:
    title = (names.get(product_id) or {}).get("title")
    return f"{product_id} {title[:28]}" if title else product_id


def funnel(inputs: Inputs, settings: Settings) -> Content:
    """Sessions through product view, cart, checkout and purchase (gold.funnel_daily)."""
    inputs.require_input(CLICKSTREAM, "purchase funnel to show")
    daily = inputs.require(GOLD_FUNNEL_DAILY, ["date", "sessions", *FUNNEL_STEPS], "build_gold")
    totals = rows(daily.agg(*[F.sum(c).alias(c) for c in ("sessions", *FUNNEL_STEPS)]), GOLD_FUNNEL_DAILY)[0]
    if not totals["sessions"]:
        raise SectionUnavailable("no data yet: gold.funnel_daily holds no sessions")
    per_day = rows(daily.groupBy("date").agg((F.sum("purchase") / F.sum("sessions")).alias("conversion"))
                   .orderBy("date"), GOLD_FUNNEL_DAILY)
    steps = [("sessions", totals["sessions"])] + [(s, totals[s]) for s in FUNNEL_STEPS]
    by_channel = daily.groupBy("channel").agg(F.sum("sessions").alias("sessions"), F.sum("purchase").alias("purchases"))
    table = Table(["channel", "sessions", "purchases", "conversion"], [
        [r["channel"], r["sessions"], r["purchases"], f"{r['purchases'] / r['sessions']:.2%}" if r["sessions"] else "-"]
        for r in by_channel.orderBy(F.desc("sessions")).collect()])
    summary = (f"{totals['sessions']:,} sessions over {len(per_day)} days; "
               f"{totals['purchase'] / totals['sessions']:.2%} ended in a purchase.")
    return Content(summary, [png(figures.funnel_figure(steps, per_day))], [table])


def cohorts(inputs: Inputs, settings: Settings) -> Content:
    """Retention of customer cohorts by period since their first purchase (gold.cohort_retention)."""
    retention = inputs.require(GOLD_COHORT_RETENTION, ["cohort", "period", "retention"], "analytics --only cohorts")
    cells = rows(retention.select("cohort", "period", "retention"), GOLD_COHORT_RETENTION)
    period = settings.analytics.cohort_period
    later = [c["retention"] for c in cells if c["period"] == 1 and c["retention"] is not None]
    summary = f"{len({c['cohort'] for c in cells})} cohorts by {period} of first purchase" + (
        f"; on average {sum(later) / len(later):.1%} buy again in their second {period}." if later else ".")
    return Content(summary, [png(analytics_plots.cohort_heatmap(cells, period))])


def segments(inputs: Inputs, settings: Settings) -> Content:
    """Customer and revenue share of each RFM segment (gold.segment_summary)."""
    summary = inputs.require(GOLD_SEGMENT_SUMMARY, ["segment", "segment_name", "customers", "customer_share",
                                                   "revenue_share"], "analytics --only segments")
    found = rows(summary.orderBy("segment"), GOLD_SEGMENT_SUMMARY)
    labels = [f"{r['segment']}: {r['segment_name']}" for r in found]
    figure = figures.shares_figure(labels, {"customers": [r["customer_share"] for r in found],
                                            "revenue": [r["revenue_share"] for r in found]},
                                   "share of customers and of revenue per segment")
    table = Table(["segment", "customers", "customer share", "revenue share"], [
        [label, r["customers"], f"{r['customer_share']:.1%}", f"{r['revenue_share']:.1%}"]
        for label, r in zip(labels, found)])
    text = f"{sum(r['customers'] for r in found):,} customers in {len(found)} segments."
    return Content(text, [png(figure)], [table])


def bundles(inputs: Inputs, settings: Settings) -> Content:
    """The strongest product bundles (association rules) by lift (gold.bundles)."""
    rules = inputs.require(GOLD_BUNDLES, ["antecedent", "consequent", "support", "confidence", "lift"],
                           "analytics --only bundles")
    found = rows(rules.orderBy(F.desc("lift"), F.desc("support")).limit(settings.report.top_bundles), GOLD_BUNDLES)
    names = _product_names(inputs, [p for r in found for p in [*r["antecedent"], r["consequent"]]])
    labels = [" + ".join(_label(p, names) for p in r["antecedent"]) + " → " + _label(r["consequent"], names)
              for r in found]
    figure = figures.bars_figure(labels, [r["lift"] for r in found], "lift (how much likelier together than apart)",
                                 f"top {len(found)} bundles by lift")
    table = Table(["bundle", "support", "confidence", "lift"], [
        [label, f"{r['support']:.3%}", f"{r['confidence']:.1%}", f"{r['lift']:.2f}"] for label, r in zip(labels, found)])
    return Content(f"{rules.count():,} rules found; the strongest:", [png(figure)], [table])


def forecasts(inputs: Inputs, settings: Settings) -> Content:
    """Units sold and forecast for the top-selling items (gold.forecasts, gold.daily_item_sales)."""
    ahead = inputs.require(GOLD_FORECASTS, ["product_id", "date", "forecast"], "train_forecast")
    sales = inputs.require(GOLD_DAILY_ITEM_SALES,
                           ["product_id", "date", "units", "revenue", "avg_price", "promotion"], "build_gold")
    forecast_items = ahead.select("product_id").distinct()
    per_item = sales.join(forecast_items, "product_id", "left_semi").groupBy("product_id").agg(
        F.sum("revenue").alias("revenue"))
    top = rows(per_item.orderBy(F.desc("revenue"), "product_id").limit(settings.report.top_items),
               "items with both sales and forecasts")
    items = [r["product_id"] for r in top]
    filled = fill_calendar(conform(shop_series(sales)), "day")
    actual = recent_history(filled, items, settings.report.history_days).orderBy(DATE).collect()
    optional = [F.col(c) if c in ahead.columns else F.lit(None).alias(c) for c in ("lower", "upper", "family")]
    predicted = ahead.where(F.col("product_id").isin(items)).select(
        "product_id", "date", "forecast", *optional).orderBy("date").collect()
    names = _product_names(inputs, items)
    family = {r["product_id"]: r["family"] for r in predicted if r["family"]}
    panels = [{"title": _label(item, names) + (f" — {family[item]}" if item in family else ""),
               "actual": [(r[DATE], r[TARGET]) for r in actual if r[SERIES_ID] == item],
               "forecast": [(r["date"], r["forecast"], r["lower"], r["upper"]) for r in predicted
                            if r["product_id"] == item]} for item in items]
    summary = (f"The {len(items)} items with the most revenue: units sold over the last "
               f"{settings.report.history_days} days (a day without sales as 0), and the forecast with its "
               f"{settings.forecast.interval_level:.0%} interval, each by the model family that won the item's backtest.")
    return Content(summary, [png(figures.forecast_figure(panels))])


def recommendations(inputs: Inputs, settings: Settings) -> Content:
    """A few customers: what they interacted with most and what the recommender offers them (gold.recommendations)."""
    recs = inputs.require(GOLD_RECOMMENDATIONS, ["user_id", "product_id", "rank", "is_fallback"], "recommend")
    interactions = inputs.require(GOLD_USER_ITEM_INTERACTIONS, ["user_id", "product_id", "weight"], "build_gold")
    per_user = settings.report.top_items + 1
    users = recs.where(~F.col("is_fallback")).select("user_id").distinct().orderBy("user_id").limit(
        settings.report.recommendation_examples)
    offered = recs.join(users, "user_id", "left_semi").where(F.col("rank") <= per_user).select(
        "user_id", "product_id", F.col("rank").alias("order"), F.lit("recommended").alias("kind"))
    by_weight = Window.partitionBy("user_id").orderBy(F.desc("weight"), "product_id")
    liked = interactions.join(users, "user_id", "left_semi").withColumn("order", F.row_number().over(by_weight)).where(
        F.col("order") <= per_user).select("user_id", "product_id", "order", F.lit("liked").alias("kind"))
    found = rows(offered.unionByName(liked).orderBy("user_id", "kind", "order"),
                 "recommendations for users with a history")
    names = _product_names(inputs, [r["product_id"] for r in found], with_images=True)
    table = Table(["customer (pseudonym)", "interacted with most", "recommended"], [
        [user[:12] + "…", _pictures(found, user, "liked", names), _pictures(found, user, "recommended", names)]
        for user in sorted({r["user_id"] for r in found})])
    fallback = recs.groupBy("is_fallback").agg(F.countDistinct("user_id").alias("users")).collect()
    counts = {r["is_fallback"]: r["users"] for r in fallback}
    summary = (f"{counts.get(False, 0):,} customers get personal recommendations, {counts.get(True, 0):,} "
               "(no history yet) the most popular items.")
    return Content(summary, tables=[table])


def _pictures(found: list[dict], user: str, kind: str, names: dict[str, dict]) -> list:
    cells = []
    for r in found:
        if r["user_id"] == user and r["kind"] == kind:
            product = names.get(r["product_id"]) or {}
            image = product.get("image")
            cells.append(Image(bytes(image), _label(r["product_id"], names)) if image else _label(r["product_id"], names))
    return cells


def sentiment(inputs: Inputs, settings: Settings) -> Content:
    """Share of positive, neutral and negative reviews of the most reviewed products (gold.review_sentiment), and
    the scoring model's held-out test figures beside its classical baseline's (from its MLflow training run)."""
    inputs.require_input(REVIEWS, "review sentiment to show")
    scored = inputs.require(GOLD_REVIEW_SENTIMENT, ["product_id", "sentiment"], "score_reviews")
    per_product = scored.groupBy("product_id").agg(F.count("*").alias("reviews"), *[
        F.avg((F.col("sentiment") == s).cast("double")).alias(s) for s in SENTIMENT_COLORS])
    found = rows(per_product.orderBy(F.desc("reviews"), "product_id").limit(settings.report.sentiment_products),
                 GOLD_REVIEW_SENTIMENT)
    names = _product_names(inputs, [r["product_id"] for r in found])
    labels = [f"{_label(r['product_id'], names)} ({r['reviews']})" for r in found]
    figure = figures.stacked_figure(labels, {s: [r[s] or 0.0 for r in found] for s in SENTIMENT_COLORS},
                                    "share of the product's reviews", "review sentiment of the most reviewed products",
                                    SENTIMENT_COLORS)
    overall = scored.agg(F.count("*").alias("n"), F.avg((F.col("sentiment") == "positive").cast("double")).alias("p")).first()
    summary = f"{overall['n']:,} reviews scored; {overall['p'] or 0:.1%} positive overall."
    return Content(summary, [png(figure)], _model_vs_baseline(scored, settings))


def _model_vs_baseline(scored: DataFrame, settings: Settings) -> list[Table]:
    """The scoring model's held-out figures beside its baseline's (from its training run), when one model scored."""
    models = [r["model"] for r in scored.select("model").distinct().limit(2).collect()] if "model" in scored.columns else []
    card = scorecard(settings, models[0]) if len(models) == 1 else None
    if card is None:
        return []
    return [Table(["held-out test split", models[0], card.baseline, "margin"], [
        [SCORECARD_LABELS[name], f"{model:.4f}", f"{baseline:.4f}", f"{model - baseline:+.4f}"]
        for name, (model, baseline) in card.figures.items()])]


def anomalies(inputs: Inputs, settings: Settings) -> Content:
    """Orders flagged as anomalous per day, by main reason (gold.anomalies)."""
    flagged = inputs.require(GOLD_ANOMALIES, ["order_date", "reasons"], "analytics --only anomalies")
    daily = rows(flagged.groupBy("order_date", F.col("reasons")[0].alias("reason")).agg(
        F.count("*").alias("orders")), GOLD_ANOMALIES)
    reasons = {}
    for r in daily:
        reasons[r["reason"]] = reasons.get(r["reason"], 0) + r["orders"]
    table = Table(["main reason", "orders"], [[k, v] for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])])
    summary = f"{sum(reasons.values()):,} orders flagged over {len({r['order_date'] for r in daily})} days."
    return Content(summary, [png(analytics_plots.anomalies_figure(daily))], [table])


def data_quality(inputs: Inputs, settings: Settings) -> Content:
    """The latest data-quality run of each table: checks passed, failed and skipped, failures and skips described
    (ops.dq_results)."""
    inputs.require(OPS_DQ_RESULTS, [c for c in RESULTS_SCHEMA.fieldNames() if c not in ADDED_COLUMNS],
                   "quality_checks")
    latest = latest_results(inputs.lake)
    if not latest:
        raise SectionUnavailable(f"no data yet: {OPS_DQ_RESULTS} is empty")
    order = sorted(latest, key=lambda t: (STATUS_ORDER[table_status(latest[t])], t))
    counts = {state: {t: sum(1 for r in latest[t] if _state(r) == state) for t in order}
              for state in ("passed", "failed", "skipped")}
    drawn = {state: [counts[state][t] for t in order] for state in counts if any(counts[state].values())}
    figure = figures.stacked_figure(order, drawn, "checks", "latest data-quality checks per table",
                                    {"passed": "tab:green", "failed": "tab:red", "skipped": "tab:gray"})
    tables = [Table(["table", "status", "version", "checked at", *counts], [
        [t, table_status(latest[t]), latest[t][0].table_version, f"{latest[t][0].checked_at:%Y-%m-%d %H:%M}",
         *(counts[state][t] for state in counts)] for t in order])]
    failures = [[t, r.severity, r.check, describe(r)] for t in order for r in latest[t] if not r.success]
    if failures:
        tables.append(Table(["table", "severity", "failed or skipped check", "what was seen"], failures))
    totals = [f"{n} check(s) {state}" for state in ("failed", "skipped") if (n := sum(counts[state].values()))]
    summary = f"{len(order)} tables checked; {', '.join(totals) if totals else 'every check passed'}."
    return Content(summary, [png(figure)], tables)


def _state(result: CheckResult) -> str:
    return "skipped" if result.skipped else "failed" if result.failed else "passed"


SECTIONS: list[tuple[str, str, Callable[[Inputs, Settings], Content]]] = [
    ("funnel", "Purchase funnel", funnel),
    ("cohorts", "Cohort retention", cohorts),
    ("segments", "Customer segments", segments),
    ("bundles", "Top bundles", bundles),
    ("forecasts", "Forecast vs actual, top items", forecasts),
    ("recommendations", "Recommendation examples", recommendations),
    ("sentiment", "Review sentiment by product", sentiment),
    ("anomalies", "Anomalies over time", anomalies),
    ("data_quality", "Data quality (latest run)", data_quality),
]
"""Key, title and builder of each section, in report order."""
