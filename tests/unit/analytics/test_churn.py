"""Churn features as of a cutoff (nothing after it counts), labels, cutoff choice, the model and its metrics."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from shoplake.analytics import churn
from shoplake.analytics.errors import AnalyticsError
from shoplake.analytics.on_lake import churn_cutoff
from shoplake.analytics.ranking import auc, precision_at_top, roc_points, score_bands

UTC = dt.timezone.utc
CUTOFF = dt.datetime(2024, 3, 1, tzinfo=UTC)
EVENTS = "event_id string, event_time timestamp, user_id string, event_type string, device string, channel string"
LINES = ("order_id string, line_no int, customer_id string, order_time timestamp, status string, "
         "updated_at timestamp, product_id string, quantity int, net_amount double")


def days(n, minutes=0):
    return CUTOFF + dt.timedelta(days=n, minutes=minutes)


def event(n, user, when, kind="product_view"):
    return (f"e{user}{n}", when, user, kind, "mobile", "email")


def line(order_id, user, when, status="delivered", updated=None, amount=50.0):
    return (order_id, 0, user, when, status, updated or when + dt.timedelta(days=3), "p1", 1, amount)


BEFORE_EVENTS = [event(1, "u1", days(-20)), event(2, "u1", days(-20, 5), "purchase"),
                 event(3, "u1", days(0, -5)),  # a session that runs past the cutoff (next event)
                 event(1, "u2", days(-40)), event(2, "u2", days(-40, 3), "purchase"),
                 event(1, "u3", days(-5))]
BEFORE_LINES = [line("o1", "u1", days(-20, 5)),
                line("o2", "u2", days(-40, 3), updated=days(-38)),
                line("o3", "u2", days(-10), status="refunded", updated=days(-2)),  # refunded before: not counted
                line("o4", "u1", days(-2), status="placed", updated=days(-2))]
AFTER_EVENTS = [event(4, "u1", days(0, 5), "purchase"),  # continues u1's session across the cutoff
                event(5, "u1", days(3)), event(3, "u2", days(1)), event(1, "u4", days(2))]
AFTER_LINES = [line("o5", "u1", days(0, 5)), line("o6", "u4", days(2))]


def frames(spark, events, lines):
    return spark.createDataFrame(events, EVENTS), spark.createDataFrame(lines, LINES)


def features(spark, events, lines):
    return {r.user_id: r.asDict() for r in churn.features_as_of(*frames(spark, events, lines), CUTOFF, 30).collect()}


def test_features_ignore_everything_after_the_cutoff(spark):
    before = features(spark, BEFORE_EVENTS, BEFORE_LINES)
    # later: more events and orders, and o4 (placed before the cutoff) is refunded after it
    later_lines = [row for row in BEFORE_LINES if row[0] != "o4"] + [
        line("o4", "u1", days(-2), status="refunded", updated=days(6))] + AFTER_LINES
    after = features(spark, BEFORE_EVENTS + AFTER_EVENTS, later_lines)
    assert after == before
    assert set(before) == {"u1", "u2"}  # u3 never ordered; u4 came after the cutoff
    assert (before["u1"]["frequency"], before["u1"]["monetary"], before["u1"]["recency_days"]) == (2, 100.0, 2)
    assert before["u2"]["frequency"] == 1  # its refunded order does not count
    assert before["u1"]["days_since_seen"] == 0 and before["u2"]["days_since_seen"] == 39


def test_without_clickstream_features_come_from_the_orders_alone(spark):
    _, lines = frames(spark, [], BEFORE_LINES + AFTER_LINES)
    with_clicks = features(spark, BEFORE_EVENTS, BEFORE_LINES)
    got = {r.user_id: r.asDict() for r in churn.features_as_of(None, lines, CUTOFF, 30).collect()}
    assert set(got) == {"u1", "u2"}
    for user in got:
        orders = {k: got[user][k] for k in churn.ORDER_FEATURES}
        assert orders == {k: with_clicks[user][k] for k in churn.ORDER_FEATURES}
        assert (got[user]["sessions"], got[user]["days_since_seen"], got[user]["conversion_rate"]) == (None, None, None)


def test_lines_as_of_keep_the_status_known_at_the_cutoff(spark):
    lines = spark.createDataFrame([line("a", "u1", days(-5), "refunded", days(4)),
                                   line("b", "u1", days(-5), "refunded", days(-1)),
                                   line("c", "u1", days(1))], LINES)
    statuses = {r.order_id: r.status for r in churn.lines_as_of(lines, CUTOFF).collect()}
    assert statuses == {"a": "placed", "b": "refunded"}


def test_labels_mark_customers_without_an_order_in_the_horizon(spark):
    events, lines = frames(spark, BEFORE_EVENTS + AFTER_EVENTS, BEFORE_LINES + AFTER_LINES + [
        line("o7", "u2", days(40))])  # u2 comes back, but after a 30-day horizon
    labelled = churn.churn_labels(churn.features_as_of(events, lines, CUTOFF, 30), lines, CUTOFF, 30)
    assert {r.user_id: r.churned for r in labelled.collect()} == {"u1": 0.0, "u2": 1.0}


def test_training_stacks_customers_at_weekly_cutoffs(spark):
    events, lines = frames(spark, BEFORE_EVENTS + AFTER_EVENTS, BEFORE_LINES + AFTER_LINES)
    cutoffs = churn.training_cutoffs(CUTOFF, 3, 7)
    assert cutoffs == [CUTOFF, days(-7), days(-14)]
    examples = {(r.user_id, r.as_of.date()): r for r in churn.labelled_examples(events, lines, cutoffs, 30, 30).collect()}
    assert set(examples) == {("u1", CUTOFF.date()), ("u2", CUTOFF.date()), ("u1", days(-7).date()),
                             ("u2", days(-7).date()), ("u1", days(-14).date()), ("u2", days(-14).date())}
    assert examples[("u1", days(-7).date())].frequency == 1  # o4 (two days before the cutoff) not yet placed
    assert examples[("u1", days(-7).date())].churned == 0.0  # o4 falls in its horizon


def test_cutoff_defaults_to_the_horizon_before_the_end_of_the_data():
    assert churn_cutoff(dt.date(2024, 3, 30), 28, "") == dt.datetime(2024, 3, 3, tzinfo=UTC)
    assert churn_cutoff(dt.date(2024, 3, 30), 28, "2024-02-01") == dt.datetime(2024, 2, 1, tzinfo=UTC)
    with pytest.raises(AnalyticsError, match="runs past the end of the data.*2024-03-03 or earlier"):
        churn_cutoff(dt.date(2024, 3, 30), 28, "2024-03-10")


def test_model_learns_a_signal_the_recency_baseline_misses(spark):
    rng = random.Random(5)
    rows = []
    for n in range(80):
        seen = rng.randint(0, 60)
        rows.append((f"u{n}", rng.randint(1, 60), seen, rng.randint(1, 5), rng.uniform(10, 500), rng.randint(1, 9),
                     rng.random(), 1.0 if seen > 30 else 0.0))
    labelled = spark.createDataFrame(rows, "user_id string, recency_days int, days_since_seen int, frequency long, "
                                           "monetary double, sessions long, conversion_rate double, churned double")
    model = churn.fit_churn_model(labelled, max_iter=10, max_depth=2, seed=1)
    metrics = churn.evaluate_churn(churn.churn_scores(model, labelled))
    assert metrics["model_auc"] > 0.95 and metrics["model_auc"] > metrics["baseline_auc"] + 0.2
    orders_only = churn.fit_churn_model(labelled, max_iter=10, max_depth=2, seed=1, features=churn.ORDER_FEATURES)
    assert orders_only.stages[0].getInputCols() == list(churn.ORDER_FEATURES)
    assert metrics["model_precision_top_decile"] == 1.0
    assert metrics["base_rate"] == pytest.approx(sum(r[-1] for r in rows) / len(rows))


def test_ranking_metrics_on_known_scores(spark):
    df = spark.createDataFrame([(float(s), 1.0 if s >= 7 else 0.0) for s in range(10)], "score double, label double")
    assert auc(df, "score", "label") == 1.0
    assert auc(df.withColumn("score", -df.score), "score", "label") == 0.0
    assert precision_at_top(df, "score", "label", 0.2) == 1.0  # the top fifth, ties and the quantile included
    bands = score_bands(df, "score", "label", 5)
    assert bands[0] == (2, 0) and sum(p for p, _ in bands) == 3 and sum(n for _, n in bands) == 7
    fpr, tpr = roc_points(bands)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert (fpr[1], tpr[1]) == (0.0, pytest.approx(2 / 3))
